// The CPQ quote pull against cwsim over loopback, into a real SQLite file.
#include <gtest/gtest.h>

#include <set>

#include "sync/cpq/cpq_puller.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

int count_requests(const json& log, const std::string& path_prefix) {
  int n = 0;
  for (const auto& r : log) {
    if (r["path"].get<std::string>().rfind(path_prefix, 0) == 0) ++n;
  }
  return n;
}

TEST_F(PullTest, InitialSyncEqualsUpstream) {
  auto r = pass(PassEntity::kQuotes);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  expect_quotes_match_upstream();
  // 120 visible quotes at 50 per page: 3 pages, no more.
  auto log = requests();
  EXPECT_EQ(count_requests(log, "/api/quotes"), 3);
  EXPECT_EQ(r.stats.api_calls, static_cast<std::int64_t>(log.size()));
  auto runs = cache().recent_runs(std::string("acme"), 5);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].outcome.status, storage::RunStatus::kOk);
  EXPECT_EQ((*runs)[0].outcome.pages, 3);
  EXPECT_EQ((*runs)[0].outcome.api_calls, r.stats.api_calls);
  auto cursor = cache().cursor("acme", storage::Entity::kQuotes);
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
}

TEST_F(PullTest, IdleCycleMakesExactlyOneRequest) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  clear_requests();
  auto r = pass(PassEntity::kQuotes);
  ASSERT_TRUE(r.status.ok());
  auto log = requests();
  ASSERT_EQ(log.size(), 1u) << log.dump();
  EXPECT_EQ(log[0]["path"], "/api/quotes");
  EXPECT_NE(log[0]["query"].get<std::string>().find("modifyDate"), std::string::npos);
  EXPECT_EQ(r.stats.upserted, 0);
}

TEST_F(PullTest, MutationsThenIncrementalAndReconcileEqualUpstream) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  // Several edits sharing one timestamp, creates, a version bump, deletes,
  // all stamped just after the initial data.
  mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 7}, {"timestamp", "2026-11-01T00:00:05Z"}});
  mutate({{"entity", "quotes"}, {"kind", "create"}, {"count", 4}, {"timestamp", "2026-11-01T00:00:05Z"}});
  mutate({{"entity", "quotes"}, {"kind", "bump_version"}, {"count", 2}, {"timestamp", "2026-11-01T00:00:06Z"}});
  auto deleted = mutate({{"entity", "quotes"}, {"kind", "delete"}, {"count", 3}});
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  auto rec = pass(PassEntity::kReconcile);
  ASSERT_TRUE(rec.status.ok()) << rec.status.error().describe();
  EXPECT_GE(rec.stats.deleted, 3);
  expect_quotes_match_upstream();
  for (const auto& id : deleted["affected"]) {
    auto q = cache().get_quote("acme", id.get<std::string>());
    ASSERT_TRUE(q.ok());
    EXPECT_FALSE(q->has_value());  // tombstoned, not readable as live
  }
}

TEST_F(PullTest, RecentEditsStayInsideTheSettleWindow) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  // Stamped "now": the cursor must not pass them yet, so each cycle re-reads
  // them and an edit in the same second is never skipped.
  mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 2}});
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 2}});
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  expect_quotes_match_upstream();
  auto cursor = *cache().cursor("acme", storage::Entity::kQuotes);
  EXPECT_LT(cursor->modified_at, SystemClock::instance().now() - std::chrono::minutes(4));
}

