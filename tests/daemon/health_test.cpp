#include "daemon/health.h"

#include <gtest/gtest.h>

#include "storage/database.h"
#include "storage/migrations.h"
#include "temp_dir.h"

namespace cwsync::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint{} + std::chrono::hours(24 * 365 * 56);

JobState job_state(std::string tenant, std::string entity, std::chrono::milliseconds interval,
                   std::optional<TimePoint> last_success, TimePoint added = kNow - 1h) {
  JobState j;
  j.name = entity + "_job";
  j.tenant = std::move(tenant);
  j.entity = std::move(entity);
  j.interval = interval;
  j.last_success = last_success;
  j.added_at = added;
  return j;
}

TEST(HealthTest, HealthyWhenEveryJobSucceededWithinThreeIntervals) {
  std::vector<JobState> jobs{job_state("acme", "quotes", 5min, kNow - 14min),
                             job_state("acme", "queue", 10s, kNow - 29s)};
  HealthReport r = evaluate_health(jobs, kNow, Status{});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_TRUE(r.body["reasons"].empty());
  EXPECT_EQ(r.body["jobs"].size(), 2u);
}

TEST(HealthTest, StaleJobAndUnwritableDbAreReasons) {
  auto stale = job_state("acme", "quotes", 5min, kNow - 16min);
  stale.last_error = "GET https://sellapi/api/quotes: connection refused";
  std::vector<JobState> jobs{stale, job_state("beta", "quotes", 5min, kNow - 1min)};
  HealthReport r = evaluate_health(jobs, kNow, make_error(ErrorKind::kDatabase, "disk I/O error"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.body["status"], "unhealthy");
  ASSERT_EQ(r.body["reasons"].size(), 2u);
  EXPECT_EQ(r.body["reasons"][0]["check"], "database");
  const auto& fresh = r.body["reasons"][1];
  EXPECT_EQ(fresh["check"], "freshness");
  EXPECT_EQ(fresh["tenant"], "acme");
  EXPECT_EQ(fresh["age_s"], 16 * 60);
  EXPECT_EQ(fresh["limit_s"], 15 * 60);
  EXPECT_NE(fresh["last_error"].get<std::string>().find("connection refused"), std::string::npos);
}

TEST(HealthTest, NeverSucceededJobGetsGraceFromWhenItWasAdded) {
  std::vector<JobState> young{job_state("acme", "quotes", 5min, std::nullopt, kNow - 10min)};
  EXPECT_TRUE(evaluate_health(young, kNow, Status{}).ok);
  std::vector<JobState> old{job_state("acme", "quotes", 5min, std::nullopt, kNow - 20min)};
  EXPECT_FALSE(evaluate_health(old, kNow, Status{}).ok);
  old[0].counts_for_health = false;
  EXPECT_TRUE(evaluate_health(old, kNow, Status{}).ok);
}

TEST(HealthTest, ProbeDbWritable) {
  cwsync::test::TempDir dir;
  std::string path = dir.file("cache.db").string();
  EXPECT_FALSE(probe_db_writable(path).ok()) << "a missing DB must not be created by the probe";
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto db = storage::Database::open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(storage::migrate(*db).ok());
  }
  EXPECT_TRUE(probe_db_writable(path).ok());
  {
    // Another writer holding the lock beyond the probe's busy timeout.
    auto db = storage::Database::open(path);
    ASSERT_TRUE(db.ok());
    auto tx = storage::WriteTransaction::begin(*db);
    ASSERT_TRUE(tx.ok());
    EXPECT_FALSE(probe_db_writable(path).ok());
  }
}

TEST(HealthTest, StatusLineSummarisesOldestSyncAndQueue) {
  std::vector<JobState> jobs{job_state("acme", "quotes", 5min, kNow - 2min),
                             job_state("beta", "quotes", 5min, kNow - 7min),
                             job_state("acme", "opportunities", 5min, kNow - 125s),
                             job_state("acme", "queue", 10s, kNow - 5s)};
  storage::QueueCounts q;
  q.pending = 2;
  q.in_flight = 1;
  q.dead = 4;
  EXPECT_EQ(status_line(jobs, kNow, q), "quotes 7m ago, opps 2m ago, queue 3 pending/4 dead");
  EXPECT_EQ(status_line(jobs, kNow, std::nullopt), "quotes 7m ago, opps 2m ago, queue ?");

  jobs[0].last_success.reset();
  jobs[2].last_error = "HTTP 401";
  EXPECT_EQ(status_line(jobs, kNow, q),
            "quotes never, opps 2m ago (failing), queue 3 pending/4 dead");
  EXPECT_EQ(status_line({}, kNow, storage::QueueCounts{}),
            "queue 0 pending/0 dead (no jobs configured)");
}

}  // namespace
}  // namespace cwsync::daemon
