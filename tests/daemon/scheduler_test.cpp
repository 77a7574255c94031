#include "daemon/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "daemon/metrics.h"
#include "sync/http/waiter.h"
#include "scheduler_fixture.h"

namespace cwsync::daemon {
namespace {

using namespace std::chrono_literals;
using namespace cwsync::daemon::sched_test;
using std::chrono::milliseconds;

TEST_F(SchedulerTest, FirstRunIsImmediateThenIntervalWithJitterBounds) {
  randoms_ = {0.0, 0.999999};
  make();
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  tick();
  EXPECT_EQ(p->runs, 1);
  // u = 0 → 0.9 × 100 s.
  EXPECT_EQ(state("j").next_due, t0_ + 90s);

  clock_.advance(90s - 1ms);
  tick();
  EXPECT_EQ(p->runs, 1) << "ran before it was due";
  clock_.advance(1ms);
  tick();
  EXPECT_EQ(p->runs, 2);
  // u → 1 gives just under 1.1 × 100 s.
  auto gap = state("j").next_due - (t0_ + 90s);
  EXPECT_GE(gap, 109900ms);
  EXPECT_LE(gap, 110s);
}

TEST_F(SchedulerTest, DefaultRandomJitterStaysWithinTenPercentAndSpreads) {
  sched_ = std::make_unique<Scheduler>(clock_, [this] { return cfg_; }, metrics_, waiter_,
                                       default_random());
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  tick();
  milliseconds lo = 1h, hi = 0ms;
  for (int i = 0; i < 300; ++i) {
    TimePoint finished = clock_.now();
    TimePoint due = state("j").next_due;
    auto gap = std::chrono::duration_cast<milliseconds>(due - finished);
    ASSERT_GE(gap, 90s);
    ASSERT_LE(gap, 110s);
    lo = std::min(lo, gap);
    hi = std::max(hi, gap);
    clock_.set(due);
    tick();
  }
  EXPECT_EQ(p->runs, 301);
  EXPECT_LT(lo, 92s);
  EXPECT_GT(hi, 108s);
}

TEST_F(SchedulerTest, NeverRunsTheSameTenantEntityConcurrently) {
  make();
  auto a = std::make_shared<Probe>();
  auto b = std::make_shared<Probe>();
  auto other = std::make_shared<Probe>();
  Gate a_started, release_a, other_started;
  a->body = [&](JobContext&) {
    a_started.open();
    release_a.wait();
    return JobOutcome::ok();
  };
  other->body = [&](JobContext&) {
    other_started.open();
    return JobOutcome::ok();
  };
  std::vector<std::unique_ptr<Job>> jobs;
  // a and b share (acme, quotes); b counts into a's key probe.
  jobs.push_back(std::make_unique<FakeJob>("a", "acme", "quotes", a));
  jobs.push_back(std::make_unique<FakeJob>("b", "acme", "quotes", b, a));
  jobs.push_back(std::make_unique<FakeJob>("c", "acme", "queue", other));
  sched_->set_jobs(std::move(jobs));

  sched_->poll();
  ASSERT_TRUE(a_started.wait());
  // A different entity runs alongside.
  ASSERT_TRUE(other_started.wait());
  for (int i = 0; i < 5; ++i) {
    clock_.advance(1h);  // a is long overdue for its next run, b was due all along
    sched_->poll();
  }
  EXPECT_EQ(a->runs, 1);
  EXPECT_EQ(b->runs, 0);
  EXPECT_TRUE(state("a").running);

  release_a.open();
  ASSERT_TRUE(sched_->wait_idle(5s));
  tick();  // b is dispatched now that the key is free (a's next run comes later)
  EXPECT_EQ(b->runs, 1);
  EXPECT_EQ(a->max_in_key, 1);
}

TEST_F(SchedulerTest, DeferralReplacesTheIntervalOnce) {
  make();
  auto p = std::make_shared<Probe>();
  std::atomic<int> n{0};
  TimePoint until = t0_ + 1h;
  p->body = [&](JobContext&) {
    return n++ == 0 ? JobOutcome::deferred(until) : JobOutcome::ok();
  };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p, nullptr, 60s)));
  tick();
  ASSERT_EQ(p->runs, 1);
  EXPECT_EQ(state("j").next_due, until);
  ASSERT_TRUE(state("j").deferred_until.has_value());
  EXPECT_EQ(metrics_.value(metric::kJobRuns, {{"tenant", "acme"}, {"entity", "quotes"}, {"outcome", "deferred"}}), 1);

  clock_.advance(2min);  // past the interval, before the deferral
  tick();
  EXPECT_EQ(p->runs, 1);
  clock_.set(until);
  tick();
  EXPECT_EQ(p->runs, 2);
  EXPECT_EQ(state("j").next_due, until + 60s);  // back to the interval (u = 0.5)
  EXPECT_FALSE(state("j").deferred_until.has_value());
}

