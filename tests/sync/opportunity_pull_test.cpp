// Opportunities: source psa (PSA /sales/opportunities) and source quotes
// (derived from the latest quote versions), against cwsim.
#include <gtest/gtest.h>

#include "sync/connectwise/opportunity_puller.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

TEST_F(PullTest, PsaInitialSyncEqualsUpstreamAndIdleIsOneRequest) {
  auto r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  expect_opportunities_match_upstream();
  // The first request carried the forward-only header and the PSA query.
  bool saw_list = false;
  for (const auto& e : requests()) {
    if (e["path"].get<std::string>().find("/sales/opportunities") != std::string::npos &&
        e["path"].get<std::string>().find("statuses") == std::string::npos) {
      saw_list = true;
      EXPECT_NE(e["query"].get<std::string>().find("orderBy"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_list);
  auto meta = cache().get_meta("acme", kStatusMetaKey);
  ASSERT_TRUE(meta.ok() && meta->has_value());

  clear_requests();
  r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok());
  auto log = requests();
  ASSERT_EQ(log.size(), 1u) << log.dump();
  EXPECT_NE(log[0]["query"].get<std::string>().find("lastUpdated"), std::string::npos);
}

TEST_F(PullTest, PsaStatusesMapToOpenWonLost) {
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  json statuses = sim_->control("GET", "/_sim/store/opportunity-statuses").body["statuses"];
  std::int64_t won = -1, lost = -1;
  for (const auto& s : statuses) {
    if (s.value("wonFlag", false) && won < 0) won = s["id"].get<std::int64_t>();
    if (s.value("lostFlag", false) && lost < 0) lost = s["id"].get<std::int64_t>();
  }
  ASSERT_GE(won, 0);
  ASSERT_GE(lost, 0);
  json opps = sim_->control("GET", "/_sim/store/opportunities").body["opportunities"];
  std::int64_t a = opps[0]["id"], b = opps[1]["id"];
  mutate({{"entity", "opportunities"}, {"kind", "modify"}, {"ids", {a}},
          {"fields", {{"status", {{"id", won}}}}}, {"timestamp", "2026-11-01T00:00:03Z"}});
  mutate({{"entity", "opportunities"}, {"kind", "modify"}, {"ids", {b}},
          {"fields", {{"status", {{"id", lost}}}}}, {"timestamp", "2026-11-01T00:00:03Z"}});
  auto created = mutate({{"entity", "opportunities"}, {"kind", "create"}, {"count", 2},
                         {"timestamp", "2026-11-01T00:00:03Z"}});
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  expect_opportunities_match_upstream();
  EXPECT_EQ((*cache().get_opportunity("acme", std::to_string(a)))->status,
            storage::OpportunityStatus::kWon);
  EXPECT_EQ((*cache().get_opportunity("acme", std::to_string(b)))->status,
            storage::OpportunityStatus::kLost);
  std::int64_t c = created["affected"][0];
  EXPECT_EQ((*cache().get_opportunity("acme", std::to_string(c)))->status,
            storage::OpportunityStatus::kOpen);
}

TEST_F(PullTest, PsaDeletesAreTombstonedByReconcile) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  auto gone = mutate({{"entity", "opportunities"}, {"kind", "delete"}, {"count", 4}});
  auto r = pass(PassEntity::kReconcile);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.deleted, 4);
  expect_opportunities_match_upstream();
  for (const auto& id : gone["affected"]) {
    EXPECT_FALSE(cache().get_opportunity("acme", std::to_string(id.get<std::int64_t>()))->has_value());
  }
}

