// The Poco transport against a real loopback server (tests/sync/loopback_server.h).
#include "sync/http/http_poco.h"

#include <thread>

#include <gtest/gtest.h>

#include "loopback_fixture.h"
#include "sync/http/api_client.h"
#include "sync/http/fast_page.h"

namespace cwsync {
namespace {

using std::chrono::milliseconds;
using testing::Exchange;
using testing::LoopbackServer;

class PocoHttpTest : public testing::LoopbackTest {};

PocoHttpOptions fast_options() {
  PocoHttpOptions o;
  o.connect_timeout = milliseconds(2000);
  o.read_timeout = milliseconds(2000);
  return o;
}

TEST_F(PocoHttpTest, GetReturnsStatusHeadersAndBody) {
  serve([](Exchange& x) {
    x.reply(200, R"([{"id":"a"}])", {{"X-Request-Id", "r1"}});
  });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request(server().url("/api/quotes?page=1&pageSize=2")));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"([{"id":"a"}])");
  EXPECT_EQ(r->headers.get("x-request-id"), "r1");
  ASSERT_EQ(server().request_count(), 1u);
  auto seen = server().requests()[0];
  EXPECT_EQ(seen.uri, "/api/quotes?page=1&pageSize=2");
  EXPECT_EQ(seen.header("Accept-Encoding"), "gzip");
  EXPECT_EQ(seen.header("User-Agent").rfind("cwsync/", 0), 0u);
}

