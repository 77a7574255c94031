// Rate budgets end to end: two tenants' clients on one cwsim host, real HTTP
// over 127.0.0.1, a ManualClock/ManualWaiter so every budget wait is seen
// and none is slept.
#include <gtest/gtest.h>

#include "sim_connections.h"
#include "simulator.h"
#include "sync/http/http_poco.h"
#include "sync/tenant_clients.h"

namespace cwsync {
namespace {

using namespace std::chrono_literals;

class TenantBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwsim::Options o;
    o.quotes = 5;
    o.tenants = 2;  // access keys cwsim-1 and cwsim-2
    sim_ = std::make_unique<cwsim::Simulator>(o);
    sim_->start();
  }
  Tenant tenant(const std::string& name, const std::string& access_key) {
    Tenant t;
    t.name = name;
    t.cpq = test::sim_cpq(*sim_, sim_->options(), RateLimit{1, 60s});  // one request a minute
    t.cpq->access_key = access_key;
    return t;
  }
  // One GET through `clients`' CPQ client; the waits it caused.
  std::size_t get(TenantClients& clients) {
    const std::size_t before = waiter_.waits().size();
    auto r = clients.cpq()->get_json(clients.cpq_api_base() + "/quotes?pageSize=1");
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return waiter_.waits().size() - before;
  }

  std::unique_ptr<cwsim::Simulator> sim_;
  std::unique_ptr<HttpClient> http_ = make_poco_http_client();
  ManualClock clock_{TimePoint{} + std::chrono::hours(24 * 365 * 56)};
  ManualWaiter waiter_{clock_};
  UpstreamRegistry registry_;
  SyncEnvironment env_{*http_, registry_, waiter_, clock_, seeded_random(1)};
  Defaults defaults_;
};

TEST_F(TenantBudgetTest, OneTenantSpendingItsBudgetDoesNotSlowAnother) {
  Config cfg;
  cfg.tenants = {tenant("acme", "cwsim-1"), tenant("beta", "cwsim-2")};
  configure_upstreams(registry_, cfg);
  TenantClients acme(defaults_, cfg.tenants[0], env_);
  TenantClients beta(defaults_, cfg.tenants[1], env_);
  EXPECT_EQ(get(acme), 0u);
  EXPECT_EQ(get(acme), 1u);                 // acme waits for its own budget ...
  EXPECT_EQ(waiter_.waits().back(), 60s);
  EXPECT_EQ(get(beta), 0u);                 // ... beta, on the same host, does not
}

TEST_F(TenantBudgetTest, AHostCeilingBindsAcrossTenants) {
  Config cfg;
  cfg.tenants = {tenant("acme", "cwsim-1"), tenant("beta", "cwsim-2")};
  cfg.tenants[0].cpq->rate_limit = cfg.tenants[1].cpq->rate_limit = {100, 1s};
  cfg.hosts = {{"127.0.0.1", {1, 30s}}};    // one request per 30 s on this host, all tenants
  configure_upstreams(registry_, cfg);
  TenantClients acme(defaults_, cfg.tenants[0], env_);
  TenantClients beta(defaults_, cfg.tenants[1], env_);
  EXPECT_EQ(get(acme), 0u);
  EXPECT_EQ(get(beta), 1u);                 // beta's budget is fresh; the host's is not
  EXPECT_EQ(waiter_.waits().back(), 30s);
}

TEST_F(TenantBudgetTest, AnExplicitBudgetIsSharedByTheTenantsThatNameIt) {
  Config cfg;
  cfg.tenants = {tenant("acme", "cwsim-1"), tenant("beta", "cwsim-2")};
  cfg.tenants[0].cpq->budget = cfg.tenants[1].cpq->budget = "one_db";
  configure_upstreams(registry_, cfg);
  TenantClients acme(defaults_, cfg.tenants[0], env_);
  TenantClients beta(defaults_, cfg.tenants[1], env_);
  EXPECT_EQ(get(acme), 0u);
  EXPECT_EQ(get(beta), 1u);                 // the budget acme spent was beta's too
}

}  // namespace
}  // namespace cwsync
