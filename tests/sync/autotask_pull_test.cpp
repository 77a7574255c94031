// Autotask opportunities into cpq_opportunities through the pull engine,
// against cwsim's Autotask personality: the same pipeline rows as for a
// ConnectWise tenant, statuses mapped by psa.opportunity_statuses.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sync/reconcile.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

class AutotaskPullTest : public PullTest {
 protected:
  void SetUp() override {
    PullTest::SetUp();
    tenant_.cpq.reset();
    tenant_.psa = sim_autotask(*sim_, sim_->options());
    rebuild_clients();
  }
  // What cwsync should make of a seeded opportunity's (ConnectWise-side)
  // status name, through the Autotask status values and the default mapping.
  static storage::OpportunityStatus expected(const std::string& name) {
    if (name == "Won") return storage::OpportunityStatus::kWon;
    if (name == "Lost" || name == "No Decision") return storage::OpportunityStatus::kLost;
    return storage::OpportunityStatus::kOpen;
  }
  int autotask_queries(const std::string& entity) {
    int n = 0;
    for (const auto& e : requests()) {
      if (e.value("path", "").find(entity + "/query") != std::string::npos) ++n;
    }
    return n;
  }
};

TEST_F(AutotaskPullTest, InitialPullFillsThePipelineAndIdleCostsOneRequest) {
  auto r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  std::map<std::int64_t, json> upstream =
      sim_->with_store([](cwsim::Store& s) { return s.opportunities; });
  auto c = cache();
  auto counts = c.counts("acme");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->opportunities, static_cast<std::int64_t>(upstream.size()));
  int won = 0, lost = 0;
  for (const auto& [id, o] : upstream) {
    auto row = c.get_opportunity("acme", std::to_string(id));
    ASSERT_TRUE(row.ok() && row->has_value()) << id;
    EXPECT_EQ((*row)->name, o["name"].get<std::string>()) << id;
    EXPECT_EQ((*row)->status, expected(o["status"]["name"].get<std::string>())) << id;
    EXPECT_TRUE((*row)->status_name.has_value()) << "the picklist label";
    EXPECT_TRUE((*row)->value.has_value()) << "the opportunity's amount";
    EXPECT_EQ((*row)->client_name, o["company"]["name"].get<std::string>()) << "companyName";
    EXPECT_EQ((*row)->last_updated, upstream_time(o["_info"]["lastUpdated"])) << id;
    won += (*row)->status == storage::OpportunityStatus::kWon;
    lost += (*row)->status == storage::OpportunityStatus::kLost;
  }
  EXPECT_GT(won, 0);
  EXPECT_GT(lost, 0);
  EXPECT_EQ(autotask_queries("Opportunities"), 1) << "60 rows fit one page of 500";
  // The page's companies are named by one batched query.
  EXPECT_EQ(autotask_queries("Companies"), 1);
  for (const auto& e : requests()) {
    if (e.value("path", "").find("Companies/query") == std::string::npos) continue;
    const json body = json::parse(e.value("body", "{}"), nullptr, false);
    ASSERT_TRUE(body.is_object()) << e.dump();
    EXPECT_EQ(body["filter"][0].value("op", ""), "in") << e.dump();
    EXPECT_EQ(body["IncludeFields"], json::array({"id", "companyName"})) << e.dump();
  }
  // Without CPQ no quote is linked: the views value each item at its amount.
  auto open = c.backlog("acme", 0, SysClock::now());
  ASSERT_TRUE(open.ok());
  ASSERT_FALSE(open->empty());
  for (const storage::PipelineItem& i : *open) {
    auto row = c.get_opportunity("acme", i.id);
    ASSERT_TRUE(row.ok() && row->has_value()) << i.id;
    EXPECT_EQ(i.value, (*row)->value.value_or(-1)) << i.id;
    EXPECT_GT(i.value, 0) << i.id;
  }

  clear_requests();
  r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok());
  auto log = requests();
  // The picklist labels and the usage were read a moment ago (the first
  // pull): connection_state_test has when they are read again.
  ASSERT_EQ(log.size(), 1u) << "one query: " << log.dump();
  EXPECT_NE(log[0]["body"].dump().find("lastActivity"), std::string::npos) << log[0].dump();
  auto usage = cache().get_usage("acme");
  ASSERT_TRUE(usage.ok() && usage->has_value());
  EXPECT_EQ((*usage)->limit, 10000);
  EXPECT_GT((*usage)->used, 0);
}

