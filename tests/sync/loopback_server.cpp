#include "loopback_server.h"

#include <sstream>

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace cwsync::testing {

std::string SeenRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (Poco::icompare(k, name) == 0) return v;
  }
  return {};
}

void Exchange::reply(int status, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  resp_.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  for (const auto& [k, v] : headers) resp_.set(k, v);
  if (!resp_.has("Content-Type")) resp_.setContentType("application/json");
  resp_.setContentLength(static_cast<std::streamsize>(body.size()));
  resp_.send() << body;
}

void Exchange::reply_gzip(int status, const std::string& body) {
  std::ostringstream compressed;
  {
    Poco::DeflatingOutputStream gz(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
    gz << body;
    gz.close();
  }
  reply(status, compressed.str(), {{"Content-Encoding", "gzip"}});
}

void Exchange::reply_truncated(int status, const std::string& body, std::size_t declared_length) {
  resp_.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp_.setContentType("application/json");
  resp_.setContentLength(static_cast<std::streamsize>(declared_length));
  resp_.setKeepAlive(false);  // the server closes after the handler: EOF mid-body
  std::ostream& out = resp_.send();
  out << body;
  out.flush();
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req_);
  impl.socket().shutdown();
}

void Exchange::reset() {
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req_);
  impl.socket().setLinger(true, 0);  // close() now sends RST
  impl.socket().close();
}

void Exchange::stall(std::chrono::milliseconds d) { server_.wait_unless_stopping(d); }

class HandlerAdapter : public Poco::Net::HTTPRequestHandler {
 public:
  explicit HandlerAdapter(LoopbackServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    SeenRequest seen;
    seen.method = req.getMethod();
    seen.uri = req.getURI();
    for (const auto& [k, v] : req) seen.headers.emplace_back(k, v);
    Poco::StreamCopier::copyToString(req.stream(), seen.body);
    seen.client_port = req.clientAddress().port();
    LoopbackServer::Handler handler = server_.record(seen);
    Exchange x(req, resp, seen, server_);
    try {
      if (handler) handler(x);
    } catch (const std::exception&) {
      // A reset socket makes Poco throw on the way out; nothing to do.
    }
  }

 private:
  LoopbackServer& server_;
};

namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(LoopbackServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new HandlerAdapter(server_);
  }

 private:
  LoopbackServer& server_;
};

}  // namespace

struct LoopbackServer::Impl {
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

LoopbackServer::LoopbackServer(Handler handler, bool tls)
    : handler_(std::move(handler)), tls_(tls), impl_(std::make_unique<Impl>()) {
  Poco::Net::SocketAddress addr("127.0.0.1", 0);
  Poco::Net::ServerSocket socket;
  if (tls) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, data_file("localhost-key.pem"),
        data_file("localhost-cert.pem"), "", Poco::Net::Context::VERIFY_NONE);
    socket = Poco::Net::SecureServerSocket(addr, 64, ctx);
  } else {
    socket = Poco::Net::ServerSocket(addr, 64);
  }
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(5, 0));
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
  impl_->server->start();
}

LoopbackServer::~LoopbackServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  impl_->server->stopAll(true);
}

std::string LoopbackServer::url(const std::string& path) const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + path;
}

std::vector<SeenRequest> LoopbackServer::requests() const {
  std::lock_guard lock(mu_);
  return seen_;
}

std::size_t LoopbackServer::request_count() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

LoopbackServer::Handler LoopbackServer::record(const SeenRequest& r) {
  std::lock_guard lock(mu_);
  seen_.push_back(r);
  return handler_;
}

void LoopbackServer::reset(Handler handler) {
  {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
    seen_.clear();
    ++generation_;
  }
  cv_.notify_all();
}

bool LoopbackServer::wait_unless_stopping(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  const std::uint64_t gen = generation_;
  return !cv_.wait_for(lock, d, [&] { return stopping_ || generation_ != gen; });
}

std::string LoopbackServer::data_file(const std::string& name) {
  return std::string(CWSYNC_SYNC_TESTDATA) + "/" + name;
}

Script& Script::then(Step step) {
  std::lock_guard lock(mu_);
  steps_.push_back(std::move(step));
  return *this;
}

void Script::operator()(Exchange& x) {
  Step step;
  {
    std::lock_guard lock(mu_);
    if (!steps_.empty()) {
      last_ = steps_.front();
      steps_.pop_front();
    }
    step = last_;
  }
  if (step) step(x);
}

std::uint16_t unused_port() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::uint16_t port = s.address().port();
  s.close();
  return port;
}

}  // namespace cwsync::testing
