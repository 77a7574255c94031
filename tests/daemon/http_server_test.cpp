#include "daemon/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "daemon/metrics.h"
#include "http_client.h"

namespace cwsync::daemon {
namespace {

TEST(HttpServerTest, ParseListen) {
  auto a = parse_listen("127.0.0.1:9464");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  auto b = parse_listen("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_FALSE(parse_listen("127.0.0.1").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:99999").ok());
  EXPECT_FALSE(parse_listen(":9464").ok());
  EXPECT_EQ(parse_listen("host:x").error().kind, ErrorKind::kConfig);
}

TEST(HttpServerTest, RefusesNonLoopbackUnlessAllowed) {
  auto r = HttpServer::start("0.0.0.0:0", {}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
  EXPECT_NE(r.error().message.find("loopback"), std::string::npos);
  auto allowed = HttpServer::start("0.0.0.0:0", {}, true);
  EXPECT_TRUE(allowed.ok());
}

TEST(HttpServerTest, ServesHealthMetricsAndApiOverLoopback) {
  std::atomic<bool> healthy{true};
  Metrics metrics;
  describe_standard_metrics(metrics);
  metrics.set(metric::kDeadPosts, {}, 3);
  HttpRoutes routes;
  routes.healthz = [&] {
    HealthReport r;
    r.ok = healthy;
    r.body = {{"status", healthy ? "ok" : "unhealthy"}, {"reasons", nlohmann::json::array()}};
    return r;
  };
  routes.metrics = [&] { return metrics.render(); };
  routes.api = [](const std::string& path, const QueryParams& q) {
    if (path != "/api/cpq/pipeline") return ApiResponse{404, {{"error", "not found"}}};
    return ApiResponse{200, {{"tenant", q.count("tenant") ? q.at("tenant") : ""}}};
  };
  auto server = HttpServer::start("127.0.0.1:0", routes, false);
  ASSERT_TRUE(server.ok()) << server.error().describe();
  int port = (*server)->port();
  ASSERT_GT(port, 0);

  auto h = cwsync::test::http_request(port, "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(nlohmann::json::parse(h.body)["status"], "ok");
  healthy = false;
  h = cwsync::test::http_request(port, "GET", "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(nlohmann::json::parse(h.body)["status"], "unhealthy");

  auto m = cwsync::test::http_request(port, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("cwsync_queue_dead_posts 3\n"), std::string::npos);

  auto api = cwsync::test::http_request(port, "GET", "/api/cpq/pipeline?tenant=acme");
  EXPECT_EQ(api.status, 200);
  EXPECT_EQ(nlohmann::json::parse(api.body)["tenant"], "acme");
  EXPECT_EQ(cwsync::test::http_request(port, "GET", "/api/cpq/nope").status, 404);
  EXPECT_EQ(cwsync::test::http_request(port, "GET", "/").status, 404);
  EXPECT_EQ(cwsync::test::http_request(port, "POST", "/healthz", {}, "x").status, 405);
}

TEST(HttpServerTest, HandlerExceptionBecomes500AndServerSurvives) {
  HttpRoutes routes;
  routes.metrics = []() -> std::string { throw std::runtime_error("bug"); };
  routes.healthz = [] { return HealthReport{true, {{"status", "ok"}}}; };
  auto server = HttpServer::start("127.0.0.1:0", routes, false);
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();
  EXPECT_EQ(cwsync::test::http_request(port, "GET", "/metrics").status, 500);
  EXPECT_EQ(cwsync::test::http_request(port, "GET", "/healthz").status, 200);
}

TEST(HttpServerTest, BindFailureIsIoError) {
  auto first = HttpServer::start("127.0.0.1:0", {}, false);
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::start("127.0.0.1:" + std::to_string((*first)->port()), {}, false);
  // Poco sets SO_REUSEADDR but not SO_REUSEPORT, so a live listener blocks the port.
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kIo);
}

}  // namespace
}  // namespace cwsync::daemon
