// Tenants found through one Autotask zone lookup host live in different zones,
// which are different hosts: each zone host has its own breaker, ceiling and
// metrics, so an outage of one zone leaves the tenants of the others alone.
// Two in-process cwsims over 127.0.0.1: `lookup_` is the zone lookup host and
// the zone of tenant "near" (pinned there); `far_` serves tenant "far"'s
// database, which lookup_'s zone lookup names. Real time, bounded: every call
// is one attempt and the breaker opens after three failures.
#include <gtest/gtest.h>

#include <memory>

#include "base/clock.h"
#include "sim_connections.h"
#include "simulator.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/http/http_poco.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"
#include "sync/psa_provider.h"
#include "sync/tenant_clients.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kTicket = "Tickets/1001";

std::unique_ptr<cwsim::Simulator> start_sim(unsigned seed) {
  cwsim::Options o;
  o.seed = seed;
  o.quotes = 5;
  o.opportunities = 5;
  o.tickets = 4;
  o.now = "2026-11-01T00:00:00Z";
  o.at_threshold_delay_ms = 0;
  auto sim = std::make_unique<cwsim::Simulator>(o);
  sim->start();
  return sim;
}

class AutotaskZoneHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lookup_ = start_sim(1);
    far_ = start_sim(2);
    auto r = lookup_->control("POST", "/_sim/autotask/zone",
                              {{"path_prefix", ""}, {"url", far_root()}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    defaults_.backoff.max_attempts = 1;  // one attempt per call: each failure counts once
    defaults_.breaker.failures = 3;
    defaults_.breaker.cool_down = 60s;
    defaults_.http.connect = 2s;
    defaults_.http.read = 5s;
    far_tenant_.name = "far";
    far_tenant_.psa = sim_autotask(*lookup_, lookup_->options());  // looked up at lookup_
    near_tenant_.name = "near";
    near_tenant_.psa = sim_autotask(*lookup_, lookup_->options(), kTestRateLimit,
                                    /*pin_zone=*/true);
    env_ = std::make_unique<SyncEnvironment>(
        SyncEnvironment{*http_, hosts_, waiter_, SystemClock::instance(), seeded_random(3)});
  }

  std::string far_root() const { return far_->base_url() + "/ATServicesRest/"; }
  const HostMetricsSnapshot* host_named(const std::string& key) {
    snapshot_ = hosts_.snapshot(SystemClock::instance().now());
    for (const auto& h : snapshot_) {
      if (h.host == key) return &h;
    }
    return nullptr;
  }

  std::unique_ptr<cwsim::Simulator> lookup_, far_;
  std::unique_ptr<HttpClient> http_ = make_poco_http_client();
  Defaults defaults_;
  Tenant far_tenant_, near_tenant_;
  UpstreamRegistry hosts_;
  StopWaiter waiter_;
  std::unique_ptr<SyncEnvironment> env_;
  std::vector<HostMetricsSnapshot> snapshot_;
};

TEST_F(AutotaskZoneHostsTest, AnOutageOfOneZoneOpensOnlyThatZonesBreaker) {
  TenantClients far(defaults_, far_tenant_, *env_);
  TenantClients near(defaults_, near_tenant_, *env_);
  auto first = far.autotask()->get_json(kTicket);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_EQ(far.autotask()->zone(), far_root()) << "the lookup named the other host";

  // far's zone goes down: every Autotask call there answers 503.
  ASSERT_EQ(far_->control("POST", "/_sim/faults",
                          {{"kind", "status"}, {"status", 503}, {"api", "autotask"}, {"count", -1}})
                .status,
            200);
  for (int i = 0; i < defaults_.breaker.failures; ++i) {
    EXPECT_FALSE(far.autotask()->get_json(kTicket).ok());
  }
  const TimePoint now = SystemClock::instance().now();
  EXPECT_TRUE(far.psa_provider()->unavailable_until(now).has_value()) << "far's zone is down";
  auto refused = far.autotask()->get_json(kTicket);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().fast_fail) << refused.error().describe();

  // The lookup host, and the tenant whose zone it is, are untouched.
  EXPECT_FALSE(near.psa_provider()->unavailable_until(now).has_value());
  auto served = near.autotask()->get_json(kTicket);
  EXPECT_TRUE(served.ok()) << served.error().describe();

  const HostMetricsSnapshot* far_host = host_named(host_key(far_->base_url()));
  ASSERT_NE(far_host, nullptr);
  EXPECT_EQ(far_host->breaker, CircuitBreaker::State::kOpen);
  EXPECT_EQ(far_host->status_5xx, static_cast<std::uint64_t>(defaults_.breaker.failures));
  EXPECT_EQ(far_host->breaker_rejections, 1u);
  const HostMetricsSnapshot* lookup_host = host_named(host_key(lookup_->base_url()));
  ASSERT_NE(lookup_host, nullptr);
  EXPECT_EQ(lookup_host->breaker, CircuitBreaker::State::kClosed);
  EXPECT_EQ(lookup_host->status_5xx, 0u);
  // The zone lookup and near's call went to the lookup host; far's calls did not.
  EXPECT_EQ(lookup_host->requests, 2u);
}

}  // namespace
}  // namespace cwsync::test
