// RetentionStore on a real WAL file: what is pruned, what always stays, and
// that the batch loop ends.
#include "storage/retention_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/migrations.h"
#include "storage/queue_store.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using namespace std::chrono_literals;
using testing::at;

class RetentionStoreTest : public testing::DbTest {
 protected:
  RetentionStore store{db()};
  QueueStore queue{db()};
  const TimePoint now = at("2026-11-30T12:00:00Z");
  const TimePoint cutoff = now - std::chrono::hours(24 * 30);

  TimePoint days_before(int days) { return now - std::chrono::hours(24 * days); }

  // A sync_runs row that started an hour before it finished (`finished`
  // days ago), or a running one (finished < 0: started `-finished` days ago).
  std::int64_t run(const std::string& tenant, const std::string& entity, const std::string& kind,
                   int finished_days_ago, const std::string& status = "ok") {
    const TimePoint end = days_before(finished_days_ago < 0 ? -finished_days_ago
                                                            : finished_days_ago);
    SQLite::Statement st(db().handle(),
        "INSERT INTO sync_runs (tenant, entity, kind, started_at, finished_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    st.bind(1, tenant);
    st.bind(2, entity);
    st.bind(3, kind);
    st.bind(4, format_iso8601(end - 1h));
    if (status == "running") st.bind(5); else st.bind(5, format_iso8601(end));
    st.bind(6, status);
    st.exec();
    return db().handle().getLastInsertRowid();
  }

  std::vector<std::int64_t> run_ids() {
    std::vector<std::int64_t> ids;
    SQLite::Statement st(db().handle(), "SELECT id FROM sync_runs ORDER BY id");
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    return ids;
  }

  std::int64_t post(std::int64_t ticket, TimePoint when) {
    NewPost p;
    p.tenant = "acme";
    p.kind = PostKind::kNote;
    p.ticket_id = ticket;
    p.payload_json = R"({"text":"hello","type":"internal"})";
    auto r = queue.enqueue(p, when);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r->id;
  }
  // Claims the one due post of `ticket` at `when`.
  void claim(TimePoint when) {
    auto c = queue.claim_due(when, 2min, 10);
    ASSERT_TRUE(c.ok()) << c.error().describe();
  }
  std::int64_t log_rows(std::int64_t post_id) {
    return scalar("SELECT COUNT(*) FROM psa_activity_log WHERE post_id = " +
                  std::to_string(post_id));
  }
};

// Rows go in as the daemon writes them: in the order the runs started.
TEST_F(RetentionStoreTest, SyncRunsPrunesOldFinishedRowsButKeepsTheNewestOfEachKindAndRunning) {
  const auto only_full = run("acme", "opportunities", "full", 60);  // the only one of its kind
  const auto old_rec = run("acme", "quotes", "reconcile", 50);
  const auto newest_rec = run("acme", "quotes", "reconcile", 45);  // old, but the last reconcile
  const auto old1 = run("acme", "quotes", "incremental", 40);
  const auto other_tenant = run("beta", "quotes", "incremental", 40);  // beta's last run
  const auto old_then_running = run("beta", "tickets", "incremental", 40);
  const auto old2 = run("acme", "quotes", "incremental", 35, "failed");
  const auto old3 = run("acme", "quotes", "incremental", 31);
  const auto running = run("acme", "quotes", "incremental", -30, "running");  // started 30d 1h ago
  const auto young = run("acme", "quotes", "incremental", 29);
  const auto newer_running = run("beta", "tickets", "incremental", -1, "running");
  const auto newest_inc = run("acme", "quotes", "incremental", 1);

  auto r = store.prune_sync_runs(cutoff);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->rows, 4);
  EXPECT_TRUE(r->complete);
  (void)old1, (void)old2, (void)old3, (void)old_rec;
  // A running row is no newer finished run: beta's old tickets run stays, as
  // the last finished run of its kind.
  EXPECT_EQ(run_ids(), (std::vector<std::int64_t>{only_full, newest_rec, other_tenant,
                                                  old_then_running, running, young,
                                                  newer_running, newest_inc}));
  // A second pass finds nothing more.
  EXPECT_EQ(store.prune_sync_runs(cutoff)->rows, 0);
}

TEST_F(RetentionStoreTest, NothingOlderThanTheCutoffPrunesNothing) {
  for (int d = 29; d >= 1; --d) run("acme", "quotes", "incremental", d);
  EXPECT_EQ(store.prune_sync_runs(cutoff)->rows, 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM sync_runs"), 29);
}

TEST_F(RetentionStoreTest, BatchesAreBoundedAndTheLoopEnds) {
  for (int i = 0; i < 25; ++i) run("acme", "quotes", "incremental", 60);
  run("acme", "quotes", "incremental", 1);
  auto one = store.prune_sync_runs_batch(cutoff, 4);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 4);

  PruneOptions opts;
  opts.batch_rows = 4;
  int calls = 0;
  opts.between_batches = [&] { return ++calls < 2; };
  auto stopped = store.prune_sync_runs(cutoff, opts);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->rows, 8);
  EXPECT_FALSE(stopped->complete);

  opts.between_batches = nullptr;
  auto rest = store.prune_sync_runs(cutoff, opts);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->rows, 13);      // 25 - 4 - 8
  EXPECT_EQ(rest->batches, 4);    // 4 + 4 + 4 + 1: the short batch ends it
  EXPECT_TRUE(rest->complete);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM sync_runs"), 1);

}