TEST_F(PocoHttpTest, ErrorStatusesAreResponsesNotErrors) {
  serve([](Exchange& x) { x.reply(503, "<html>down</html>"); });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request(server().url("/x")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
}

TEST_F(PocoHttpTest, PostSendsBodyAndContentLength) {
  serve([](Exchange& x) { x.reply(201, R"({"id":77})"); });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(json_request("POST", server().url("/service/tickets/5/notes"), R"({"text":"hi"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  auto seen = server().requests().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, R"({"text":"hi"})");
  EXPECT_EQ(seen.header("Content-Length"), "13");
  EXPECT_EQ(seen.header("Content-Type"), "application/json");
}

TEST_F(PocoHttpTest, GzipBodiesAreDecoded) {
  const std::string big(100'000, 'q');
  serve([big](Exchange& x) { x.reply_gzip(200, "[\"" + big + "\"]"); });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request(server().url("/gz")));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->body, "[\"" + big + "\"]");
}

// parse_fast_page reads kJsonPadding bytes past a body's end; with that
// capacity reserved as the body is read, a page is parsed in place, not copied.
TEST_F(PocoHttpTest, BodiesComeWithSpareCapacityForTheJsonParser) {
  const std::string page = "[\"" + std::string(100'000, 'q') + "\"]";
  for (bool gzip : {false, true}) {
    serve([page, gzip](Exchange& x) { gzip ? x.reply_gzip(200, page) : x.reply(200, page); });
    auto http = make_poco_http_client(fast_options());
    auto r = http->send(get_request(server().url("/page")));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->body, page);
    EXPECT_GE(r->body.capacity() - r->body.size(), kJsonPadding) << (gzip ? "gzip" : "plain");
  }
}

TEST_F(PocoHttpTest, CorruptGzipIsMalformed) {
  serve([](Exchange& x) {
    x.reply(200, "this is not gzip at all", {{"Content-Encoding", "gzip"}});
  });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request(server().url("/gz")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
}

TEST_F(PocoHttpTest, KeepAliveReusesTheConnection) {
  serve([](Exchange& x) { x.reply(200, "[]"); });
  auto http = make_poco_http_client(fast_options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(http->send(get_request(server().url("/k"))));
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].client_port, seen[1].client_port);
  EXPECT_EQ(seen[1].client_port, seen[2].client_port);
}

TEST_F(PocoHttpTest, ConcurrentCallersEachGetTheirOwnSession) {
  serve([](Exchange& x) { x.reply(200, "\"" + x.request().uri + "\""); });
  auto http = make_poco_http_client(fast_options());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto r = http->send(get_request(server().url(path)));
        if (r && r->body == "\"" + path + "\"") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST_F(PocoHttpTest, ConnectionRefusedIsNetworkAndNotAmbiguous) {
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(json_request("POST",
                                   "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/x",
                                   "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_FALSE(r.error().ambiguous);
  EXPECT_NE(r.error().describe().find("POST http://127.0.0.1:"), std::string::npos);
}

TEST_F(PocoHttpTest, ResetAfterAFullySentPostIsAmbiguous) {
  serve([](Exchange& x) { x.reset(); });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(json_request("POST", server().url("/service/tickets/5/notes"), R"({"a":1})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(r.error().ambiguous);
  EXPECT_EQ(server().requests().at(0).body, R"({"a":1})");  // it did arrive
}

TEST_F(PocoHttpTest, ReadTimeoutIsTimeoutAndAmbiguous) {
  serve([](Exchange& x) {
    x.stall(milliseconds(3000));
    x.reply(200, "[]");
  });
  auto http = make_poco_http_client(fast_options());
  HttpRequest req = get_request(server().url("/slow"));
  req.read_timeout = milliseconds(150);
  const auto start = std::chrono::steady_clock::now();
  auto r = http->send(req);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_TRUE(r.error().ambiguous);
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(PocoHttpTest, TruncatedBodyIsANetworkError) {
  serve([](Exchange& x) { x.reply_truncated(200, R"([{"id":1},)", 500); });
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request(server().url("/t")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
}

TEST_F(PocoHttpTest, OversizedBodyIsRefused) {
  serve([](Exchange& x) { x.reply(200, std::string(5000, 'x')); });
  PocoHttpOptions o = fast_options();
  o.max_body_bytes = 1000;
  auto http = make_poco_http_client(o);
  auto r = http->send(get_request(server().url("/big")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
}

TEST_F(PocoHttpTest, PlainHttpToARemoteHostIsRefusedBeforeConnecting) {
  auto http = make_poco_http_client(fast_options());
  auto r = http->send(get_request("http://sellapi.quosalsell.com/api/quotes"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
  EXPECT_FALSE(r.error().ambiguous);
}

TEST(PocoTlsTest, UntrustedCertificateIsATlsError) {
  LoopbackServer server([](Exchange& x) { x.reply(200, "[]"); }, /*tls=*/true);
  auto http = make_poco_http_client(fast_options());  // system CAs only
  auto r = http->send(get_request(server.url("/x")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().describe();
  EXPECT_EQ(server.request_count(), 0u);  // no request was ever delivered
}

TEST(PocoTlsTest, TrustedCertificateConnects) {
  LoopbackServer server([](Exchange& x) { x.reply_gzip(200, R"(["tls"])"); }, /*tls=*/true);
  PocoHttpOptions o = fast_options();
  o.ca_location = LoopbackServer::data_file("localhost-cert.pem");
  auto http = make_poco_http_client(o);
  for (int i = 0; i < 2; ++i) {
    auto r = http->send(get_request(server.url("/x")));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->body, R"(["tls"])");
  }
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].client_port, seen[1].client_port);  // TLS sessions are pooled too
}

TEST(PocoTlsTest, BadCaLocationFailsAtConstruction) {
  PocoHttpOptions o;
  o.ca_location = "/nonexistent/ca.pem";
  EXPECT_THROW(make_poco_http_client(o), std::runtime_error);
}

// The TLS context is made by the first https request: plain http makes none
// (no OpenSSL set-up, no CA store in memory), and https still works after it
// on the same client.
TEST(PocoTlsTest, TlsIsSetUpByTheFirstHttpsRequestOnly) {
  LoopbackServer plain([](Exchange& x) { x.reply_gzip(200, R"(["plain"])"); });
  LoopbackServer tls([](Exchange& x) { x.reply(200, R"(["tls"])"); }, /*tls=*/true);
  PocoHttpOptions o = fast_options();
  o.ca_location = LoopbackServer::data_file("localhost-cert.pem");
  const std::size_t before = poco_tls_contexts_made();
  auto http = make_poco_http_client(o);
  for (int i = 0; i < 2; ++i) {
    auto r = http->send(get_request(plain.url("/x")));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->body, R"(["plain"])");
  }
  EXPECT_EQ(poco_tls_contexts_made(), before);
  for (int i = 0; i < 2; ++i) {
    auto r = http->send(get_request(tls.url("/x")));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->body, R"(["tls"])");
  }
  EXPECT_EQ(poco_tls_contexts_made(), before + 1);  // one per client, reused
}

// A CA file that exists but holds no certificate passes construction; the
// https request that needs it fails as a configuration error, before
// anything is sent, and plain http is unaffected.
TEST(PocoTlsTest, UnusableCaFileFailsTheHttpsRequestAsConfig) {
  LoopbackServer plain([](Exchange& x) { x.reply(200, "[]"); });
  LoopbackServer tls([](Exchange& x) { x.reply(200, "[]"); }, /*tls=*/true);
  PocoHttpOptions o = fast_options();
  o.ca_location = LoopbackServer::data_file("README.md");
  auto http = make_poco_http_client(o);
  auto r = http->send(get_request(tls.url("/x")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConfig) << r.error().describe();
  EXPECT_NE(r.error().message.find("TLS context"), std::string::npos) << r.error().describe();
  EXPECT_FALSE(r.error().ambiguous);
  EXPECT_EQ(tls.request_count(), 0u);
  EXPECT_TRUE(http->send(get_request(plain.url("/x"))));
}

}  // namespace
}  // namespace cwsync