TEST_F(SchedulerTest, WallClockSteppingBackMovesDueTimesWithIt) {
  make();
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p, nullptr, 60s)));
  tick();
  ASSERT_EQ(p->runs, 1);
  ASSERT_EQ(state("j").next_due, t0_ + 60s);  // u = 0.5: no jitter

  clock_.set(t0_ - 2h);  // NTP step or VM restore
  tick();
  EXPECT_EQ(state("j").next_due, t0_ - 2h + 60s) << "would have idled for the whole step";
  EXPECT_EQ(p->runs, 1);
  clock_.advance(60s);
  tick();
  EXPECT_EQ(p->runs, 2);

  // Small backwards jitter (under a second) is not a step.
  const TimePoint due = state("j").next_due;
  clock_.set(clock_.now() - 500ms);
  tick();
  EXPECT_EQ(state("j").next_due, due);
}

TEST_F(SchedulerTest, RequestStopWakesTheLoopPromptly) {
  SchedulerOptions opts;
  opts.max_idle_wait = 60s;  // without a wake-up the loop would sleep a minute
  make(opts);
  auto p = std::make_shared<Probe>();
  Gate ran;
  p->body = [&](JobContext&) {
    ran.open();
    return JobOutcome::ok();
  };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p, nullptr, 1h)));
  std::thread loop([this] { sched_->run(); });
  ASSERT_TRUE(ran.wait());
  ASSERT_TRUE(sched_->wait_idle(5s));  // the loop is now waiting for the next due time

  auto start = std::chrono::steady_clock::now();
  sched_->request_stop();
  loop.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(sched_->drain(1s));
  EXPECT_TRUE(waiter_.stop_requested());
}

TEST_F(SchedulerTest, StopInterruptsAJobWaitingInsideItsRun) {
  make();
  auto p = std::make_shared<Probe>();
  Gate waiting;
  std::atomic<bool> wait_result{true};
  p->body = [&](JobContext& ctx) {
    waiting.open();
    wait_result = ctx.wait_for(1h);  // e.g. a Retry-After
    return JobOutcome::ok();
  };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  sched_->poll();
  ASSERT_TRUE(waiting.wait());
  auto start = std::chrono::steady_clock::now();
  sched_->request_stop();
  EXPECT_TRUE(sched_->drain(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(wait_result);
  EXPECT_FALSE(sched_->poll().has_value()) << "stopped scheduler must not dispatch";
}

TEST_F(SchedulerTest, DrainReportsAJobThatIgnoresStop) {
  make();
  auto p = std::make_shared<Probe>();
  Gate started, release;
  p->body = [&](JobContext&) {
    started.open();
    release.wait();
    return JobOutcome::ok();
  };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  sched_->poll();
  ASSERT_TRUE(started.wait());
  sched_->request_stop();
  EXPECT_FALSE(sched_->drain(50ms));
  release.open();
  EXPECT_TRUE(sched_->drain(5s));
}

TEST_F(SchedulerTest, StopDropsQueuedRuns) {
  SchedulerOptions opts;
  opts.workers = 1;
  make(opts);
  auto a = std::make_shared<Probe>();
  auto b = std::make_shared<Probe>();
  Gate started, release;
  a->body = [&](JobContext&) {
    started.open();
    release.wait();
    return JobOutcome::ok();
  };
  std::vector<std::unique_ptr<Job>> jobs;
  jobs.push_back(std::make_unique<FakeJob>("a", "acme", "opportunities", a));
  jobs.push_back(std::make_unique<FakeJob>("b", "acme", "quotes", b));
  sched_->set_jobs(std::move(jobs));
  sched_->poll();  // a runs on the only worker, b waits in the queue
  ASSERT_TRUE(started.wait());
  sched_->request_stop();
  release.open();
  EXPECT_TRUE(sched_->drain(5s));
  EXPECT_EQ(b->runs, 0);
}

TEST_F(SchedulerTest, ConfigChangeReschedulesFromLastEnd) {
  make();
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("q", "acme", "queue", p, nullptr, std::nullopt)));
  tick();
  EXPECT_EQ(state("q").interval, 10min);
  EXPECT_EQ(state("q").next_due, t0_ + 10min);

  clock_.advance(30s);
  set_config(make_config(1min));
  sched_->config_changed();
  EXPECT_EQ(state("q").interval, 1min);
  EXPECT_EQ(state("q").next_due, t0_ + 1min);  // from the last end, not from now
  clock_.advance(30s);
  tick();
  EXPECT_EQ(p->runs, 2);
}

