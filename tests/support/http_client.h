// A minimal blocking HTTP client for tests (Poco underneath), so test code
// does not repeat session boilerplate. Not the product's HttpClient.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace cwsync::test {

struct HttpReply {
  int status = 0;             // 0 when no response arrived
  std::string body;           // decoded (gunzipped when Content-Encoding: gzip)
  std::string raw_body;       // as received
  std::multimap<std::string, std::string> headers;
  std::string error;          // transport error text when status == 0

  // First header value (case-insensitive name) or "".
  std::string header(const std::string& name) const;
};

// One keep-alive connection to 127.0.0.1:port. Not thread-safe.
class HttpConnection {
 public:
  explicit HttpConnection(int port, int timeout_ms = 5000);
  ~HttpConnection();
  // Sends one request; transport failures come back as status 0 + error.
  HttpReply request(const std::string& method, const std::string& target,
                    const std::map<std::string, std::string>& headers = {}, const std::string& body = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot request on a fresh connection.
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::map<std::string, std::string>& headers = {}, const std::string& body = "",
                       int timeout_ms = 5000);

// "Basic base64(user:password)".
std::string basic_auth(const std::string& user, const std::string& password);

}  // namespace cwsync::test
