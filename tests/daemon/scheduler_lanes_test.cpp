// The scheduler's lanes: queue delivery never waits behind pulls, pulls are
// taken round-robin by tenant, and a waiting run gives its worker back.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "scheduler_fixture.h"

namespace cwsync::daemon {
namespace {

using namespace std::chrono_literals;
using namespace cwsync::daemon::sched_test;

// A Waiter whose waits block until the test opens the gate (or stop).
class GateWaiter final : public Waiter {
 public:
  bool wait_for(Millis d) override {
    if (d <= Millis(0)) return !stop_.load();
    ++waiting;
    bool ok = gate.wait(5s) && !stop_.load();
    --waiting;
    return ok;
  }
  void request_stop() override {
    stop_.store(true);
    gate.open();
  }
  bool stop_requested() const override { return stop_.load(); }
  Gate gate;
  std::atomic<int> waiting{0};

 private:
  std::atomic<bool> stop_{false};
};

// Records the order in which runs start.
struct Order {
  std::mutex mu;
  std::vector<std::string> started;
  void add(const std::string& s) {
    std::lock_guard lock(mu);
    started.push_back(s);
  }
};

std::unique_ptr<Job> job(const std::string& name, const std::string& tenant,
                         const std::string& entity, std::shared_ptr<Probe> probe) {
  return std::make_unique<FakeJob>(name, tenant, entity, std::move(probe));
}

TEST_F(SchedulerTest, QueueLaneIsServedWhileEveryPullWorkerIsBusy) {
  SchedulerOptions o;
  o.workers = 2;
  o.queue_workers = 1;
  make(o);
  Gate release, both_busy;
  std::atomic<int> busy{0};
  auto pull = std::make_shared<Probe>();
  pull->body = [&](JobContext&) {
    if (++busy == 2) both_busy.open();
    release.wait();  // holds its worker: CPU-bound work, not a wait
    return JobOutcome::ok();
  };
  Gate delivered;
  auto post = std::make_shared<Probe>();
  post->body = [&](JobContext&) {
    delivered.open();
    return JobOutcome::ok();
  };
  std::vector<std::unique_ptr<Job>> jobs;
  for (const char* t : {"a", "b", "c", "d"}) jobs.push_back(job("pull", t, "quotes", pull));
  jobs.push_back(job("psa_queue", "e", "queue", post));
  sched_->set_jobs(std::move(jobs));
  sched_->poll();
  ASSERT_TRUE(both_busy.wait()) << "the pull workers never filled";
  EXPECT_TRUE(delivered.wait(5s)) << "the post waited behind pulls";
  EXPECT_EQ(pull->runs.load(), 2) << "more pulls ran than there are pull workers";
  release.open();
  ASSERT_TRUE(sched_->wait_idle(5s));
  EXPECT_EQ(pull->runs.load(), 4);
}

TEST_F(SchedulerTest, PullsAreTakenRoundRobinByTenant) {
  SchedulerOptions o;
  o.workers = 1;
  make(o);
  Order order;
  auto record = [&order](std::string label) {
    auto p = std::make_shared<Probe>();
    p->body = [&order, label](JobContext&) {
      order.add(label);
      return JobOutcome::ok();
    };
    return p;
  };
  std::vector<std::unique_ptr<Job>> jobs;
  // Tenant a has three due pulls, b and c one each: b and c must not wait
  // for all of a's.
  jobs.push_back(job("pull_opportunities", "a", "opportunities", record("a1")));
  jobs.push_back(job("pull_quotes", "a", "quotes", record("a2")));
  jobs.push_back(job("pull_reconcile", "a", "reconcile", record("a3")));
  jobs.push_back(job("pull_quotes", "b", "quotes", record("b1")));
  jobs.push_back(job("pull_quotes", "c", "quotes", record("c1")));
  sched_->set_jobs(std::move(jobs));
  tick();
  std::lock_guard lock(order.mu);
  EXPECT_EQ(order.started, (std::vector<std::string>{"a1", "b1", "c1", "a2", "a3"}));
}

TEST(SchedulerParkingTest, AWaitingRunGivesItsWorkerToAnotherTenant) {
  ManualClock clock(TimePoint{} + std::chrono::hours(24 * 365 * 56));
  Metrics metrics;
  GateWaiter waiter;
  SchedulerOptions o;
  o.workers = 1;  // one worker: b can only run if a gives it back
  auto cfg = std::make_shared<const Config>();
  Scheduler sched(clock, [cfg] { return cfg; }, metrics, waiter, [] { return 0.5; }, o);

  Gate b_ran;
  auto a = std::make_shared<Probe>();
  a->body = [](JobContext& ctx) {
    // As the rate limiter or a Retry-After does: wait through the job waiter.
    return ctx.waiter().wait_for(2s) ? JobOutcome::ok()
                                     : JobOutcome::failed(make_error(ErrorKind::kCancelled, "x", "a"));
  };
  auto b = std::make_shared<Probe>();
  b->body = [&b_ran](JobContext&) {
    b_ran.open();
    return JobOutcome::ok();
  };
  std::vector<std::unique_ptr<Job>> jobs;
  jobs.push_back(job("pull_quotes", "a", "quotes", a));
  jobs.push_back(job("pull_quotes", "b", "quotes", b));
  sched.set_jobs(std::move(jobs));
  sched.poll();
  EXPECT_TRUE(b_ran.wait(5s)) << "b waited for a's rate-limit wait";
  EXPECT_EQ(waiter.waiting.load(), 1) << "a should still be parked in its wait";
  waiter.gate.open();
  ASSERT_TRUE(sched.wait_idle(5s));
  EXPECT_EQ(a->runs.load(), 1);
  EXPECT_EQ(b->runs.load(), 1);
  for (const auto& s : sched.snapshot()) EXPECT_EQ(s.failures, 0) << s.tenant;
  sched.request_stop();
}

TEST(SchedulerParkingTest, AWaitForASlotGivesItsWorkerToAnotherTenantToo) {
  ManualClock clock(TimePoint{} + std::chrono::hours(24 * 365 * 56));
  Metrics metrics;
  GateWaiter waiter;
  SchedulerOptions o;
  o.workers = 1;  // one worker: b can only run if a gives it back
  auto cfg = std::make_shared<const Config>();
  Scheduler sched(clock, [cfg] { return cfg; }, metrics, waiter, [] { return 0.5; }, o);

  Gate slot_free, b_ran;
  std::atomic<bool> a_waiting{false};
  auto a = std::make_shared<Probe>();
  a->body = [&](JobContext& ctx) {
    // As a request waiting for an Autotask endpoint slot does (a SendGate).
    const bool ok = ctx.waiter().wait_on([&] {
      a_waiting = true;
      return slot_free.wait(5s);
    });
    return ok ? JobOutcome::ok() : JobOutcome::failed(make_error(ErrorKind::kCancelled, "x", "a"));
  };
  auto b = std::make_shared<Probe>();
  b->body = [&b_ran](JobContext&) {
    b_ran.open();
    return JobOutcome::ok();
  };
  std::vector<std::unique_ptr<Job>> jobs;
  jobs.push_back(job("pull_quotes", "a", "quotes", a));
  jobs.push_back(job("pull_quotes", "b", "quotes", b));
  sched.set_jobs(std::move(jobs));
  sched.poll();
  EXPECT_TRUE(b_ran.wait(5s)) << "b waited for a's slot wait";
  EXPECT_TRUE(a_waiting.load());
  slot_free.open();
  ASSERT_TRUE(sched.wait_idle(5s));
  EXPECT_EQ(a->runs.load(), 1);
  EXPECT_EQ(b->runs.load(), 1);
  for (const auto& s : sched.snapshot()) EXPECT_EQ(s.failures, 0) << s.tenant;
  sched.request_stop();
}

TEST_F(SchedulerTest, JobsChooseTheirLaneByEntity) {
  auto p = std::make_shared<Probe>();
  EXPECT_EQ(FakeJob("psa_queue", "a", "queue", p).lane(), JobLane::kQueue);
  EXPECT_EQ(FakeJob("pull_quotes", "a", "quotes", p).lane(), JobLane::kPull);
  EXPECT_EQ(FakeJob("pull_reconcile", "a", "reconcile", p).lane(), JobLane::kPull);
}

}  // namespace
}  // namespace cwsync::daemon