TEST_F(RetentionStoreTest, AnExactMultipleOfTheBatchEndsWithAnEmptyBatch) {
  for (int i = 0; i < 8; ++i) run("acme", "quotes", "full", 60);
  run("acme", "quotes", "full", 1);
  PruneOptions opts;
  opts.batch_rows = 4;
  auto exact = store.prune_sync_runs(cutoff, opts);
  EXPECT_EQ(exact->rows, 8);
  EXPECT_EQ(exact->batches, 3);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM sync_runs"), 1);
  EXPECT_FALSE(store.prune_sync_runs_batch(cutoff, 0).ok());
}

TEST_F(RetentionStoreTest, ActivityLogKeepsTheHistoryOfPostsThatCanStillBeSent) {
  const TimePoint old = days_before(40);
  const auto delivered = post(1, old);
  claim(old);
  ASSERT_TRUE(queue.record_attempt(delivered, 1, 500, 10ms, "boom", old).ok());
  ASSERT_TRUE(queue.schedule_retry(delivered, old + 1min, "boom", 500, old).ok());
  claim(old + 2min);

  const auto pending = post(2, old);  // retried for weeks: its attempts count
  claim(old);
  ASSERT_TRUE(queue.record_attempt(pending, 1, 504, 10ms, "timeout", old).ok());
  ASSERT_TRUE(queue.schedule_retry(pending, now + 1h, "timeout", 504, old).ok());

  const auto in_flight = post(3, old);
  claim(old);

  const auto dead = post(4, old);  // may be requeued
  ASSERT_TRUE(queue.dead_letter(dead, "gone", 404, old).ok());

  const auto purged = post(5, old);
  claim(old);
  ASSERT_TRUE(queue.mark_succeeded(purged, "n5", 201, 10ms, old).ok());
  ASSERT_TRUE(queue.purge_succeeded_older_than(days_before(35), days_before(35)).ok());
  ASSERT_TRUE(queue.mark_succeeded(delivered, "n1", 201, 10ms, days_before(20)).ok());

  const auto before = std::vector<std::int64_t>{log_rows(delivered), log_rows(pending),
                                                log_rows(in_flight), log_rows(dead)};
  auto r = store.prune_activity_log(cutoff);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  // The delivered post loses its 40-day-old rows and keeps the 20-day-old
  // 'succeeded'; the purged post loses everything (its 'purged' is 35 days old).
  EXPECT_EQ(log_rows(delivered), 1);
  EXPECT_EQ(log_rows(purged), 0);
  EXPECT_EQ(log_rows(pending), before[1]);
  EXPECT_EQ(log_rows(in_flight), before[2]);
  EXPECT_EQ(log_rows(dead), before[3]);
  EXPECT_EQ(r->rows, before[0] - 1 + 4);  // purged: enqueued, claimed, succeeded, purged

  // The database refuses it too: a post that can still be sent keeps its history.
  EXPECT_THROW(db().handle().exec("DELETE FROM psa_activity_log WHERE post_id = " +
                                  std::to_string(pending)),
               std::exception);
  EXPECT_THROW(db().handle().exec("DELETE FROM psa_activity_log WHERE post_id = " +
                                  std::to_string(dead)),
               std::exception);
  EXPECT_THROW(db().handle().exec("UPDATE psa_activity_log SET message = 'x'"), std::exception);

  // The pending post's next attempt is still numbered after the kept ones.
  claim(now + 2h);
  auto rows = queue.activity(pending);
  EXPECT_EQ(rows->back().attempt, 2);
}

TEST_F(RetentionStoreTest, ActivityLogCutoffBeforeEveryRowPrunesNothing) {
  const auto id = post(1, days_before(10));
  claim(days_before(10));
  ASSERT_TRUE(queue.mark_succeeded(id, "n1", 201, 10ms, days_before(10)).ok());
  EXPECT_EQ(store.prune_activity_log(cutoff)->rows, 0);
  EXPECT_EQ(log_rows(id), 3);
}

// Version 10 changes only who may delete: an upgraded file keeps its rows,
// and a delivered post's rows, refused at version 9, may go.
TEST(RetentionMigrationTest, Version10LetsOnlyDeliveredPostsLoseTheirHistory) {
  testing::TempDir dir;
  auto db = Database::open(dir.file("v9.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(migrate_to(*db, 9).ok());
  QueueStore queue(*db);
  const TimePoint t = at("2026-01-01T00:00:00Z");
  NewPost p;
  p.tenant = "acme";
  p.kind = PostKind::kNote;
  p.ticket_id = 7;
  p.payload_json = R"({"text":"x","type":"internal"})";
  const auto done = queue.enqueue(p, t)->id;
  ASSERT_EQ(queue.claim_due(t, 2min, 1)->size(), 1u);
  ASSERT_TRUE(queue.mark_succeeded(done, "n", 201, 1ms, t).ok());
  p.ticket_id = 8;
  const auto open = queue.enqueue(p, t)->id;
  const std::string del = "DELETE FROM psa_activity_log WHERE post_id = ";
  EXPECT_THROW(db->handle().exec(del + std::to_string(done)), std::exception);

  ASSERT_TRUE(migrate(*db).ok());
  EXPECT_EQ(*db->user_version(), 10);
  EXPECT_EQ(db->handle().execAndGet("SELECT COUNT(*) FROM psa_activity_log").getInt(), 4);
  EXPECT_THROW(db->handle().exec(del + std::to_string(open)), std::exception);
  EXPECT_EQ(db->handle().exec(del + std::to_string(done)), 3);
}

}  // namespace
}  // namespace cwsync::storage