TEST_F(AutotaskPullTest, PagesFollowNextPageUrlWithTheSameBody) {
  start(pull_sim_options(5, 1100));
  tenant_.cpq.reset();
  tenant_.psa = sim_autotask(*sim_, sim_->options());
  rebuild_clients();
  auto r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(cache().counts("acme")->opportunities, 1100);
  std::vector<json> pages;
  for (const auto& e : requests()) {
    if (e.value("path", "").find("Opportunities/query") != std::string::npos) pages.push_back(e);
  }
  ASSERT_EQ(pages.size(), 3u) << "500 + 500 + 100";
  for (const auto& p : pages) {
    EXPECT_EQ(p["method"], "POST");
    EXPECT_EQ(p["body"], pages[0]["body"]) << "the same body on every page";
  }
  EXPECT_NE(pages[1]["path"].get<std::string>().find("query/next"), std::string::npos);
}

TEST_F(AutotaskPullTest, AChangeIsPickedUpIncrementallyAndTheMappingIsConfigurable) {
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  std::map<std::int64_t, json> upstream =
      sim_->with_store([](cwsim::Store& s) { return s.opportunities; });
  const std::int64_t id = upstream.begin()->first;
  mutate({{"entity", "opportunities"}, {"kind", "modify"}, {"ids", {id}},
          {"fields", {{"name", "Renamed in Autotask"}}}, {"timestamp", "2026-10-31T00:00:00Z"}});
  auto r = pass(PassEntity::kOpportunities, /*full=*/true);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  auto row = cache().get_opportunity("acme", std::to_string(id));
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->name, "Renamed in Autotask");

  // Every status counts as won when the operator says so.
  tenant_.psa->autotask->won_statuses = {0, 1, 2, 3, 4};
  tenant_.psa->autotask->lost_statuses = {};
  rebuild_clients();
  ASSERT_TRUE(pass(PassEntity::kOpportunities, /*full=*/true).status.ok());
  row = cache().get_opportunity("acme", std::to_string(id));
  EXPECT_EQ((*row)->status, storage::OpportunityStatus::kWon);
}

TEST_F(AutotaskPullTest, ReconcileTombstonesADeletedOpportunity) {
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  auto gone = mutate({{"entity", "opportunities"}, {"kind", "delete"}, {"count", 2}});
  auto r = pass(PassEntity::kReconcile);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.deleted, 2);
  EXPECT_EQ(gone["affected"].size(), 2u);
  EXPECT_EQ(cache().counts("acme")->opportunities_deleted, 2);
}

TEST_F(AutotaskPullTest, AFourthConcurrentRequestWaitsForASlotInsteadOfMeetingTheThreadLimit) {
  // Three slow queries hold Autotask's three slots for the endpoint; a fourth
  // at the same time waits at our own cap until one is free, instead of
  // drawing a 429 (real time: this is about concurrency; bounded by the
  // delay). That a server 429 still backs off: autotask_concurrency_test.
  LogCapture logs;
  add_fault({{"api", "autotask"}, {"kind", "delay"}, {"method", "POST"},
             {"path", "*/Tickets/query"}, {"delay_ms", 600}, {"count", 3}});
  AutotaskEndpoint& at = *clients_->autotask();
  ASSERT_TRUE(at.zone_url().ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  auto busy = [&] {
    json limits = sim_->control("GET", "/_sim/autotask").body["autotask"];
    return limits["in_flight"].value("tickets", 0);
  };
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      if (k == 3) {  // once the three hold their slots (bounded: the delay ends them)
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (busy() < 3 && std::chrono::steady_clock::now() < end) std::this_thread::yield();
      }
      auto r = at.query("Tickets", json::array({at_filter("gte", "id", 0)}), {"id"},
                        [](const Page&) -> Result<PageVerdict> { return PageVerdict{1, true}; });
      if (r.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  json limits = sim_->control("GET", "/_sim/autotask").body["autotask"];
  EXPECT_EQ(limits["rejected_threads"].get<int>(), 0) << limits;
  EXPECT_EQ(autotask_queries("Tickets"), 4) << "one request each, no retry";
  auto waited = logs.events("autotask_slot_waited");
  ASSERT_EQ(waited.size(), 1u);
  EXPECT_EQ(waited[0]["endpoint"], "tickets");
}

TEST_F(AutotaskPullTest, ABadIntegrationCodeStopsTheTenantWithPlainWords) {
  tenant_.psa->autotask->integration_code = "WRONG";
  rebuild_clients();
  auto r = pass(PassEntity::kOpportunities);
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(r.stop_tenant);
  EXPECT_NE(r.diagnosis.find("integration code"), std::string::npos) << r.diagnosis;
}

}  // namespace
}  // namespace cwsync::test
