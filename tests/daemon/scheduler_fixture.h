// Shared by the scheduler tests: a latch, a probe and a scriptable Job, and
// a fixture with a ManualClock and scripted randomness.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "daemon/metrics.h"
#include "daemon/scheduler.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon::sched_test {

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

inline std::shared_ptr<const Config> make_config(milliseconds queue_interval) {
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

}  // namespace cwsync::daemon::sched_test