TEST_F(PullTest, MalformedPageCommitsNothingAndNamesThePage) {
  ASSERT_TRUE(pass(PassEntity::kQuotes, /*full=*/true).status.ok());
  auto before_cursor = *cache().cursor("acme", storage::Entity::kQuotes);
  mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 120}, {"timestamp", "2026-11-01T00:10:00Z"}});
  for (const char* kind : {"truncate", "wrong_type", "html"}) {
    SCOPED_TRACE(kind);
    // Page 2 of the quote listing goes bad; page 1's rows commit (idempotent
    // upserts), the cursor stays where it was.
    add_fault({{"kind", kind}, {"api", "cpq"}, {"path", "/api/quotes"}, {"after", 1}, {"count", 1}});
    LogCapture logs;
    auto r = pass(PassEntity::kQuotes);
    auto failed = logs.events("sync_failed");
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0]["level"], "error");
    EXPECT_EQ(failed[0]["tenant"], "acme");
    EXPECT_NE(failed[0]["msg"].get<std::string>().find("GET quotes page 2"), std::string::npos)
        << failed[0].dump();
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().kind, ErrorKind::kMalformed);
    EXPECT_NE(r.status.error().describe().find("quotes page 2"), std::string::npos)
        << r.status.error().describe();
    EXPECT_EQ(*cache().cursor("acme", storage::Entity::kQuotes), before_cursor);
    auto runs = *cache().recent_runs(std::string("acme"), 1);
    EXPECT_EQ(runs[0].outcome.status, storage::RunStatus::kFailed);
    ASSERT_TRUE(runs[0].outcome.error.has_value());
    EXPECT_NE(runs[0].outcome.error->find("page 2"), std::string::npos);
  }
  // The next cycle resumes and catches up.
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  expect_quotes_match_upstream();
  EXPECT_NE(*cache().cursor("acme", storage::Entity::kQuotes), before_cursor);
}

TEST_F(PullTest, MalformedItemsPageLeavesItsQuotePageUncommitted) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  auto changed = mutate({{"entity", "quotes"}, {"kind", "modify"}, {"count", 3},
                         {"timestamp", "2026-11-01T00:20:00Z"}});
  std::string id = changed["affected"][0].get<std::string>();
  double before = *(*cache().get_quote("acme", id))->quote_total;
  add_fault({{"kind", "truncate"}, {"api", "cpq"}, {"path", "/api/quoteItems"}, {"count", 1}});
  auto r = pass(PassEntity::kQuotes);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().describe().find("quoteItems page 1"), std::string::npos);
  EXPECT_DOUBLE_EQ(*(*cache().get_quote("acme", id))->quote_total, before);
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  EXPECT_NE(*(*cache().get_quote("acme", id))->quote_total, before);
}

TEST_F(PullTest, AuthFailuresStopWithDiagnosisAndNoRetries) {
  struct Case {
    std::string access_key, private_key;
    int status;
    std::string words;
  };
  const auto& o = sim_->options();
  for (const Case& c : {Case{o.access_key, "wrong", 401, "keys are wrong or expired"},
                        Case{o.no_license_access_key, o.private_key, 403, "no API licence"},
                        Case{"nosuchkey", o.private_key, 404, "access key is wrong"}}) {
    SCOPED_TRACE(c.status);
    tenant_.cpq->access_key = c.access_key;
    tenant_.cpq->private_key = Secret(c.private_key);
    rebuild_clients();
    clear_requests();
    LogCapture logs;
    auto r = pass(PassEntity::kQuotes);
    auto auth = logs.events("auth_failed");
    ASSERT_EQ(auth.size(), 1u);
    EXPECT_NE(auth[0]["msg"].get<std::string>().find(c.words), std::string::npos);
    EXPECT_EQ(auth[0].dump().find(o.private_key), std::string::npos);
    ASSERT_FALSE(r.status.ok());
    EXPECT_TRUE(r.stop_tenant);
    EXPECT_NE(r.diagnosis.find(c.words), std::string::npos) << r.diagnosis;
    EXPECT_EQ(r.status.error().http_status, c.status);
    EXPECT_EQ(requests().size(), 1u);  // one attempt, no retry loop
    auto runs = *cache().recent_runs(std::string("acme"), 1);
    EXPECT_NE(runs[0].outcome.error->find(c.words), std::string::npos);
    EXPECT_EQ(runs[0].outcome.error->find(o.private_key), std::string::npos);
  }
}

