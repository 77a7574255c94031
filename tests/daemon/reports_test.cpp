// Reports over a real migrated SQLite file, filled through storage's typed
// API (as the sync jobs will), then read back as text, JSON, metrics and the
// /api/cpq/* answers.
#include "daemon/reports.h"

#include <gtest/gtest.h>

#include <regex>

#include "daemon/metrics.h"
#include "storage/cache_store.h"
#include "storage/migrations.h"
#include "storage/queue_store.h"
#include "temp_dir.h"

namespace cwsync::daemon {
namespace {

using namespace std::chrono_literals;

TimePoint days_before(TimePoint t, double days) {
  return t - std::chrono::duration_cast<SysClock::duration>(
                 std::chrono::duration<double, std::ratio<86400>>(days));
}

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::Database::open(path_);
    ASSERT_TRUE(db.ok()) << db.error().describe();
    db_.emplace(std::move(*db));
    ASSERT_TRUE(storage::migrate(*db_).ok());
    Tenant t;
    t.name = "acme";
    config_.tenants.push_back(t);
    config_.database = path_;
  }

  void opp(const std::string& id, storage::OpportunityStatus status, double value,
           double entered_days, std::optional<double> closed_days) {
    storage::OpportunityRow r;
    r.source = OpportunitySource::kQuotes;
    r.id = id;
    r.name = "Opp " + id;
    r.client_name = "Client " + id;
    r.status = status;
    r.stage_name = "Proposal";
    r.value = value;
    r.date_entered = days_before(now_, entered_days);
    if (closed_days) r.closed_date = days_before(now_, *closed_days);
    r.last_updated = days_before(now_, closed_days.value_or(entered_days));
    r.raw_json = "{}";
    storage::CacheStore cache(*db_);
    auto page = cache.begin_page("acme", now_);
    ASSERT_TRUE(page.ok());
    ASSERT_TRUE(page->upsert_opportunity(r).ok());
    ASSERT_TRUE(page->commit().ok());
  }

  void seed() {
    using S = storage::OpportunityStatus;
    opp("A", S::kOpen, 100, 10.5, {});
    opp("B", S::kOpen, 1234.5, 60.5, {});
    opp("C", S::kWon, 200, 90.5, 5.5);
    opp("E", S::kLost, 70, 90.5, 10.5);
  }

  cwsync::test::TempDir dir_;
  std::string path_ = dir_.file("cache.db").string();
  std::optional<storage::Database> db_;
  Config config_;
  const TimePoint now_ = SysClock::now();
};

TEST_F(ReportsTest, FormatMoney) {
  EXPECT_EQ(format_money(0), "0.00");
  EXPECT_EQ(format_money(1234567.891), "1,234,567.89");
  EXPECT_EQ(format_money(-1234.5), "-1,234.50");
  EXPECT_EQ(format_money(999.999), "1,000.00");
  EXPECT_EQ(format_money(100), "100.00");
  EXPECT_EQ(format_money(-0.001), "0.00");
}

TEST_F(ReportsTest, PipelineTotalsWinRateAndRecentItems) {
  seed();
  auto r = read_pipeline(*db_, "acme", 30, 10, now_);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->summary.open_count, 2);
  EXPECT_DOUBLE_EQ(r->summary.open_value, 1334.5);
  EXPECT_EQ(r->summary.won_count, 1);
  EXPECT_EQ(r->summary.lost_count, 1);
  ASSERT_EQ(r->recent.size(), 4u);
  EXPECT_EQ(r->recent.front().id, "C");  // most recently updated

  nlohmann::json j = pipeline_json(*r);
  EXPECT_EQ(j["open_opportunities"], 2);
  EXPECT_EQ(j["won_opportunities"], 1);
  EXPECT_EQ(j["opportunities"], 4);
  EXPECT_DOUBLE_EQ(j["open_value"].get<double>(), 1334.5);
  EXPECT_DOUBLE_EQ(j["win_rate"].get<double>(), 0.5);
  EXPECT_EQ(j["recent"].size(), 4u);

  std::string text = pipeline_text(*r);
  EXPECT_NE(text.find("Pro Services pipeline: acme (last 30 days)"), std::string::npos) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(Open:\s+2 opportunities\s+1,334\.50)"))) << text;
  EXPECT_NE(text.find("1,334.50"), std::string::npos) << text;
  EXPECT_NE(text.find("Win rate: 50.0%"), std::string::npos) << text;
  EXPECT_NE(text.find("Opp C (Client C)"), std::string::npos) << text;
}