TEST_F(SchedulerTest, SetJobsKeepsScheduleOfKnownJobsAndDropsGoneOnes) {
  make();
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  tick();
  TimePoint due = state("j").next_due;
  clock_.advance(5s);
  std::vector<std::unique_ptr<Job>> next;
  next.push_back(std::make_unique<FakeJob>("j", "acme", "quotes", p));
  next.push_back(std::make_unique<FakeJob>("k", "beta", "quotes", std::make_shared<Probe>()));
  sched_->set_jobs(std::move(next));
  EXPECT_EQ(state("j").next_due, due);
  EXPECT_EQ(state("j").runs, 1);
  EXPECT_EQ(state("k").next_due, clock_.now());

  sched_->set_jobs({});
  EXPECT_TRUE(sched_->snapshot().empty());
}

TEST_F(SchedulerTest, ProgressNeedsARecentHeartbeatAndNoSilentRun) {
  make();
  sched_->poll();
  EXPECT_TRUE(sched_->progressing());
  clock_.advance(31s);
  EXPECT_FALSE(sched_->progressing()) << "loop heartbeat is stale";
  sched_->poll();
  EXPECT_TRUE(sched_->progressing());

  auto p = std::make_shared<Probe>();
  Gate started, go_progress, progressed, finish;
  p->body = [&](JobContext& ctx) {
    started.open();
    go_progress.wait();
    ctx.progress();
    progressed.open();
    finish.wait();
    return JobOutcome::ok();
  };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  sched_->poll();
  ASSERT_TRUE(started.wait());
  clock_.advance(16min);
  sched_->poll();  // the loop itself is fine...
  EXPECT_FALSE(sched_->progressing()) << "...but the run has been silent for 16 min";
  go_progress.open();
  ASSERT_TRUE(progressed.wait());
  EXPECT_TRUE(sched_->progressing());
  finish.open();
  ASSERT_TRUE(sched_->wait_idle(5s));
}

TEST_F(SchedulerTest, AThrowingJobIsAFailureNotACrash) {
  make();
  auto p = std::make_shared<Probe>();
  p->body = [](JobContext&) -> JobOutcome { throw std::runtime_error("boom"); };
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  tick();
  JobState s = state("j");
  EXPECT_EQ(s.runs, 1);
  EXPECT_EQ(s.failures, 1);
  EXPECT_NE(s.last_error.find("boom"), std::string::npos);
  EXPECT_FALSE(s.last_success.has_value());
  EXPECT_EQ(s.next_due, t0_ + 100s);
  EXPECT_EQ(metrics_.value(metric::kJobRuns, {{"tenant", "acme"}, {"entity", "quotes"}, {"outcome", "failed"}}), 1);
}

TEST_F(SchedulerTest, SuccessUpdatesLastSuccessMetric) {
  make();
  auto p = std::make_shared<Probe>();
  sched_->set_jobs(one(std::make_unique<FakeJob>("j", "acme", "quotes", p)));
  tick();
  double expected = std::chrono::duration<double>(t0_.time_since_epoch()).count();
  EXPECT_EQ(metrics_.value(metric::kLastSuccess, {{"tenant", "acme"}, {"entity", "quotes"}}), expected);
  EXPECT_EQ(state("j").last_success, t0_);
}

}  // namespace
}  // namespace cwsync::daemon
