// ApiClient over real loopback HTTP; time and waits are simulated
// (ManualClock + ManualWaiter), so retries and backoff cost no wall time.
#include "sync/http/api_client.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "loopback_fixture.h"
#include "sync/http/http_poco.h"
#include "sync/cpq/cpq_auth.h"

namespace cwsync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Exchange;
using testing::Script;

const TimePoint kStart = TimePoint(seconds(1'800'000'000));

class ApiClientTest : public testing::LoopbackTest {
 protected:
  ApiClientTest() : clock_(kStart), waiter_(clock_), http_(make_poco_http_client(fast())) {}

  static PocoHttpOptions fast() {
    PocoHttpOptions o;
    o.connect_timeout = milliseconds(2000);
    o.read_timeout = milliseconds(2000);
    return o;
  }

  // A client with a generous rate limit unless told otherwise.
  std::unique_ptr<ApiClient> client(RateLimit limit = {1000, seconds(1)},
                                    BreakerPolicy breaker = {100, seconds(60)},
                                    int max_attempts = 5) {
    host_ = std::make_shared<UpstreamHost>("loopback", limit, breaker);
    ApiClientOptions o;
    o.api = "cpq";
    o.tenant = "acme";
    o.retry.max_attempts = max_attempts;
    o.retry.retry_after_cap = milliseconds(15 * 60'000);
    o.backoff = {milliseconds(1000), milliseconds(300'000), max_attempts};
    CpqConnection conn;
    conn.access_key = "acme";
    conn.public_key = "pub";
    conn.private_key = Secret("priv");
    return std::make_unique<ApiClient>(
        o, ApiClient::Deps{*http_, std::make_shared<CpqAuth>(conn), host_, waiter_, clock_,
                           seeded_random(99)});
  }

  // Installs a script; returns it so tests can add steps.
  std::shared_ptr<Script> script() {
    auto s = std::make_shared<Script>();
    serve([s](Exchange& x) { (*s)(x); });
    return s;
  }

  static Script::Step reply(int status, std::string body = "[]",
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    return [=](Exchange& x) { x.reply(status, body, headers); };
  }

  ManualClock clock_;
  ManualWaiter waiter_;
  std::unique_ptr<HttpClient> http_;
  std::shared_ptr<UpstreamHost> host_;
};

TEST_F(ApiClientTest, SuccessAppliesAuthAndDefaultsAndCountsOneAttempt) {
  script()->then(reply(200, R"([{"id":1}])"));
  auto api = client();
  int attempts = 0;
  CallOptions opts;
  opts.on_attempt = [&](const AttemptInfo& a) {
    ++attempts;
    EXPECT_EQ(a.http_status, 200);
    EXPECT_EQ(a.error, nullptr);
  };
  auto r = api->execute(get_request(server().url("/api/quotes")), opts);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->body, R"([{"id":1}])");
  EXPECT_EQ(attempts, 1);
  auto seen = server().requests().at(0);
  EXPECT_EQ(seen.header("Authorization").rfind("Basic ", 0), 0u);
  EXPECT_EQ(seen.header("Accept"), "application/json");
  EXPECT_EQ(host_->metrics().status_2xx.load(), 1u);
  EXPECT_TRUE(waiter_.waits().empty());
}

TEST_F(ApiClientTest, RetriesServerErrorsWithJitteredBackoff) {
  script()->then(reply(503)).then(reply(502)).then(reply(200, "[1]"));
  auto api = client();
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(server().request_count(), 3u);
  auto waits = waiter_.waits();
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_LE(waits[0], milliseconds(1000));  // full jitter under base·2^0
  EXPECT_LE(waits[1], milliseconds(2000));  // and base·2^1
  EXPECT_EQ(host_->metrics().retries.load(), 2u);
  EXPECT_EQ(host_->metrics().status_5xx.load(), 2u);
}

TEST_F(ApiClientTest, RetryAfterIsObeyedExactly) {
  script()->then(reply(429, "", {{"Retry-After", "7"}})).then(reply(200, "[]"));
  auto api = client();
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(waiter_.waits().size(), 1u);
  EXPECT_EQ(waiter_.waits()[0], milliseconds(7000));
  EXPECT_EQ(clock_.now() - kStart, milliseconds(7000));
  EXPECT_EQ(host_->metrics().throttled.load(), 1u);
}

TEST_F(ApiClientTest, LongRetryAfterBecomesAThrottledDeferralWithoutWaiting) {
  script()->then(reply(429, "", {{"Retry-After", "3600"}}));
  auto api = client();
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  EXPECT_EQ(r.error().retry_after, milliseconds(3'600'000));
  EXPECT_EQ(server().request_count(), 1u);
  EXPECT_TRUE(waiter_.waits().empty());  // no thread blocked for an hour
  EXPECT_EQ(host_->metrics().deferrals.load(), 1u);
}

TEST_F(ApiClientTest, PermanentErrorsAreNeverRetried) {
  for (int status : {400, 401, 403, 404, 422}) {
    script()->then(reply(status, R"({"code":"X","message":"nope"})"));
    auto api = client();
    auto r = api->execute(get_request(server().url("/api/quotes")));
    ASSERT_FALSE(r) << status;
    EXPECT_FALSE(r.error().retryable()) << status;
    EXPECT_EQ(r.error().http_status, status);
    EXPECT_NE(r.error().message.find("nope"), std::string::npos);
    EXPECT_EQ(server().request_count(), 1u) << status;
  }
  EXPECT_TRUE(waiter_.waits().empty());
}

TEST_F(ApiClientTest, GivesUpAfterMaxAttempts) {
  script()->then(reply(500, R"({"message":"boom"})"));
  auto api = client({1000, seconds(1)}, {100, seconds(60)}, /*max_attempts=*/4);
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
  EXPECT_EQ(server().request_count(), 4u);
  EXPECT_NE(r.error().message.find("after 4 attempts"), std::string::npos);
}

TEST_F(ApiClientTest, IdempotentGetIsRetriedAfterAReset) {
  script()->then([](Exchange& x) { x.reset(); }).then(reply(200, "[]"));
  auto api = client();
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(server().request_count(), 2u);
  EXPECT_EQ(host_->metrics().transport_errors.load(), 1u);
}

TEST_F(ApiClientTest, PostIsNotResentAfterAnAmbiguousReset) {
  script()->then([](Exchange& x) { x.reset(); }).then(reply(201, "{}"));
  auto api = client();
  auto r = api->execute(json_request("POST", server().url("/service/tickets/1/notes"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(r.error().ambiguous);
  EXPECT_EQ(server().request_count(), 1u);
}

TEST_F(ApiClientTest, PostIsNotResentAfterA5xx) {
  script()->then(reply(503)).then(reply(201, "{}"));
  auto api = client();
  auto r = api->execute(json_request("POST", server().url("/time/entries"), "{}"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().ambiguous);
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_EQ(server().request_count(), 1u);
}

TEST_F(ApiClientTest, PostIsResentAfterA429) {
  script()->then(reply(429, "", {{"Retry-After", "1"}})).then(reply(201, R"({"id":5})"));
  auto api = client();
  auto r = api->execute(json_request("POST", server().url("/service/tickets/1/notes"), "{}"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(server().request_count(), 2u);
}

TEST_F(ApiClientTest, PostIsResentWhenItNeverLeft) {
  auto api = client({1000, seconds(1)}, {100, seconds(60)}, /*max_attempts=*/3);
  int attempts = 0;
  CallOptions opts;
  opts.on_attempt = [&](const AttemptInfo&) { ++attempts; };
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/x";
  auto r = api->execute(json_request("POST", url, "{}"), opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNetwork);
  EXPECT_FALSE(r.error().ambiguous);
  EXPECT_EQ(attempts, 3);  // refused before sending: safe to resend
}

TEST_F(ApiClientTest, ExplicitResendPolicyOverridesTheMethodDefault) {
  script()->then(reply(503)).then(reply(200, "{}"));
  auto api = client();
  CallOptions opts;
  opts.resend = Resend::kIfRetryable;  // e.g. a POST that is really a query
  auto r = api->execute(json_request("POST", server().url("/q"), "{}"), opts);
  ASSERT_TRUE(r);
  EXPECT_EQ(server().request_count(), 2u);
}

TEST_F(ApiClientTest, StopRequestedWhileWaitingCancels) {
  script()->then(reply(503));
  auto api = client();
  waiter_.stop_at_wait(1);
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(server().request_count(), 1u);
  // And nothing new starts once stop is requested.
  auto again = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(server().request_count(), 1u);
}

TEST_F(ApiClientTest, BreakerOpensRejectsThenProbesAndCloses) {
  auto s = script();
  s->then(reply(500)).then(reply(500)).then(reply(500)).then(reply(200, "[]"));
  auto api = client({1000, seconds(1)}, {3, seconds(60)}, /*max_attempts=*/10);
  auto r = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(r);
  EXPECT_EQ(server().request_count(), 3u);  // the breaker stopped the retries
  EXPECT_NE(r.error().message.find("circuit breaker open"), std::string::npos);
  ASSERT_TRUE(r.error().retry_after);
  EXPECT_LE(*r.error().retry_after, milliseconds(60'000));
  EXPECT_EQ(host_->breaker().state(clock_.now()), CircuitBreaker::State::kOpen);

  // While open, calls fail fast without touching the network.
  auto fast = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_FALSE(fast);
  EXPECT_EQ(server().request_count(), 3u);
  EXPECT_EQ(host_->metrics().breaker_rejections.load(), 2u);

  clock_.advance(seconds(61));
  auto probe = api->execute(get_request(server().url("/api/quotes")));
  ASSERT_TRUE(probe) << probe.error().describe();
  EXPECT_EQ(host_->breaker().state(clock_.now()), CircuitBreaker::State::kClosed);
}

TEST_F(ApiClientTest, ThrottlingAndNotFoundDoNotTripTheBreaker) {
  script()->then(reply(404));
  auto api = client({1000, seconds(1)}, {2, seconds(60)});
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(api->execute(get_request(server().url("/x"))));
  EXPECT_EQ(host_->breaker().state(clock_.now()), CircuitBreaker::State::kClosed);
  EXPECT_EQ(server().request_count(), 5u);
}

TEST_F(ApiClientTest, RequestsNeverExceedTheHostRate) {
  script()->then(reply(200, "[]"));
  auto api = client({5, seconds(1)});
  std::vector<TimePoint> starts;
  CallOptions opts;
  opts.on_attempt = [&](const AttemptInfo&) { starts.push_back(clock_.now()); };
  for (int i = 0; i < 23; ++i) ASSERT_TRUE(api->execute(get_request(server().url("/x")), opts));
  ASSERT_EQ(starts.size(), 23u);
  for (size_t i = 5; i < starts.size(); ++i) {
    EXPECT_GE(starts[i] - starts[i - 5], seconds(1)) << i;  // ≤5 in any 1 s window
  }
  EXPECT_EQ(server().request_count(), 23u);
}

TEST_F(ApiClientTest, InsecureRemoteUrlIsRefusedWithoutARequest) {
  auto api = client();
  auto r = api->execute(get_request("http://sellapi.quosalsell.com/api/quotes"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
  EXPECT_EQ(host_->metrics().requests.load(), 0u);
}

TEST_F(ApiClientTest, GetJsonParsesOrReportsMalformedWithoutRetrying) {
  script()->then(reply(200, R"({"a":[1,2]})")).then(reply(200, "<html>oops</html>"));
  auto api = client();
  auto ok = api->get_json(server().url("/a"));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["a"][1], 2);
  auto bad = api->get_json(server().url("/b"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(server().request_count(), 2u);
}

}  // namespace
}  // namespace cwsync
