// The optional health/metrics listener (config key http_listen).
//
//   GET /healthz            200 {"status":"ok",...} or 503 with reasons
//   GET /metrics            Prometheus text
//   GET /api/cpq/pipeline   JSON from the cache views (?tenant=&days=)
//   GET /api/cpq/backlog    JSON from the cache views (?tenant=&limit=)
//
// It binds only to loopback unless the operator passes
// `cwsync run --allow-remote-http`: the endpoints are unauthenticated and the
// API routes expose business data. Poco HTTPServer on two threads; each
// request is independent, so handlers must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "daemon/health.h"

namespace cwsync::daemon {

using QueryParams = std::map<std::string, std::string>;

struct ApiResponse {
  int status = 200;
  nlohmann::json body;
};

struct HttpRoutes {
  std::function<HealthReport()> healthz;
  std::function<std::string()> metrics;
  // Called for paths under /api/; nullptr or a 404 status when not served.
  std::function<ApiResponse(const std::string& path, const QueryParams& query)> api;
};

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "127.0.0.1:9464", "[::1]:9464", "localhost:9464". Errors: kConfig.
Result<ListenAddress> parse_listen(const std::string& text);

// What HttpServer::start checks before it binds: the address parses and is
// loopback unless `allow_remote`. Errors: kConfig. For `run` to refuse before
// it touches the database.
Status check_listen_address(const std::string& listen, bool allow_remote);

class HttpServer {
 public:
  // Binds and starts serving. Errors: kConfig for a malformed or
  // non-loopback address without allow_remote; kIo when the bind fails.
  static Result<std::unique_ptr<HttpServer>> start(const std::string& listen, HttpRoutes routes,
                                                   bool allow_remote);
  // Stops accepting, aborts open connections and joins the threads.
  virtual ~HttpServer() = default;
  // The bound port (useful when listening on port 0).
  virtual std::uint16_t port() const = 0;
  virtual std::string address() const = 0;  // "127.0.0.1:9464"
};

}  // namespace cwsync::daemon
