// Runs Jobs on their intervals.
//
// One dispatcher (run(), or poll() driven by a test) decides what is due;
// worker threads run the jobs in two lanes (Job::lane()): queue delivery and
// pulls. Each lane has its own workers, so a post never waits behind pulls.
// Within a lane, due runs are taken round-robin by tenant, and at most
// `workers` (`queue_workers`) runs hold a worker at once. A run that waits
// (rate limit, backoff, Retry-After, a request slot: every wait through
// job_waiter(), wait_for() or wait_on()) gives its worker back while it
// sleeps ("parks"); when the wait ends it queues,
// first come first served, for a worker again. So a tenant waiting for its
// budget never holds a worker another tenant could use; it holds only a
// sleeping thread (at most `max_threads` per lane). Rules:
//  - next run = end of last run + interval × U(1 − jitter, 1 + jitter);
//    the first run of a new job is due at once;
//  - a JobOutcome::defer_until replaces that once;
//  - a job is never dispatched while another job with the same
//    (tenant, entity) is queued or running;
//  - after config_changed(), idle jobs are rescheduled from their last end
//    with the new interval (a shorter interval applies at once);
//  - request_stop(): nothing new is dispatched, queued runs are dropped, the
//    loop and every Waiter wait wake at once.
// Time comes from the injected Clock; randomness from the injected Random, so
// tests drive both. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "config/config.h"
#include "daemon/job.h"

namespace cwsync::daemon {

class Metrics;

struct SchedulerOptions {
  int workers = 4;                               // pull runs holding a worker at once
  int queue_workers = 2;                         // queue runs holding a worker at once
  int max_threads = 1024;                        // per lane, parked runs included
  std::chrono::milliseconds thread_linger{5000};   // idle threads beyond `workers` exit
  double jitter = 0.10;                          // ± fraction of the interval
  std::chrono::milliseconds max_idle_wait{1000};  // the loop wakes at least this often
  std::chrono::milliseconds loop_stall{30000};   // heartbeat older than this: stuck
  std::chrono::milliseconds job_stall{15 * 60 * 1000};  // a run silent this long: stuck
  // Called on the worker after each run, with the job's (tenant, name), its
  // outcome and the finish time; e.g. to persist failures for `cwsync status`.
  std::function<void(const std::string& tenant, const std::string& job, const JobOutcome&,
                     TimePoint)>
      on_finished;
};

// A read-only view of one job, for STATUS=, /healthz and /metrics.
struct JobState {
  std::string name, tenant, entity;
  std::chrono::milliseconds interval{0};         // base interval, current config
  bool counts_for_health = true;
  bool running = false;                          // queued or running
  TimePoint added_at;
  std::optional<TimePoint> last_started, last_finished, last_success;
  TimePoint next_due;
  std::optional<TimePoint> deferred_until;
  std::string last_error;                        // "" after a success
  int runs = 0, failures = 0;
};

class Scheduler {
 public:
  using ConfigSource = std::function<std::shared_ptr<const Config>()>;
  using Random = UniformRandom;                  // uniform in [0, 1)

  // `clock`, `metrics` and `waiter` must outlive this. Jobs get job_waiter()
  // (which wraps `waiter`) in their JobContext. Threads start on demand.
  Scheduler(const Clock& clock, ConfigSource config, Metrics& metrics, Waiter& waiter,
            Random random, SchedulerOptions options = {});
  // Stops the workers (queued runs are dropped) and joins them, waiting for
  // running jobs. If drain() returned false, do not destroy: exit instead.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Replaces the job set, matching by (name, tenant, entity): kept jobs keep
  // their schedule (their Job object is replaced), new ones are due now, gone
  // ones are dropped once their current run ends.
  void set_jobs(std::vector<std::unique_ptr<Job>> jobs);
  // Makes every idle job of `tenant` due now, dropping any deferral (a
  // reload fixed its credentials: a pause must not outlive the fix).
  void run_now(const std::string& tenant);
  // Re-reads every idle job's interval from the config source and
  // reschedules it from its last end. Logs job_rescheduled when it changed.
  void config_changed();

  // Dispatches every due job and records a heartbeat. Returns the earliest
  // time an idle job becomes due (nullopt when none is idle or stopped).
  std::optional<TimePoint> poll();
  // The dispatcher loop: poll, then wait for the next due time, a finished
  // run, a change, or stop. Returns once stop is requested.
  void run();
  // Stops dispatching, drops queued runs, wakes run() and calls
  // waiter.request_stop() so running jobs abandon their waits. Idempotent;
  // safe from any thread (the signal thread calls it).
  void request_stop();
  bool stop_requested() const;
  // After stop: waits up to `grace` (real time) for running jobs to return.
  // true when none is left running.
  bool drain(std::chrono::milliseconds grace);

  // Blocks up to `timeout` (real time) until nothing is queued or running.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Loop heartbeat within loop_stall and no started run silent for job_stall.
  bool progressing() const;
  // Jobs in (tenant, entity, name) order.
  std::vector<JobState> snapshot() const;
  // The waiter jobs must use (JobContext::waiter(), JobEnv::waiter): waits
  // on a worker thread park the run. Stop requests go to the wrapped waiter.
  Waiter& job_waiter();

  struct Permit;  // a run's hold on a worker (scheduler_state.h)
  struct Lane;

 private:
  struct Slot;
  friend class ParkingWaiter;
  void worker_main(Lane& lane);
  void hand_off(Lane& lane);   // mu_ held
  void spawn(Lane& lane);      // mu_ held
  void reap_exited();          // mu_ held
  void park(Permit& permit);
  void resume(Permit& permit);
  Lane& lane_of(const Slot& slot);
  void join_all();
  void finish(const std::shared_ptr<Slot>& slot, const JobOutcome& outcome, TimePoint started);
  TimePoint next_after(TimePoint from, std::chrono::milliseconds interval);
  void follow_clock_step_back(TimePoint now);
  void wake();

  const Clock& clock_;
  ConfigSource config_;
  Metrics& metrics_;
  Waiter& waiter_;
  Random random_;
  SchedulerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable loop_cv_;    // dispatcher: something changed
  std::condition_variable idle_cv_;    // drain / wait_idle
  bool changed_ = false;
  bool shutdown_ = false;
  std::vector<std::shared_ptr<Slot>> slots_;
  std::unique_ptr<Lane> lanes_[2];     // indexed by JobLane
  std::set<std::string> busy_keys_;    // "tenant/entity" queued or running
  int active_ = 0;                     // runs in progress (parked included)
  std::atomic<TimePoint::rep> heartbeat_;
  std::unique_ptr<Waiter> job_waiter_;
  std::list<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // threads that returned, to join
};


}  // namespace cwsync::daemon
