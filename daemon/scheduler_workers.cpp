// The lanes' worker threads: claiming queued runs, parking a run while it
// waits and queueing it for a worker again (see scheduler.h).
#include <algorithm>
#include <exception>

#include "base/log.h"
#include "daemon/scheduler.h"
#include "daemon/scheduler_state.h"

namespace cwsync::daemon {

namespace {

// The run on this thread, if it is a scheduler worker running a job.
thread_local Scheduler::Permit* t_permit = nullptr;

}  // namespace

// Waits through the scheduler's waiter; on a worker thread, a wait first
// gives the worker back and afterwards queues for it again.
class ParkingWaiter final : public Waiter {
 public:
  explicit ParkingWaiter(Waiter& inner) : inner_(inner) {}
  bool wait_for(Millis d) override {
    Scheduler::Permit* p = t_permit;
    if (d <= Millis(0) || p == nullptr || !p->held) return inner_.wait_for(d);
    p->scheduler->park(*p);
    const bool ok = inner_.wait_for(d);
    p->scheduler->resume(*p);
    return ok;
  }
  bool wait_on(const std::function<bool()>& block) override {
    Scheduler::Permit* p = t_permit;
    if (p == nullptr || !p->held) return inner_.wait_on(block);
    p->scheduler->park(*p);
    const bool ok = inner_.wait_on(block);
    p->scheduler->resume(*p);
    return ok;
  }
  void request_stop() override { inner_.request_stop(); }
  bool stop_requested() const override { return inner_.stop_requested(); }

 private:
  Waiter& inner_;
};

Waiter& Scheduler::job_waiter() { return *job_waiter_; }

Scheduler::Lane& Scheduler::lane_of(const Slot& slot) {
  return *lanes_[static_cast<int>(slot.lane)];
}

// Wakes whoever may use a free worker: a parked run first (it is mid-run),
// else an idle thread for a queued run, else a new thread.
void Scheduler::hand_off(Lane& lane) {
  if (lane.running >= lane.permits) return;
  if (!lane.resumers.empty()) {
    lane.resumers.front()->cv.notify_one();
    return;
  }
  if (lane.queued == 0) return;
  if (lane.idle > 0) {
    lane.work_cv.notify_one();
  } else if (lane.threads < std::max(options_.max_threads, lane.permits) && !shutdown_) {
    spawn(lane);
  }
}

void Scheduler::spawn(Lane& lane) {
  reap_exited();
  ++lane.threads;
  ++lane.idle;  // counted idle until it claims work, so hand_off does not spawn twice
  threads_.emplace_back([this, &lane] { worker_main(lane); });
}

void Scheduler::reap_exited() {
  for (auto id : exited_) {
    for (auto it = threads_.begin(); it != threads_.end(); ++it) {
      if (it->get_id() == id) {
        it->join();
        threads_.erase(it);
        break;
      }
    }
  }
  exited_.clear();
}

void Scheduler::park(Permit& permit) {
  std::lock_guard lock(mu_);
  permit.held = false;
  --permit.lane->running;
  hand_off(*permit.lane);
}

void Scheduler::resume(Permit& permit) {
  std::unique_lock lock(mu_);
  Lane& lane = *permit.lane;
  Resumer me;
  lane.resumers.push_back(&me);
  // After stop, take the worker at once: the run only has to return.
  me.cv.wait(lock, [&] {
    return shutdown_ || (lane.resumers.front() == &me && lane.running < lane.permits);
  });
  lane.resumers.erase(std::find(lane.resumers.begin(), lane.resumers.end(), &me));
  ++lane.running;
  permit.held = true;
  hand_off(lane);
}

void Scheduler::join_all() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (auto& lane : lanes_) lane->work_cv.notify_all();
    threads.swap(threads_);
    exited_.clear();
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

void Scheduler::worker_main(Lane& lane) {
  std::unique_lock lock(mu_);
  for (;;) {
    // Counted idle by spawn() for the first round.
    const bool ready = lane.work_cv.wait_for(lock, options_.thread_linger,
                                             [&] { return shutdown_ || lane.can_start(); });
    if (shutdown_) break;
    if (!ready) {
      if (lane.threads > lane.permits) break;  // linger over: not needed any more
      continue;
    }
    --lane.idle;
    std::shared_ptr<Slot> slot = lane.pop();
    if (slot->retired) {
      slot->running = false;
      busy_keys_.erase(slot->key);
      slots_.erase(std::remove(slots_.begin(), slots_.end(), slot), slots_.end());
      idle_cv_.notify_all();
      ++lane.idle;
      continue;
    }
    ++lane.running;
    ++active_;
    const TimePoint started = clock_.now();
    slot->started = true;
    slot->last_started = started;
    slot->last_progress.store(started.time_since_epoch().count());
    std::shared_ptr<Job> job = slot->job;
    hand_off(lane);  // another queued run may start on another thread
    lock.unlock();

    Permit permit{this, &lane};
    t_permit = &permit;
    JobContext ctx(config_(), slot->tenant, clock_, metrics_, *job_waiter_, [this, slot] {
      slot->last_progress.store(clock_.now().time_since_epoch().count());
    });
    JobOutcome outcome;
    try {
      outcome = job->run(ctx);
    } catch (const std::exception& e) {
      log::error("job_crashed").tenant(slot->tenant).entity(slot->entity).field("job", slot->name)
          .msg(e.what());
      outcome = JobOutcome::failed(make_error(ErrorKind::kInternal, e.what(), slot->name));
    } catch (...) {
      log::error("job_crashed").tenant(slot->tenant).entity(slot->entity).field("job", slot->name)
          .msg("unknown exception");
      outcome = JobOutcome::failed(make_error(ErrorKind::kInternal, "unknown exception", slot->name));
    }
    t_permit = nullptr;
    lock.lock();
    if (permit.held) --lane.running;
    hand_off(lane);
    lock.unlock();
    finish(slot, outcome, started);
    lock.lock();
    ++lane.idle;
  }
  --lane.idle;
  --lane.threads;
  exited_.push_back(std::this_thread::get_id());
}

std::unique_ptr<Waiter> make_parking_waiter(Waiter& inner) {
  return std::make_unique<ParkingWaiter>(inner);
}

}  // namespace cwsync::daemon
