// Which connections share a rate budget (sync/tenant_clients.h budget_key).
#include <gtest/gtest.h>

#include "sync/tenant_clients.h"

namespace cwsync {
namespace {

using std::chrono::seconds;

CpqConnection cpq(std::string access_key, std::string public_key) {
  CpqConnection c;
  c.base_url = "https://sellapi.quosalsell.com";
  c.access_key = std::move(access_key);
  c.public_key = std::move(public_key);
  return c;
}

PsaConnection psa(std::string company, std::string public_key) {
  PsaConnection p;
  p.site = "https://api-na.myconnectwise.net";
  p.company_id = std::move(company);
  p.public_key = std::move(public_key);
  return p;
}

TEST(BudgetKeyTest, EachTenantConnectionHasItsOwnBudgetOnASharedHost) {
  EXPECT_NE(budget_key(cpq("acme", "k1")), budget_key(cpq("beta", "k2")));
  EXPECT_NE(budget_key(psa("acme", "k1")), budget_key(psa("beta", "k1")));
  EXPECT_NE(budget_key(cpq("acme", "k1")), budget_key(psa("acme", "k1")));  // per API
}

TEST(BudgetKeyTest, TheSameCredentialsShareOneBudget) {
  // The upstream counts per key: two tenant entries with one key are one budget.
  EXPECT_EQ(budget_key(psa("Acme", "k1")), budget_key(psa("acme", "k1")));
  EXPECT_EQ(budget_key(cpq("acme", "k1")), budget_key(cpq("acme", "k1")));
}

TEST(BudgetKeyTest, AnExplicitBudgetNameIsSharedAcrossConnections) {
  // e.g. two tenants on one Autotask database, whose limit is per database.
  auto a = psa("contoso", "k1");
  auto b = psa("contoso-eu", "k2");
  a.budget = b.budget = "contoso_db";
  EXPECT_EQ(budget_key(a), budget_key(b));
  EXPECT_EQ(budget_key(a), "budget:contoso_db");
}

TEST(BudgetKeyTest, ConfigureUpstreamsGivesASharedBudgetTheStricterLimit) {
  Config cfg;
  Tenant t1, t2, t3;
  t1.name = "one";
  t1.psa = psa("one", "k1");
  t1.psa->budget = "shared";
  t1.psa->rate_limit = {100, seconds(60)};
  t2.name = "two";
  t2.psa = psa("two", "k2");
  t2.psa->budget = "shared";
  t2.psa->rate_limit = {40, seconds(60)};
  t3.name = "three";
  t3.cpq = cpq("three", "k3");
  t3.cpq->rate_limit = {25, seconds(5)};
  cfg.tenants = {t1, t2, t3};
  cfg.hosts = {{"sellapi.quosalsell.com", {200, seconds(5)}}};

  UpstreamRegistry registry;
  configure_upstreams(registry, cfg);
  EXPECT_EQ(registry.budget("budget:shared", {1000, seconds(1)})->limit().requests, 40);
  EXPECT_EQ(registry.budget(budget_key(*t3.cpq), {1, seconds(1)})->limit().requests, 25);
  auto host = registry.host(host_key(t3.cpq->base_url), {});
  ASSERT_TRUE(host->ceiling().has_value());
  EXPECT_EQ(host->ceiling()->requests, 200);
}

}  // namespace
}  // namespace cwsync