TEST_F(PullTest, SurvivesFaultStormsWithinTheRateLimit) {
  // 8 requests per 400 ms client-side; cwsim enforces the same rate.
  tenant_.cpq->rate_limit = RateLimit{8, std::chrono::milliseconds(400)};
  rebuild_clients();
  sim_->control("POST", "/_sim/rate-limit", {{"api", "cpq"}, {"requests", 8}, {"window_ms", 400}});
  add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 1}, {"api", "cpq"},
             {"path", "/api/quotes"}, {"count", 2}});
  add_fault({{"kind", "status"}, {"status", 503}, {"api", "cpq"}, {"path", "/api/quoteItems"}, {"count", 3}});
  add_fault({{"kind", "reset"}, {"api", "cpq"}, {"path", "/api/quoteItems"}, {"after", 4}, {"count", 2}});
  add_fault({{"kind", "delay"}, {"delay_ms", 2500}, {"api", "cpq"}, {"path", "/api/quotes"},
             {"after", 3}, {"count", 1}});
  auto r = pass(PassEntity::kQuotes);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  expect_quotes_match_upstream();
  auto log = requests();
  int rejected = 0;
  std::vector<std::int64_t> at;
  for (const auto& e : log) {
    if (e["fault"] == "rate_limit") ++rejected;
    at.push_back(e["arrived_ms"].get<std::int64_t>());
  }
  EXPECT_EQ(rejected, 0) << "cwsim's own limiter refused requests";
  // A token bucket of 8 per 400 ms admits at most 8 (burst) + 8 (refill)
  // arrivals in any 400 ms window.
  for (std::size_t i = 0; i < at.size(); ++i) {
    std::size_t j = i;
    while (j < at.size() && at[j] - at[i] < 400) ++j;
    EXPECT_LE(j - i, 16u) << "window starting at request " << i;
  }
  EXPECT_GT(r.stats.api_calls, static_cast<std::int64_t>(log.size()) - 3);
}

TEST_F(PullTest, LongRetryAfterDefersTheRun) {
  add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 60}, {"api", "cpq"},
             {"path", "/api/quotes"}, {"count", 1}});
  auto r = pass(PassEntity::kQuotes);
  ASSERT_FALSE(r.status.ok());
  ASSERT_TRUE(r.defer_until.has_value());
  EXPECT_GT(*r.defer_until, SystemClock::instance().now() + std::chrono::seconds(50));
  EXPECT_EQ(requests().size(), 1u);
}


// log.runs: changes. An operator with a thousand tenants sees the runs that
// stored something, and every failure, but not the idle cycles.
TEST_F(PullTest, ChangesOnlyRunLoggingKeepsIdleRunsAtDebug) {
  auto quiet_pass = [&] {
    PassOptions o;
    o.log_changes_only = true;
    return run_pass(PassEntity::kQuotes, {defaults_, tenant_, *clients_, *db_, *clock_}, o);
  };
  auto levels = [](const std::vector<nlohmann::json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e["level"]);
    return out;
  };
  using Levels = std::vector<std::string>;
  {
    LogCapture logs;
    ASSERT_TRUE(quiet_pass().status.ok());
    EXPECT_EQ(levels(logs.events("sync_started")), Levels{"debug"});
    auto finished = logs.events("sync_finished");
    EXPECT_EQ(levels(finished), Levels{"info"});  // the first run stored rows
    ASSERT_EQ(finished.size(), 1u);
    EXPECT_GT(finished[0]["upserted"].get<int>(), 0);
  }
  {
    LogCapture logs;
    ASSERT_TRUE(quiet_pass().status.ok());  // nothing changed upstream
    EXPECT_EQ(levels(logs.events("sync_started")), Levels{"debug"});
    EXPECT_EQ(levels(logs.events("sync_finished")), Levels{"debug"});
  }
  {
    LogCapture logs;  // the default keeps every run at info
    ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
    EXPECT_EQ(levels(logs.events("sync_started")), Levels{"info"});
    EXPECT_EQ(levels(logs.events("sync_finished")), Levels{"info"});
  }
  {
    add_fault({{"kind", "html"}, {"api", "cpq"}, {"path", "/api/quotes"}, {"count", 1}});
    LogCapture logs;  // failures stay loud
    EXPECT_FALSE(quiet_pass().status.ok());
    EXPECT_EQ(levels(logs.events("sync_failed")), Levels{"error"});
  }
}

}  // namespace
}  // namespace cwsync::test