TEST_F(PullTest, QuotesSourceDerivesPipelineFromLatestVersions) {
  start(pull_sim_options(), OpportunitySource::kQuotes);
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  clear_requests();
  auto r = pass(PassEntity::kOpportunities);  // nothing to fetch for source quotes
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(requests().size(), 0u);
  auto check = [&] {
    json quotes = sim_->control("GET", "/_sim/store/quotes?visible=1").body["quotes"];
    auto counts = *cache().counts("acme");
    EXPECT_EQ(counts.opportunities, static_cast<std::int64_t>(quotes.size()));
    for (const auto& q : quotes) {
      auto o = *cache().get_opportunity("acme", std::to_string(q["quoteNumber"].get<std::int64_t>()));
      ASSERT_TRUE(o.has_value());
      // The contract: accepted wins over lost (docs/schema.md, cpq_opportunities).
      storage::OpportunityStatus want = storage::OpportunityStatus::kOpen;
      if (q["isAccepted"].get<bool>()) want = storage::OpportunityStatus::kWon;
      else if (q["isLost"].get<bool>()) want = storage::OpportunityStatus::kLost;
      else if (!q["wonOrLostDate"].is_null()) want = storage::OpportunityStatus::kWon;
      EXPECT_EQ(o->status, want) << q.dump();
      EXPECT_EQ(o->source, OpportunitySource::kQuotes);
      EXPECT_NEAR(*o->value, q["quoteTotal"].get<double>(), 1e-6);
    }
  };
  check();
  mutate({{"entity", "quotes"}, {"kind", "bump_version"}, {"count", 3}, {"timestamp", "2026-11-01T00:00:02Z"}});
  mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 3}, {"fields", {{"isLost", true}}},
          {"timestamp", "2026-11-01T00:00:02Z"}});
  mutate({{"entity", "quotes"}, {"kind", "delete"}, {"count", 2}});
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  auto rec = pass(PassEntity::kReconcile);
  ASSERT_TRUE(rec.status.ok()) << rec.status.error().describe();
  check();
}

TEST_F(PullTest, PsaSurvivesThrottlingAndServerErrorsWithinTheRateLimit) {
  tenant_.psa->rate_limit = RateLimit{6, std::chrono::milliseconds(300)};
  rebuild_clients();
  add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 1}, {"api", "psa"},
             {"path", "*/sales/opportunities"}, {"count", 2}});
  add_fault({{"kind", "status"}, {"status", 503}, {"api", "psa"}, {"path", "*/sales/opportunities"},
             {"after", 1}, {"count", 2}});
  add_fault({{"kind", "reset"}, {"api", "psa"}, {"path", "*/sales/opportunities"}, {"after", 2},
             {"count", 1}});
  auto r = pass(PassEntity::kOpportunities);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  expect_opportunities_match_upstream();
  std::vector<std::int64_t> at;
  for (const auto& e : requests()) {
    if (e["api"] == "psa") at.push_back(e["arrived_ms"].get<std::int64_t>());
  }
  ASSERT_GT(at.size(), 5u);  // the faults really fired
  for (std::size_t i = 0; i < at.size(); ++i) {
    std::size_t j = i;
    while (j < at.size() && at[j] - at[i] < 300) ++j;
    EXPECT_LE(j - i, 12u) << "window starting at request " << i;  // burst + one refill
  }
}

TEST_F(PullTest, PsaMalformedPageLeavesTheCursorAndNamesThePage) {
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  auto before = *cache().cursor("acme", storage::Entity::kOpportunities);
  mutate({{"entity", "opportunities"}, {"kind", "modify"}, {"count", 60},
          {"timestamp", "2026-11-01T00:30:00Z"}});
  for (const char* kind : {"truncate", "wrong_type"}) {
    SCOPED_TRACE(kind);
    add_fault({{"kind", kind}, {"api", "psa"}, {"path", "*/sales/opportunities"}, {"after", 1},
               {"count", 1}});
    LogCapture logs;
    auto r = pass(PassEntity::kOpportunities);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().kind, ErrorKind::kMalformed);
    auto failed = logs.events("sync_failed");
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_NE(failed[0]["msg"].get<std::string>().find("sales/opportunities page 2"),
              std::string::npos)
        << failed[0].dump();
    EXPECT_EQ(*cache().cursor("acme", storage::Entity::kOpportunities), before);
  }
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  expect_opportunities_match_upstream();
}

TEST_F(PullTest, PsaAuthFailureStopsWithDiagnosis) {
  tenant_.psa->private_key = Secret("nope");
  rebuild_clients();
  auto r = pass(PassEntity::kOpportunities);
  ASSERT_FALSE(r.status.ok());
  EXPECT_TRUE(r.stop_tenant);
  EXPECT_NE(r.diagnosis.find("401"), std::string::npos);
}

}  // namespace
}  // namespace cwsync::test
