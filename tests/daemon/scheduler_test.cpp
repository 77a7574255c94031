#include "daemon/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "daemon/metrics.h"
#include "sync/waiter.h"

namespace cwsync::daemon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A one-shot latch with a bounded wait, so a broken scheduler fails the test
// instead of hanging it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait(milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Shared between a FakeJob and the test; survives set_jobs() replacing the job.
struct Probe {
  std::atomic<int> runs{0};
  std::atomic<int> in_key{0};        // runs of this key in progress
  std::atomic<int> max_in_key{0};
  std::function<JobOutcome(JobContext&)> body = [](JobContext&) { return JobOutcome::ok(); };
};

class FakeJob : public Job {
 public:
  FakeJob(std::string name, std::string tenant, std::string entity,
          std::shared_ptr<Probe> probe, std::shared_ptr<Probe> key_probe = nullptr,
          std::optional<milliseconds> fixed = 100s)
      : name_(std::move(name)), tenant_(std::move(tenant)), entity_(std::move(entity)),
        probe_(std::move(probe)), key_probe_(key_probe ? std::move(key_probe) : probe_),
        fixed_(fixed) {}

  std::string name() const override { return name_; }
  std::string tenant() const override { return tenant_; }
  std::string entity() const override { return entity_; }
  milliseconds interval(const Config& config) const override {
    if (fixed_) return *fixed_;
    const Tenant* t = config.find_tenant(tenant_);
    return t ? t->intervals.queue : 1h;
  }
  JobOutcome run(JobContext& ctx) override {
    int now_in = ++key_probe_->in_key;
    int prev = key_probe_->max_in_key.load();
    while (now_in > prev && !key_probe_->max_in_key.compare_exchange_weak(prev, now_in)) {}
    ++probe_->runs;
    JobOutcome out = probe_->body(ctx);
    --key_probe_->in_key;
    return out;
  }

 private:
  std::string name_, tenant_, entity_;
  std::shared_ptr<Probe> probe_, key_probe_;
  std::optional<milliseconds> fixed_;
};

std::shared_ptr<const Config> make_config(milliseconds queue_interval) {
  auto c = std::make_shared<Config>();
  Tenant t;
  t.name = "acme";
  t.intervals.queue = queue_interval;
  c->tenants.push_back(t);
  return c;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void make(SchedulerOptions opts = {}) {
    sched_ = std::make_unique<Scheduler>(
        clock_, [this] {
          std::lock_guard lock(cfg_mu_);
          return cfg_;
        },
        metrics_, waiter_, [this] { return next_random(); }, opts);
  }
  void TearDown() override {
    if (sched_) {
      sched_->request_stop();
      sched_.reset();
    }
  }
  double next_random() {
    std::lock_guard lock(rnd_mu_);
    if (randoms_.empty()) return 0.5;
    double r = randoms_.front();
    randoms_.erase(randoms_.begin());
    return r;
  }
  void set_config(std::shared_ptr<const Config> c) {
    std::lock_guard lock(cfg_mu_);
    cfg_ = std::move(c);
  }
  std::vector<std::unique_ptr<Job>> one(std::unique_ptr<Job> j) {
    std::vector<std::unique_ptr<Job>> v;
    v.push_back(std::move(j));
    return v;
  }
  JobState state(const std::string& name) {
    for (auto& s : sched_->snapshot()) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no job " << name;
    return {};
  }
  // poll() and wait for what it dispatched to finish.
  void tick() {
    sched_->poll();
    ASSERT_TRUE(sched_->wait_idle(5s));
  }

  const TimePoint t0_ = TimePoint{} + std::chrono::hours(24 * 365 * 56);
  ManualClock clock_{t0_};
  std::mutex cfg_mu_;
  std::shared_ptr<const Config> cfg_ = make_config(10min);
  Metrics metrics_;
  StopWaiter waiter_;
  std::mutex rnd_mu_;
  std::vector<double> randoms_;
  std::unique_ptr<Scheduler> sched_;
};

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
