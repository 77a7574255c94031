// A real HTTP(S) server on 127.0.0.1 for transport-level tests of sync/:
// Poco's HTTPServer with a scripted handler. It is a peer for our client over
// real sockets, not a mock of it.
//
//   LoopbackServer server([](Exchange& x) { x.reply(200, R"([1,2])"); });
//   client->send(get_request(server.url("/api/quotes")));
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace cwsync::testing {

// What the server saw, for assertions.
struct SeenRequest {
  std::string method;
  std::string uri;                 // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::uint16_t client_port = 0;   // equal ports: the same keep-alive connection

  std::string header(const std::string& name) const;  // "" when absent
};

// One request/response exchange inside a handler.
class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
           const SeenRequest& seen, class LoopbackServer& server)
      : req_(req), resp_(resp), seen_(seen), server_(server) {}

  const SeenRequest& request() const { return seen_; }
  // Sends a complete response. Extra headers as name/value pairs.
  void reply(int status, const std::string& body,
             const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Sends `body` gzip-compressed with Content-Encoding: gzip.
  void reply_gzip(int status, const std::string& body);
  // Declares `declared_length` bytes, sends `body` (shorter), and closes.
  void reply_truncated(int status, const std::string& body, std::size_t declared_length);
  // Closes the connection with a TCP reset, without any response.
  void reset();
  // Waits up to `d` (or until the server stops) before the caller replies.
  void stall(std::chrono::milliseconds d);

 private:
  Poco::Net::HTTPServerRequest& req_;
  Poco::Net::HTTPServerResponse& resp_;
  const SeenRequest& seen_;
  LoopbackServer& server_;
};

class LoopbackServer {
 public:
  using Handler = std::function<void(Exchange&)>;

  // Starts listening on 127.0.0.1 with an ephemeral port. With tls, serves
  // HTTPS with tests/sync/data/localhost-cert.pem.
  explicit LoopbackServer(Handler handler, bool tls = false);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Replaces the handler and forgets the requests seen so far, so one server
  // can serve a whole test suite (starting and stopping one costs ~250 ms).
  // Handlers stalled in the old script return early. Thread-safe.
  void reset(Handler handler);

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path (https://localhost:PORT with tls).
  std::string url(const std::string& path) const;
  std::vector<SeenRequest> requests() const;
  std::size_t request_count() const;

  // Waits up to `d`; returns early (false) when the server stops or is
  // reset.
  bool wait_unless_stopping(std::chrono::milliseconds d);

  // Path to a file under tests/sync/data.
  static std::string data_file(const std::string& name);

 private:
  friend class HandlerAdapter;
  Handler record(const SeenRequest& r);  // returns the current handler

  Handler handler_;
  bool tls_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t generation_ = 0;
  std::vector<SeenRequest> seen_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pops scripted steps in order; once the script runs out, repeats the last
// step. Thread-safe; use as the server's handler.
class Script {
 public:
  using Step = std::function<void(Exchange&)>;
  Script& then(Step step);
  void operator()(Exchange& x);

 private:
  std::mutex mu_;
  std::deque<Step> steps_;
  Step last_;
};

// A port with nothing listening on it (bound, then closed).
std::uint16_t unused_port();

}  // namespace cwsync::testing
