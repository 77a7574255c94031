#include "daemon/http_server.h"

#include <charconv>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "base/log.h"
#include "daemon/metrics.h"

namespace cwsync::daemon {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void send(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& type,
          const std::string& body) {
  resp.setStatus(status);
  resp.setContentType(type);
  resp.set("Cache-Control", "no-store");
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

void send_json(HTTPServerResponse& resp, int status, const nlohmann::json& body) {
  send(resp, static_cast<HTTPResponse::HTTPStatus>(status), "application/json",
       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const HttpRoutes& routes) : routes_(routes) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    try {
      serve(req, resp);
    } catch (const std::exception& e) {
      // A handler bug must not take the listener down; report and move on.
      log::error("http_handler_failed").field("path", req.getURI()).msg(e.what());
      if (!resp.sent()) send_json(resp, 500, {{"error", "internal error"}});
    }
  }

 private:
  void serve(HTTPServerRequest& req, HTTPServerResponse& resp) {
    Poco::URI uri(req.getURI());
    const std::string& path = uri.getPath();
    if (req.getMethod() != "GET" && req.getMethod() != "HEAD") {
      resp.set("Allow", "GET, HEAD");
      send_json(resp, 405, {{"error", "method not allowed"}});
      return;
    }
    if (path == "/healthz" && routes_.healthz) {
      HealthReport r = routes_.healthz();
      send_json(resp, r.ok ? 200 : 503, r.body);
    } else if (path == "/metrics" && routes_.metrics) {
      send(resp, HTTPResponse::HTTP_OK, Metrics::kContentType, routes_.metrics());
    } else if (path.rfind("/api/", 0) == 0 && routes_.api) {
      QueryParams query;
      for (const auto& [k, v] : uri.getQueryParameters()) query[k] = v;
      ApiResponse r = routes_.api(path, query);
      send_json(resp, r.status, r.body);
    } else {
      send_json(resp, 404, {{"error", "not found"},
                            {"paths", {"/healthz", "/metrics", "/api/cpq/pipeline", "/api/cpq/backlog"}}});
    }
  }

  const HttpRoutes& routes_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const HttpRoutes& routes) : routes_(routes) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(routes_);  // Poco takes ownership
  }

 private:
  const HttpRoutes& routes_;
};

class PocoHttpServer final : public HttpServer {
 public:
  PocoHttpServer(HttpRoutes routes, Poco::Net::ServerSocket socket)
      : routes_(std::move(routes)), pool_(1, 2), address_(socket.address()) {
    auto params = new Poco::Net::HTTPServerParams;  // ref-counted, owned by the server
    params->setMaxThreads(2);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(5, 0));
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(routes_), pool_, socket, params);
    server_->start();
  }

  ~PocoHttpServer() override {
    server_->stopAll(true);
    pool_.joinAll();
  }

  std::uint16_t port() const override { return address_.port(); }
  std::string address() const override { return address_.toString(); }

 private:
  HttpRoutes routes_;
  Poco::ThreadPool pool_;
  Poco::Net::SocketAddress address_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace

Result<ListenAddress> parse_listen(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::kConfig, "http_listen \"" + text + "\": " + why +
                                              "; expected host:port, e.g. 127.0.0.1:9464");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return bad("no port");
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']') return bad("unbalanced [");
    host = host.substr(1, host.size() - 2);
  }
  std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("port is not a number in 0..65535");
  }
  if (host.empty()) return bad("no host");
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

namespace {

// The address `listen` names, refused (kConfig) when it is not loopback and
// remote listening was not allowed.
Result<Poco::Net::SocketAddress> listen_address(const std::string& listen, bool allow_remote) {
  auto parsed = parse_listen(listen);
  if (!parsed.ok()) return parsed.error();
  Poco::Net::SocketAddress addr;
  try {
    addr = Poco::Net::SocketAddress(parsed->host, parsed->port);
  } catch (const Poco::Exception& e) {
    return make_error(ErrorKind::kConfig, "http_listen \"" + listen + "\": " + e.displayText());
  }
  if (!addr.host().isLoopback() && !allow_remote) {
    return make_error(ErrorKind::kConfig,
                      "http_listen \"" + listen + "\" is not a loopback address; the endpoints are "
                      "unauthenticated. Use 127.0.0.1 or ::1, or start with --allow-remote-http");
  }
  return addr;
}

}  // namespace

Status check_listen_address(const std::string& listen, bool allow_remote) {
  auto addr = listen_address(listen, allow_remote);
  if (!addr.ok()) return addr.error();
  return {};
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& listen, HttpRoutes routes,
                                                      bool allow_remote) {
  auto resolved = listen_address(listen, allow_remote);
  if (!resolved.ok()) return resolved.error();
  const Poco::Net::SocketAddress addr = *resolved;
  try {
    // Poco's ServerSocket(addr) also sets SO_REUSEPORT, which would let a
    // second daemon silently share the port; bind with SO_REUSEADDR only.
    Poco::Net::ServerSocket socket;
    socket.bind(addr, true, false);
    socket.listen(64);
    return std::unique_ptr<HttpServer>(new PocoHttpServer(std::move(routes), std::move(socket)));
  } catch (const Poco::Exception& e) {
    return make_error(ErrorKind::kIo, "cannot listen on " + listen + ": " + e.displayText());
  }
}

}  // namespace cwsync::daemon
