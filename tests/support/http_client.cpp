#include "http_client.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <strings.h>

namespace cwsync::test {

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

struct HttpConnection::Impl {
  Poco::Net::HTTPClientSession session;
  Impl(int port, int timeout_ms) : session("127.0.0.1", static_cast<Poco::UInt16>(port)) {
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
    session.setKeepAlive(true);
  }
};

HttpConnection::HttpConnection(int port, int timeout_ms) : impl_(std::make_unique<Impl>(port, timeout_ms)) {}
HttpConnection::~HttpConnection() = default;

HttpReply HttpConnection::request(const std::string& method, const std::string& target,
                                  const std::map<std::string, std::string>& headers, const std::string& body) {
  HttpReply reply;
  try {
    Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = impl_->session.sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = impl_->session.receiveResponse(resp);
    std::ostringstream raw;
    Poco::StreamCopier::copyStream(in, raw);
    reply.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) reply.headers.emplace(k, v);
    reply.raw_body = raw.str();
    if (reply.header("Content-Encoding") == "gzip") {
      std::istringstream zin(reply.raw_body);
      Poco::InflatingInputStream inflate(zin, Poco::InflatingStreamBuf::STREAM_GZIP);
      std::ostringstream plain;
      Poco::StreamCopier::copyStream(inflate, plain);
      reply.body = plain.str();
    } else {
      reply.body = reply.raw_body;
    }
  } catch (const Poco::Exception& e) {
    reply = HttpReply();
    reply.error = e.displayText();
    impl_->session.reset();
  }
  return reply;
}

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::map<std::string, std::string>& headers, const std::string& body, int timeout_ms) {
  HttpConnection c(port, timeout_ms);
  return c.request(method, target, headers, body);
}

std::string basic_auth(const std::string& user, const std::string& password) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << user << ":" << password;
  enc.close();
  return "Basic " + out.str();
}

}  // namespace cwsync::test