TEST_F(ReportsTest, EmptyPipelineHasNoWinRate) {
  auto r = read_pipeline(*db_, "acme", 30, 10, now_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(pipeline_json(*r)["win_rate"].is_null());
  EXPECT_NE(pipeline_text(*r).find("Win rate: n/a"), std::string::npos);
}

TEST_F(ReportsTest, BacklogOldestFirstWithAgeAndRisk) {
  seed();
  auto r = read_backlog(*db_, "acme", 10, now_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items.size(), 2u);
  std::string text = backlog_text(*r);
  auto b = text.find("60 days");
  auto a = text.find("10 days");
  ASSERT_NE(b, std::string::npos) << text;
  ASSERT_NE(a, std::string::npos) << text;
  EXPECT_LT(b, a);
  EXPECT_NE(text.find("Opp B (Client B)  [at risk]"), std::string::npos) << text;
  nlohmann::json j = backlog_json(*r);
  EXPECT_EQ(j["items"][0]["id"], "B");
  EXPECT_EQ(j["items"][0]["age_days"], 60);
  EXPECT_EQ(j["items"][0]["at_risk"], true);
}

TEST_F(ReportsTest, StatusShowsLastSyncErrorsAndQueue) {
  storage::CacheStore cache(*db_);
  auto run = cache.start_run("acme", storage::Entity::kQuotes, storage::RunKind::kIncremental,
                             now_ - 3min);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(cache.finish_run(*run, storage::RunOutcome{}, now_ - 2min).ok());
  auto failed = cache.start_run("acme", storage::Entity::kOpportunities,
                                storage::RunKind::kIncremental, now_ - 1min);
  ASSERT_TRUE(failed.ok());
  storage::RunOutcome bad;
  bad.status = storage::RunStatus::kFailed;
  bad.error = "GET /sales/opportunities: HTTP 401";
  ASSERT_TRUE(cache.finish_run(*failed, bad, now_ - 1min).ok());

  storage::QueueStore queue(*db_);
  for (int i = 0; i < 3; ++i) {
    storage::NewPost p;
    p.tenant = "acme";
    p.ticket_id = 100 + i;
    p.payload_json = R"({"text":"hello"})";
    ASSERT_TRUE(queue.enqueue(p, now_ - 10min).ok());
  }
  auto claimed = queue.claim_due(now_, 2min, 1);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_TRUE(queue.dead_letter(claimed->front().post.id, "HTTP 400", 400, now_).ok());

  auto counts = queue_counts(*db_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 2);
  EXPECT_EQ(counts->dead, 1);

  auto status = read_status(*db_, &config_, std::nullopt, now_);
  ASSERT_TRUE(status.ok()) << status.error().describe();
  ASSERT_EQ(status->size(), 1u);
  std::string text = status_text(*status, now_);
  EXPECT_NE(text.find("quotes         last sync"), std::string::npos) << text;
  EXPECT_NE(text.find("(2m ago)"), std::string::npos) << text;
  EXPECT_NE(text.find("last error: GET /sales/opportunities: HTTP 401"), std::string::npos) << text;
  EXPECT_NE(text.find("2 pending, 0 in flight, 0 succeeded, 1 dead (oldest pending 10m ago)"),
            std::string::npos) << text;

  nlohmann::json j = status_json(*status, now_);
  const auto& t = j["tenants"][0];
  EXPECT_EQ(t["tenant"], "acme");
  EXPECT_EQ(t["configured"], true);
  EXPECT_EQ(t["queue"]["dead"], 1);
  EXPECT_EQ(t["queue"]["oldest_pending_age_s"], 600);
  bool saw_quotes = false;
  for (const auto& e : t["entities"]) {
    if (e["entity"] == "quotes") {
      saw_quotes = true;
      EXPECT_EQ(e["last_sync_age_s"], 120);
    }
  }
  EXPECT_TRUE(saw_quotes);

  Metrics m;
  collect_queue_metrics(path_, {"acme", "idle"}, m, now_);
  EXPECT_EQ(m.value(metric::kQueuePosts, {{"tenant", "idle"}, {"status", "dead"}}), 0);
  EXPECT_NE(m.render().find("cwsync_queue_posts{tenant=\"idle\",status=\"pending\"} 0"), std::string::npos);
  EXPECT_EQ(m.value(metric::kQueuePosts, {{"tenant", "acme"}, {"status", "pending"}}), 2);
  EXPECT_EQ(m.value(metric::kDeadPosts, {}), 1);
  EXPECT_NEAR(m.value(metric::kOldestPending, {}), 600, 1);
}

TEST_F(ReportsTest, StatusAndMetricsShowPausesStopsAndJobFailures) {
  storage::StateStore states(*db_);
  using storage::TenantState;
  ASSERT_TRUE(states.set({"acme", TenantState::kQueuePaused, "", "HTTP 401", now_ + 14min, {}},
                         now_ - 1min).ok());
  ASSERT_TRUE(states.set({"acme", TenantState::kPullsStopped, "401 Unauthorized", "", {}, {}},
                         now_ - 1min).ok());
  ASSERT_TRUE(states.set({"acme", TenantState::kJobFailed, "pull_quotes",
                          "database or disk is full", {}, {}}, now_ - 30s).ok());
  auto status = read_status(*db_, &config_, std::nullopt, now_);
  ASSERT_TRUE(status.ok()) << status.error().describe();
  nlohmann::json t = status_json(*status, now_)["tenants"][0];
  EXPECT_EQ(t["queue"]["paused"]["active"], true);
  EXPECT_EQ(t["queue"]["paused"]["reason"], "HTTP 401");
  EXPECT_EQ(t["queue"]["paused"]["until"], format_iso8601(now_ + 14min));
  EXPECT_EQ(t["pulls_stopped"]["active"], true);
  EXPECT_TRUE(t["pulls_stopped"]["until"].is_null());
  ASSERT_EQ(t["job_failures"].size(), 1u);
  EXPECT_EQ(t["job_failures"][0]["job"], "pull_quotes");
  EXPECT_EQ(t["job_failures"][0]["error"], "database or disk is full");
  std::string text = status_text(*status, now_);
  EXPECT_NE(text.find("queue PAUSED"), std::string::npos) << text;
  EXPECT_NE(text.find("pulls STOPPED"), std::string::npos) << text;
  EXPECT_NE(text.find("database or disk is full"), std::string::npos) << text;

  Metrics m;
  collect_queue_metrics(path_, {"acme"}, m, now_);
  EXPECT_EQ(m.value(metric::kTenantState, {{"tenant", "acme"}, {"state", "queue_paused"}}), 1);
  EXPECT_EQ(m.value(metric::kTenantState, {{"tenant", "acme"}, {"state", "pulls_stopped"}}), 1);
  EXPECT_NEAR(m.value(metric::kTenantStateUntil, {{"tenant", "acme"}, {"state", "queue_paused"}}),
              std::chrono::duration<double>((now_ + 14min).time_since_epoch()).count(), 1);
  EXPECT_GT(m.value(metric::kJobLastFailure, {{"tenant", "acme"}, {"job", "pull_quotes"}}), 0);

  // Lifted: the gauges go with the rows.
  ASSERT_TRUE(states.clear("acme", TenantState::kQueuePaused).ok());
  collect_queue_metrics(path_, {"acme"}, m, now_);
  EXPECT_EQ(m.render().find("state=\"queue_paused\""), std::string::npos);
}

TEST_F(ReportsTest, CpqApiAnswersFromTheCache) {
  seed();
  auto p = serve_cpq_api(path_, config_, "/api/cpq/pipeline", {{"tenant", "acme"}}, now_);
  EXPECT_EQ(p.status, 200);
  EXPECT_DOUBLE_EQ(p.body["open_value"].get<double>(), 1334.5);
  auto all = serve_cpq_api(path_, config_, "/api/cpq/backlog", {}, now_);
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(all.body["tenants"][0]["items"][0]["id"], "B");
  EXPECT_EQ(serve_cpq_api(path_, config_, "/api/cpq/pipeline", {{"tenant", "nope"}}, now_).status, 404);
  EXPECT_EQ(serve_cpq_api(path_, config_, "/api/cpq/pipeline", {{"days", "0"}}, now_).status, 400);
  EXPECT_EQ(serve_cpq_api(path_, config_, "/api/cpq/pipeline", {{"days", "x"}}, now_).status, 200)
      << "an unparsable number falls back to the default";
  EXPECT_EQ(serve_cpq_api(dir_.file("missing.db").string(), config_, "/api/cpq/pipeline", {}, now_).status,
            503);
}

}  // namespace
}  // namespace cwsync::daemon
