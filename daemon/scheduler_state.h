// Private to the scheduler: the per-job slot, the lanes of workers and a
// run's hold on one. Shared by scheduler.cpp (what is due, bookkeeping) and
// scheduler_workers.cpp (threads, parking and resuming).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "daemon/scheduler.h"

namespace cwsync::daemon {

struct Scheduler::Slot {
  std::shared_ptr<Job> job;
  JobLane lane = JobLane::kPull;
  std::string id;            // name|tenant|entity: identity across set_jobs()
  std::string key;           // tenant/entity: the exclusion key
  std::string name, tenant, entity;
  bool counts_for_health = true;
  milliseconds interval{0};
  bool running = false;      // queued or running
  bool started = false;      // running on a worker
  bool retired = false;      // dropped by set_jobs() while running
  TimePoint added_at;
  TimePoint next_due;
  std::optional<TimePoint> last_started, last_finished, last_success, deferred_until;
  std::atomic<TimePoint::rep> last_progress{0};
  std::string last_error;
  int runs = 0, failures = 0;
};

// A parked run waiting for a worker: woken alone, in arrival order.
struct Resumer {
  std::condition_variable cv;
};

struct Scheduler::Lane {
  const char* name;
  int permits;                         // runs holding a worker at once
  int running = 0;                     // runs holding a worker now
  int threads = 0, idle = 0;
  std::size_t queued = 0;
  std::map<std::string, std::deque<std::shared_ptr<Slot>>> by_tenant;
  std::deque<std::string> rotation;    // tenants with queued runs, next first
  std::deque<Resumer*> resumers;       // parked runs whose wait ended
  std::condition_variable work_cv;     // idle workers of this lane

  Lane(const char* n, int p) : name(n), permits(std::max(1, p)) {}

  void push(const std::shared_ptr<Slot>& slot) {
    auto& q = by_tenant[slot->tenant];
    if (q.empty()) rotation.push_back(slot->tenant);
    q.push_back(slot);
    ++queued;
  }
  // The next run, round-robin by tenant. queued > 0.
  std::shared_ptr<Slot> pop() {
    std::string tenant = rotation.front();
    rotation.pop_front();
    auto it = by_tenant.find(tenant);
    auto slot = it->second.front();
    it->second.pop_front();
    if (it->second.empty()) by_tenant.erase(it);
    else rotation.push_back(tenant);
    --queued;
    return slot;
  }
  template <typename F>
  void drop_all(F&& on_drop) {
    for (auto& [tenant, q] : by_tenant) {
      for (auto& slot : q) on_drop(slot);
    }
    by_tenant.clear();
    rotation.clear();
    queued = 0;
  }
  bool can_start() const { return queued > 0 && running < permits && resumers.empty(); }
};

struct Scheduler::Permit {
  Scheduler* scheduler;
  Lane* lane;
  bool held = true;
};

// The waiter handed to jobs (Scheduler::job_waiter()): parks the run while it
// waits. Defined in scheduler_workers.cpp.
std::unique_ptr<Waiter> make_parking_waiter(Waiter& inner);

}  // namespace cwsync::daemon
