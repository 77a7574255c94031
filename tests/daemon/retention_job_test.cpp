// The retention job in the real Scheduler, driven by a ManualClock: it runs
// at start, then hourly, and prunes what simulated days made old. No sleeps.
#include <gtest/gtest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "daemon/retention_job.h"
#include "log_capture.h"
#include "scheduler_fixture.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "temp_dir.h"

namespace cwsync::daemon::sched_test {
namespace {

using Logs = cwsync::test::LogCapture;

class RetentionJobTest : public SchedulerTest {
 protected:
  RetentionJobTest() {
    auto db = storage::Database::open(path_);
    EXPECT_TRUE(db.ok());
    db_.emplace(std::move(*db));
    EXPECT_TRUE(storage::migrate(*db_).ok());
  }

  void configure(std::optional<milliseconds> runs, std::optional<milliseconds> activity = {}) {
    auto c = std::make_shared<Config>(*make_config(10min));
    c->database = path_;
    c->retention.sync_runs = runs;
    c->retention.activity_log = activity;
    set_config(std::move(c));
  }

  // One finished incremental quotes run of acme at the clock's time.
  void finished_run() {
    SQLite::Statement st(db_->handle(),
        "INSERT INTO sync_runs (tenant, entity, kind, started_at, finished_at, status) "
        "VALUES ('acme', 'quotes', 'incremental', ?1, ?1, 'ok')");
    st.bind(1, format_iso8601(clock_.now()));
    st.exec();
  }
  int runs() { return db_->handle().execAndGet("SELECT COUNT(*) FROM sync_runs").getInt(); }

  test::TempDir dir_{"cwsync-retention-"};
  std::string path_ = dir_.file("cache.db").string();
  std::optional<storage::Database> db_;
};

// Six simulated days of a run every 5 minutes, with 2-day retention: the
// job runs every hour and the table stays at about two days of rows.
TEST_F(RetentionJobTest, RunsHourlyAndKeepsTheTableToTheRetentionOverSimulatedDays) {
  configure(std::chrono::hours(48));
  make();
  Logs logs;
  sched_->set_jobs(retention_jobs(*cfg_));
  tick();  // the first run is due at once: nothing to prune yet
  EXPECT_EQ(state("retention").runs, 1);
  EXPECT_TRUE(logs.events("retention_pruned").empty());

  int max_rows = 0;
  for (int step = 1; step <= 6 * 24 * 12; ++step) {
    clock_.advance(5min);
    finished_run();
    tick();
    max_rows = std::max(max_rows, runs());
  }
  const JobState s = state("retention");
  EXPECT_EQ(s.runs, 1 + 6 * 24);   // hourly: the jitter draws 0.5, so exactly 1h
  EXPECT_EQ(s.failures, 0);
  EXPECT_FALSE(s.counts_for_health);
  // Two days of 5-minute runs, plus up to an hour not yet pruned.
  EXPECT_LE(max_rows, 2 * 24 * 12 + 12);
  EXPECT_GE(runs(), 2 * 24 * 12);
  const auto pruned = logs.events("retention_pruned");
  ASSERT_EQ(pruned.size(), 4u * 24);  // every hour from the third day on
  // At 49 h the cutoff is 1 h after the first row: 11 rows are older.
  EXPECT_EQ(pruned.front()["sync_runs"], 11);
  EXPECT_EQ(pruned.back()["sync_runs"], 12);
  EXPECT_EQ(pruned.back()["activity_log"], 0);
  EXPECT_TRUE(pruned.back().contains("duration_ms"));
  EXPECT_EQ(metrics_.value(metric::kRetentionPruned, {{"table", "sync_runs"}}),
            6 * 24 * 12 - runs());
}

TEST_F(RetentionJobTest, KeepPrunesNothingAndAReloadTurnsItOn) {
  configure(std::nullopt);
  make();
  for (int i = 0; i < 10; ++i) finished_run();
  clock_.advance(std::chrono::hours(24 * 100));
  finished_run();
  sched_->set_jobs(retention_jobs(*cfg_));
  tick();
  EXPECT_EQ(runs(), 11);

  configure(std::chrono::hours(24 * 30));  // as SIGHUP would
  clock_.advance(1h);
  tick();
  EXPECT_EQ(runs(), 1);
}

TEST_F(RetentionJobTest, AFailureIsAFailedRunAndAWarning) {
  configure(std::chrono::hours(24));
  make();
  Logs logs;
  for (int i = 0; i < 3; ++i) finished_run();
  clock_.advance(std::chrono::hours(48));
  finished_run();
  // A table the job cannot read (a damaged or foreign schema).
  db_->handle().exec("ALTER TABLE sync_runs RENAME TO sync_runs_moved");
  sched_->set_jobs(retention_jobs(*cfg_));
  tick();
  EXPECT_EQ(state("retention").failures, 1);
  const auto failed = logs.events("retention_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["level"], "warn");
  EXPECT_EQ(failed[0]["table"], "sync_runs");
  EXPECT_EQ(db_->handle().execAndGet("SELECT COUNT(*) FROM sync_runs_moved").getInt(), 4);
}

}  // namespace
}  // namespace cwsync::daemon::sched_test
