// The queue's failure classes against cwsim (docs/queue.md "Failure
// classes"): outages of any length below max_age dead-letter nothing and use
// no budget, a poison post uses its own budget only and never opens the
// breaker, a requeue gives a fresh budget, and a lost POST on a busy or slow
// ticket takes effect once. Simulated hours run on the ManualClock.
#include "sync/queue_drainer.h"

#include "queue_fixture.h"
#include "sync/note_marker.h"

namespace cwsync::test {
namespace {

using storage::PostKind;
using storage::PostStatus;
using namespace std::chrono_literals;

class QueueClassesTest : public QueueFixture {
 protected:
  CircuitBreaker& breaker() { return queue_->clients().psa()->api().host().breaker(); }
  bool all(const std::vector<std::int64_t>& ids, PostStatus s) {
    for (auto id : ids) {
      if (post(id).status != s) return false;
    }
    return true;
  }
  // Posts on five tickets, two per ticket, and a time entry.
  std::vector<std::int64_t> enqueue_mix() {
    std::vector<std::int64_t> ids;
    for (int k = 0; k < 10; ++k) {
      ids.push_back(enqueue(PostKind::kNote, 1001 + k % 5, {{"text", "note " + std::to_string(k)}}));
    }
    ids.push_back(enqueue(PostKind::kTimeEntry, 1006,
                          {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:30:00Z"}}));
    return ids;
  }
  // An outage of `length` (503 on every PSA API call), driven by the clock in
  // `step`s, then recovery. Returns the simulated time from recovery until
  // every post was delivered.
  Millis outage_then_recovery(Millis length, Millis step, std::vector<std::int64_t>& ids) {
    int fault = add_fault({{"api", "psa"}, {"path", "*/apis/3.0/*"}, {"status", 503}, {"count", -1}});
    ids = enqueue_mix();
    const TimePoint end = clock_.now() + length;
    while (clock_.now() < end) {
      drain();
      auto counts = store_->counts();
      EXPECT_TRUE(counts.ok() && counts->dead == 0)
          << "dead during the outage, at " << format_iso8601(clock_.now());
      if (!counts.ok() || counts->dead > 0) return Millis::max();
      clock_.advance(step);
    }
    sim_->control("DELETE", "/_sim/faults/" + std::to_string(fault));
    const TimePoint back = clock_.now();
    for (int k = 0; k < 600 && !all(ids, PostStatus::kSucceeded); ++k) {
      drain();
      if (all(ids, PostStatus::kSucceeded)) break;
      clock_.advance(1s);
    }
    EXPECT_TRUE(all(ids, PostStatus::kSucceeded));
    for (auto id : ids) {
      const bool note = post(id).kind == PostKind::kNote;
      EXPECT_EQ(note ? count_with("notes", "notes", "text", marker_of(id))
                     : count_with("time-entries", "time_entries", "notes", marker_of(id)),
                1)
          << "post " << id;
      EXPECT_EQ(post(id).failures, 0) << "an outage uses no budget";
    }
    return std::chrono::duration_cast<Millis>(clock_.now() - back);
  }
};

TEST_F(QueueClassesTest, AFortySecondOutageWithThreeAttemptsDeadLettersNothing) {
  tenant_.queue.max_attempts = 3;
  rebuild();
  std::vector<std::int64_t> ids;
  Millis recovery = outage_then_recovery(40s, 1s, ids);
  // Outage waits are capped at 15 s, the breaker probes every 15 s.
  EXPECT_LE(recovery, 16s);
}

TEST_F(QueueClassesTest, ASixHourOutageDeadLettersNothingAndDrainsWithinSecondsOfRecovery) {
  tenant_.queue.max_attempts = 3;
  rebuild();
  const std::size_t before = request_count();
  std::vector<std::int64_t> ids;
  Millis recovery = outage_then_recovery(6h, 5s, ids);
  EXPECT_LE(recovery, 16s);
  // The breaker keeps the outage cheap: about one probe per cool-down, not a
  // request per post per retry.
  const std::size_t during = request_count() - before;
  EXPECT_LE(during, 6u * 3600u / 15u + 100u) << during;
  // Breaker fast-fails are no attempts: each post's attempts are the probes
  // it carried, far fewer than the retries an uncapped count would show.
  int attempts = 0;
  for (auto id : ids) attempts += post(id).attempts;
  EXPECT_LE(attempts, static_cast<int>(6 * 3600 / 15 + 50));
}

TEST_F(QueueClassesTest, ABreakerFastFailIsNotAnAttempt) {
  defaults_.breaker.failures = 1;
  rebuild();
  add_fault({{"api", "psa"}, {"path", "*/apis/3.0/*"}, {"status", 503}, {"count", -1}});
  auto first = enqueue(PostKind::kNote, 1001, {{"text", "meets the outage"}});
  auto second = enqueue(PostKind::kNote, 1002, {{"text", "meets the open breaker"}});
  DrainStats s = drain();
  EXPECT_TRUE(s.unavailable_until.has_value());
  EXPECT_EQ(post(first).attempts, 1);
  EXPECT_EQ(post(second).attempts, 0) << "nothing was sent";
  EXPECT_EQ(post(second).failures, 0);
  EXPECT_EQ(post(second).status, PostStatus::kPending);
  auto ev = events(second);
  EXPECT_EQ(std::count(ev.begin(), ev.end(), "attempt"), 0);
  // While the breaker is open a pass claims nothing at all.
  auto rows = events(second).size();
  drain();
  EXPECT_EQ(events(second).size(), rows);
}

TEST_F(QueueClassesTest, APoisonPostUsesOnlyItsOwnBudgetAndNeverOpensTheBreaker) {
  tenant_.queue.max_attempts = 3;
  defaults_.breaker.failures = 2;  // a poison post would open it at once if it counted
  rebuild();
  // PSA's application fails on this ticket's notes, with its error body.
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/tickets/1001/notes"}, {"status", 500},
             {"count", -1}});
  auto poison = enqueue(PostKind::kNote, 1001, {{"text", "poison"}});
  auto other1 = enqueue(PostKind::kNote, 1002, {{"text", "healthy 1"}});
  auto other2 = enqueue(PostKind::kTimeEntry, 1003,
                        {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:30:00Z"}});
  // The same ticket's next post (a time entry: the fault is on its notes).
  auto later = enqueue(PostKind::kTimeEntry, 1001,
                       {{"start", "2026-11-23T11:00:00Z"}, {"end", "2026-11-23T11:15:00Z"}});
  for (int pass = 0; pass < 10 && post(poison).status != PostStatus::kDead; ++pass) {
    drain();
    EXPECT_EQ(breaker().state(clock_.now()), CircuitBreaker::State::kClosed) << "pass " << pass;
    clock_.advance(10min);
  }
  auto p = post(poison);
  EXPECT_EQ(p.status, PostStatus::kDead);
  EXPECT_EQ(p.failures, 3);
  ASSERT_TRUE(p.last_error);
  EXPECT_NE(p.last_error->find("gave up after 3 failures"), std::string::npos) << *p.last_error;
  EXPECT_EQ(post(other1).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(other2).status, PostStatus::kSucceeded);
  // A dead post does not block its ticket's later posts.
  drain();
  EXPECT_EQ(post(later).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(later).failures, 0);
}

TEST_F(QueueClassesTest, A500EverywhereIsAnOutageNotThePostsFault) {
  tenant_.queue.max_attempts = 2;
  rebuild();
  // PSA fails every call, the probe of the ticket included.
  int fault = add_fault({{"api", "psa"}, {"path", "*/apis/3.0/*"}, {"status", 500}, {"count", -1}});
  auto id = enqueue(PostKind::kNote, 1004, {{"text", "PSA is broken for everyone"}});
  for (int pass = 0; pass < 8; ++pass) {
    drain();
    clock_.advance(1min);
  }
  EXPECT_EQ(post(id).status, PostStatus::kPending);
  EXPECT_EQ(post(id).failures, 0);
  sim_->control("DELETE", "/_sim/faults/" + std::to_string(fault));
  clock_.advance(1min);
  drain();
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
}

TEST_F(QueueClassesTest, RequeueGivesAFreshBudget) {
  tenant_.queue.max_attempts = 3;
  rebuild();
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/tickets/1004/notes"}, {"status", 500},
             {"count", -1}});
  auto id = enqueue(PostKind::kNote, 1004, {{"text", "rejected by a workflow rule"}});
  auto run_until_dead = [&] {
    int passes = 0;
    while (post(id).status != PostStatus::kDead && passes < 10) {
      drain();
      clock_.advance(10min);
      ++passes;
    }
    return passes;
  };
  EXPECT_EQ(run_until_dead(), 3);
  ASSERT_TRUE(store_->requeue(id, clock_.now()).ok());
  EXPECT_EQ(post(id).failures, 0);
  EXPECT_EQ(run_until_dead(), 3) << "a requeued post has the whole budget again";
  EXPECT_EQ(post(id).attempts, 6);
}

TEST_F(QueueClassesTest, ABusyTicketAfterAnAppliedThenLostPostGetsOneCopy) {
  // PSA applies the POST and loses the answer; then 1,200 notes from other
  // writers land on the ticket before cwsync looks again.
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/tickets/1001/notes"},
             {"kind", "applied_then_lost"}, {"other_writers", 1200}, {"count", 1}});
  auto id = enqueue(PostKind::kNote, 1001, {{"text", "the technician's step"}});
  const TimePoint failed_at = clock_.now();
  EXPECT_EQ(drain().retried, 1);
  // Not looked at again while PSA might still be applying it.
  EXPECT_GE(post(id).next_retry_at - failed_at,
            defaults_.http.read + tenant_.queue.settle - 1s);
  int on_ticket = 0;
  for (const auto& n : store_list("notes", "notes")) on_ticket += n["ticketId"] == 1001 ? 1 : 0;
  EXPECT_GT(on_ticket, 1200);
  clock_.advance(defaults_.http.read + tenant_.queue.settle + 1s);
  DrainStats s = drain();
  EXPECT_EQ(s.deduplicated, 1);
  auto p = post(id);
  EXPECT_EQ(p.status, PostStatus::kSucceeded);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
  ASSERT_TRUE(p.remote_id);
  for (const auto& n : store_list("notes", "notes")) {
    if (n["text"].get<std::string>().find(marker_of(id)) != std::string::npos) {
      EXPECT_EQ(*p.remote_id, std::to_string(n["id"].get<long long>()));
    }
  }
}

TEST_F(QueueClassesTest, APostPsaAppliesAfterTheReadTimeoutIsNotSentTwice) {
  // PSA holds the POST 7 s, then applies it: 5 s after cwsync's 2 s read
  // timeout gave up on it (real time: the HTTP timeout is real).
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/tickets/1002/notes"}, {"kind", "delay"},
             {"delay_ms", 7000}, {"count", 1}});
  auto id = enqueue(PostKind::kNote, 1002, {{"text", "slow PSA"}});
  EXPECT_EQ(drain().retried, 1);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 0) << "not applied yet";
  // Well past any backoff, but PSA may still be applying: nothing happens.
  clock_.advance(30s);
  EXPECT_EQ(drain().claimed, 0);
  // PSA applies it (real time).
  for (int k = 0; k < 100 && count_with("notes", "notes", "text", marker_of(id)) == 0; ++k) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
  clock_.advance(defaults_.http.read + tenant_.queue.settle);
  EXPECT_EQ(drain().deduplicated, 1);
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
}

}  // namespace
}  // namespace cwsync::test
