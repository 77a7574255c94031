// tenant_states through StateStore, and the queue budget's reset on requeue.
#include "storage/state_store.h"

#include <gtest/gtest.h>

#include "storage/queue_store.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using namespace std::chrono_literals;
using testing::at;

class StateStoreTest : public testing::DbTest {
 protected:
  StateStore states{db()};
  const TimePoint t0 = at("2026-11-23T10:00:00Z");
};

TEST_F(StateStoreTest, SetReplacesClearRemovesListOrders) {
  TenantStateRow paused{"acme", TenantState::kQueuePaused, "", "401 unauthorized", t0 + 15min, {}};
  ASSERT_TRUE(states.set(paused, t0).ok());
  paused.reason = "403 forbidden";
  ASSERT_TRUE(states.set(paused, t0 + 1s).ok());  // one row per (tenant, state, job)
  ASSERT_TRUE(states.set({"acme", TenantState::kJobFailed, "pull_quotes", "disk full", {}, {}}, t0).ok());
  ASSERT_TRUE(states.set({"beta", TenantState::kPullsStopped, "", "404 company", {}, {}}, t0).ok());
  auto acme = states.list(std::string("acme"));
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].state, TenantState::kJobFailed);
  EXPECT_EQ((*acme)[0].job, "pull_quotes");
  EXPECT_EQ((*acme)[1].reason, "403 forbidden");
  EXPECT_EQ((*acme)[1].until, t0 + 15min);
  EXPECT_EQ((*acme)[1].at, t0 + 1s);
  ASSERT_TRUE(states.clear("acme", TenantState::kQueuePaused).ok());
  ASSERT_TRUE(states.clear_all(TenantState::kPullsStopped).ok());
  auto all = states.list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_FALSE((*all)[0].until.has_value());
}

TEST_F(StateStoreTest, FailuresCountOnlyWhenCountedAndRequeueResetsThem) {
  QueueStore queue{db()};
  NewPost p;
  p.tenant = "acme";
  p.kind = PostKind::kNote;
  p.ticket_id = 1;
  p.payload_json = R"({"text":"x"})";
  auto id = queue.enqueue(p, t0)->id;
  auto cycle = [&](bool counted) {
    ASSERT_EQ(queue.claim_due(t0 + 1h, 1min, 1)->size(), 1u);
    ASSERT_TRUE(queue.schedule_retry(id, t0, "e", 500, t0, counted).ok());
  };
  cycle(true);
  cycle(false);
  cycle(true);
  EXPECT_EQ((*queue.get(id))->post.failures, 2);
  ASSERT_EQ(queue.claim_due(t0 + 1h, 1min, 1)->size(), 1u);
  ASSERT_TRUE(queue.dead_letter(id, "gave up", 500, t0).ok());
  ASSERT_TRUE(queue.requeue(id, t0).ok());
  EXPECT_EQ((*queue.get(id))->post.failures, 0);
  EXPECT_TRUE((*queue.get(id))->post.first_claimed_at.has_value());
}

}  // namespace
}  // namespace cwsync::storage
