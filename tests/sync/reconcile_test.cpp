// Deletion reconcile: tombstones what is gone, refuses mass deletion.
#include <gtest/gtest.h>

#include "storage/db_lock.h"
#include "sync/reconcile.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

TEST_F(PullTest, ReconcileRefusesMassDeletion) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  auto before = *cache().counts("acme");
  // Upstream suddenly lists nothing (the tenant's data looks wiped).
  mutate({{"entity", "quotes"}, {"kind", "delete"}, {"count", 100}});
  auto r = pass(PassEntity::kReconcile);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(r.status.error().describe().find("refused"), std::string::npos);
  auto after = *cache().counts("acme");
  EXPECT_EQ(after.quotes, before.quotes);
  EXPECT_EQ(after.quotes_deleted, 0);
  // The quotes reconcile run failed and says why; the opportunities reconcile
  // (an independent PSA id set) still ran.
  auto runs = *cache().recent_runs(std::string("acme"), 5);
  const storage::SyncRunRow* quotes_run = nullptr;
  for (const auto& run : runs) {
    if (run.kind == storage::RunKind::kReconcile && run.entity == storage::Entity::kQuotes) {
      quotes_run = &run;
      break;
    }
  }
  ASSERT_NE(quotes_run, nullptr);
  EXPECT_EQ(quotes_run->outcome.status, storage::RunStatus::kFailed);
  ASSERT_TRUE(quotes_run->outcome.error.has_value());
  EXPECT_NE(quotes_run->outcome.error->find("refused"), std::string::npos);
  EXPECT_EQ(quotes_run->outcome.deleted, 0);
}

TEST_F(PullTest, ReconcileRefusesAnEmptyListing) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  // A proxy answering [] for every page looks like "everything deleted".
  tenant_.cpq->access_key = sim_->options().access_key;
  add_fault({{"kind", "wrong_type"}, {"api", "cpq"}, {"path", "/api/quotes"}, {"count", 1}});
  auto r = pass(PassEntity::kReconcile);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(cache().counts("acme")->quotes_deleted, 0);
}

TEST_F(PullTest, ReconcileTombstonesAndRestores) {
  ASSERT_TRUE(pass(PassEntity::kQuotes).status.ok());
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  auto gone = mutate({{"entity", "quotes"}, {"kind", "delete"}, {"count", 5}});
  auto r = pass(PassEntity::kReconcile);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  auto counts = *cache().counts("acme");
  EXPECT_EQ(counts.quotes_deleted, 5);
  EXPECT_GT(counts.quote_items_deleted, 0);
  expect_quotes_match_upstream();
  // Never hard-deleted: the rows are still in the table.
  EXPECT_EQ(counts.quotes + counts.quotes_deleted, 120);
}

// The rule "a tenant's reconcile never overlaps its pulls" is held in
// storage: another holder of the tenant's sync lock (here: this test, as a
// `cwsync sync --once` in another process would be) makes the pass wait
// without a request, and run again once the other run has ended.
TEST_F(PullTest, AReconcileHeldElsewhereDefersThePullWithoutARequest) {
  auto held = storage::TenantSyncLock::try_acquire(db_->path(), "acme",
                                                   storage::TenantSyncRole::kReconcile);
  ASSERT_TRUE(held.ok() && held->has_value());
  clear_requests();
  auto r = pass(PassEntity::kQuotes);
  ASSERT_FALSE(r.status.ok());
  ASSERT_TRUE(r.defer_until.has_value());
  EXPECT_TRUE(r.waited_for_lock) << "a wait for the lock, not a failure";
  EXPECT_NE(r.status.error().message.find("reconcile is running"), std::string::npos)
      << r.status.error().describe();
  EXPECT_TRUE(requests().empty());
  EXPECT_FALSE(pass(PassEntity::kReconcile).status.ok());  // not twice at once either

  held->reset();  // the other run ends
  auto after = pass(PassEntity::kQuotes);
  EXPECT_TRUE(after.status.ok()) << after.status.error().describe();
  EXPECT_FALSE(after.defer_until.has_value());
  EXPECT_FALSE(after.waited_for_lock);
}

}  // namespace
}  // namespace cwsync::test

