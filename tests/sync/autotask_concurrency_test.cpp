// Autotask's 3-requests-per-endpoint limit met from our side, against cwsim
// (which answers a 4th concurrent request on an endpoint with 429) over
// 127.0.0.1: twelve callers on one API user through a queue-lane and a
// pull-lane client, with cwsim holding every request a while so they overlap.
// Real time (the latency is real), bounded: each run is a few hundred ms.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "sim_connections.h"
#include "simulator.h"
#include "sync/autotask/at_auth.h"
#include "sync/autotask/at_concurrency.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/autotask/at_errors.h"
#include "sync/http/http_poco.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"
#include "sync/tenant_clients.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kCallers = 12;

struct LoadResult {
  int ok = 0;
  int failed = 0;
  int cancelled = 0;
  int attempts = 0;         // on_attempt calls, all callers
  Millis wall{0};
  std::string first_error;  // of a failed caller, for the assertion message
  std::chrono::steady_clock::time_point last_cancelled{};  // when the last cancelled caller returned
};

class AutotaskConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwsim::Options o;
    o.seed = 11;
    o.quotes = 10;
    o.opportunities = 10;
    o.tickets = 6;
    o.now = "2026-11-01T00:00:00Z";
    o.at_threshold_delay_ms = 0;
    o.threads = 32;  // every caller gets a server thread: cwsim, not its pool, decides
    sim_ = std::make_unique<cwsim::Simulator>(o);
    sim_->start();
    defaults_.backoff.base = 20ms;
    defaults_.backoff.cap = 200ms;
    defaults_.backoff.max_attempts = 12;
    defaults_.retry_after_cap = 3s;
    defaults_.http.connect = 2s;
    defaults_.http.read = 5s;
    tenant_.name = "acme";
    tenant_.psa = sim_autotask(*sim_, o, kTestRateLimit, /*pin_zone=*/true);
    env_ = std::make_unique<SyncEnvironment>(
        SyncEnvironment{*http_, hosts_, waiter_, SystemClock::instance(), seeded_random(3)});
  }

  // cwsim holds every Autotask request `ms` (inside its concurrency slot).
  void add_latency(int ms) {
    auto r = sim_->control("POST", "/_sim/faults",
                           {{"kind", "delay"}, {"api", "autotask"}, {"count", -1}, {"delay_ms", ms}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
  }
  json requests() { return sim_->control("GET", "/_sim/requests").body["requests"]; }
  int logged_with_status(int status) {
    int n = 0;
    for (const json& e : requests()) n += e.value("status", 0) == status;
    return n;
  }
  void forget_requests() {
    sim_->control("DELETE", "/_sim/requests");
    sim_->control("DELETE", "/_sim/autotask");
  }

  // An Autotask client as cwsync built them before the cap: no gate.
  std::unique_ptr<ApiClient> ungated_client(UpstreamRegistry& hosts) {
    const PsaConnection& conn = *tenant_.psa;
    ApiClientOptions options = api_client_options(defaults_, "autotask", tenant_.name, false);
    options.refine_error = refine_autotask_error;
    return std::make_unique<ApiClient>(
        options, ApiClient::Deps{*http_, std::make_shared<AutotaskAuth>(conn),
                                 hosts.host(host_key(conn.site), defaults_.breaker), waiter_,
                                 SystemClock::instance(), seeded_random(5)});
  }

  // Caller k: even ones post a note (the queue's request), odd ones query
  // tickets (a pull's); all count against cwsim's "Tickets" endpoint. They
  // start together. `lane(k)` is the endpoint caller k goes through.
  LoadResult run(const std::function<AutotaskEndpoint&(int)>& lane, int callers = kCallers) {
    std::latch start(callers + 1);
    std::atomic<int> ok{0}, failed{0}, cancelled{0}, attempts{0};
    std::mutex mu;
    LoadResult out;
    std::vector<std::thread> threads;
    for (int k = 0; k < callers; ++k) {
      threads.emplace_back([&, k] {
        AutotaskEndpoint& at = lane(k);
        CallOptions o;
        o.on_attempt = [&](const AttemptInfo&) { ++attempts; };
        start.arrive_and_wait();
        Status s = Status();
        if (k % 2 == 0) {
          const std::int64_t ticket = 1001 + k % 6;
          json note = {{"ticketID", ticket}, {"title", "load"},
                       {"description", "caller " + std::to_string(k)},
                       {"noteType", 1}, {"publish", 1}};
          o.resend = Resend::kIfNotApplied;
          auto r = at.execute(json_request("POST", "Tickets/" + std::to_string(ticket) + "/Notes",
                                           note.dump()), o);
          if (!r.ok()) s = r.error();
        } else {
          auto r = at.query("Tickets", json::array({at_filter("gte", "id", 0)}), {"id"},
                            [](const Page&) { return Result<PageVerdict>(PageVerdict{1, true}); },
                            o);
          if (!r.ok()) s = r.error();
        }
        if (s.ok()) {
          ++ok;
        } else if (s.error().kind == ErrorKind::kCancelled) {
          ++cancelled;
          std::lock_guard lock(mu);
          out.last_cancelled = std::max(out.last_cancelled, std::chrono::steady_clock::now());
        } else {
          ++failed;
          std::lock_guard lock(mu);
          if (out.first_error.empty()) out.first_error = s.error().describe();
        }
      });
    }
    const auto t0 = std::chrono::steady_clock::now();
    start.arrive_and_wait();
    for (auto& t : threads) t.join();
    out.wall = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
    out.ok = ok.load();
    out.failed = failed.load();
    out.cancelled = cancelled.load();
    out.attempts = attempts.load();
    return out;
  }

  std::unique_ptr<cwsim::Simulator> sim_;
  std::unique_ptr<HttpClient> http_ = make_poco_http_client();
  Defaults defaults_;
  Tenant tenant_;
  UpstreamRegistry hosts_;
  StopWaiter waiter_;
  std::unique_ptr<SyncEnvironment> env_;
};

TEST_F(AutotaskConcurrencyTest, TwelveCallersOnTwoLanesNeverMeetTheThreadLimit) {
  add_latency(150);

  // Before: the same load through a client without the cap.
  forget_requests();
  UpstreamRegistry before_hosts;
  auto bare = ungated_client(before_hosts);
  AutotaskEndpoint bare_at(*tenant_.psa, *bare);
  LoadResult before = run([&](int) -> AutotaskEndpoint& { return bare_at; });
  const int before_429 = logged_with_status(429);
  const int before_requests = static_cast<int>(requests().size());

  // After: a queue job's and a pull's clients, as the daemon builds them.
  forget_requests();
  TenantClients queue_lane(defaults_, tenant_, *env_);
  TenantClients pull_lane(defaults_, tenant_, *env_);
  LoadResult after = run([&](int k) -> AutotaskEndpoint& {
    return k % 2 == 0 ? *queue_lane.autotask() : *pull_lane.autotask();
  });
  const int after_429 = logged_with_status(429);
  const int after_requests = static_cast<int>(requests().size());

  std::cout << "[ measured ] " << kCallers << " callers, 150 ms latency, cwsim limit 3:\n"
            << "  without cap: " << before_429 << " x 429 in " << before_requests
            << " requests, " << before.ok << " answered, " << before.wall.count() << " ms\n"
            << "  with cap:    " << after_429 << " x 429 in " << after_requests << " requests, "
            << after.ok << " answered, " << after.wall.count() << " ms\n";
  EXPECT_GT(before_429, 0) << "the load must reach cwsim's limit for this test to mean anything";

  EXPECT_EQ(after.ok, kCallers) << after.first_error;
  EXPECT_EQ(after.failed, 0);
  EXPECT_EQ(after_429, 0);
  EXPECT_EQ(after_requests, kCallers) << "one request per caller";
  EXPECT_EQ(after.attempts, kCallers);
  EXPECT_EQ(sim_->control("GET", "/_sim/autotask").body["autotask"]["rejected_threads"], 0);
  EXPECT_EQ(hosts_.snapshot(SystemClock::instance().now()).at(0).throttled, 0u);
  // 12 requests, 3 at a time, 150 ms each: about 4 rounds; far below a timeout.
  EXPECT_GE(after.wall, 4 * 150ms);
  EXPECT_LT(after.wall, 5s);
}

TEST_F(AutotaskConcurrencyTest, AServer429StillBacksOffAndEveryCallIsAnswered) {
  // The database's other integrations (or a stricter server) leave one slot:
  // our three in flight meet 429s, which stay an ordinary throttle.
  constexpr int kFew = 4;
  defaults_.backoff.max_attempts = 30;  // contention is the point; exhausting tries is not
  add_latency(60);
  ASSERT_EQ(sim_->control("POST", "/_sim/autotask", {{"concurrency", 1}}).status, 200);
  forget_requests();
  TenantClients clients(defaults_, tenant_, *env_);
  LoadResult r = run([&](int) -> AutotaskEndpoint& { return *clients.autotask(); }, kFew);
  EXPECT_EQ(r.ok, kFew) << r.first_error;
  EXPECT_EQ(r.failed, 0);
  const int throttled = logged_with_status(429);
  EXPECT_GT(throttled, 0);
  EXPECT_EQ(r.attempts, kFew + throttled) << "every 429 was retried, nothing else";
  const auto host = hosts_.snapshot(SystemClock::instance().now()).at(0);
  EXPECT_EQ(host.throttled, static_cast<std::uint64_t>(throttled));
  EXPECT_EQ(host.retries, static_cast<std::uint64_t>(throttled)) << "each 429: a backoff wait";
  EXPECT_EQ(host.breaker, CircuitBreaker::State::kClosed) << "a 429 is no outage";
  std::cout << "[ measured ] cwsim limit 1, " << kFew << " callers: " << throttled << " x 429, all answered in "
            << r.wall.count() << " ms\n";
}

TEST_F(AutotaskConcurrencyTest, StopEndsTheWaitsForASlotAtOnce) {
  add_latency(1500);
  forget_requests();
  TenantClients queue_lane(defaults_, tenant_, *env_);
  TenantClients pull_lane(defaults_, tenant_, *env_);
  auto slots = std::dynamic_pointer_cast<AutotaskEndpointSlots>(
      autotask_endpoint_slots(hosts_, *tenant_.psa->autotask));
  ASSERT_NE(slots, nullptr);

  std::chrono::steady_clock::time_point stopped_at;
  std::thread stopper([&] {
    for (int i = 0; i < 500 && slots->waiting("tickets") < 6; ++i) std::this_thread::sleep_for(10ms);
    stopped_at = std::chrono::steady_clock::now();
    waiter_.request_stop();  // what SIGTERM does
  });
  LoadResult r = run(
      [&](int k) -> AutotaskEndpoint& {
        return k % 2 == 0 ? *queue_lane.autotask() : *pull_lane.autotask();
      },
      9);
  stopper.join();
  EXPECT_EQ(r.ok, 3) << "the three in flight are answered " << r.first_error;
  EXPECT_EQ(r.cancelled, 6);
  EXPECT_EQ(r.attempts, 3) << "waiting for a slot is not an attempt";
  EXPECT_EQ(static_cast<int>(requests().size()), 3);
  EXPECT_EQ(slots->in_flight("tickets"), 0);
  EXPECT_EQ(slots->waiting("tickets"), 0);
  // The waits end within the gate's stop poll, not when a slot comes free
  // (the in-flight responses take 1.5 s).
  EXPECT_LT(r.last_cancelled - stopped_at, 500ms);
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 3s);
}

}  // namespace
}  // namespace cwsync::test
