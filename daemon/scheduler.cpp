#include "daemon/scheduler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "base/log.h"
#include "daemon/metrics.h"
#include "daemon/scheduler_state.h"

namespace cwsync::daemon {

using std::chrono::milliseconds;

namespace {

std::string slot_id(const Job& j) { return j.name() + "|" + j.tenant() + "|" + j.entity(); }

double seconds_since_epoch(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Scheduler::Scheduler(const Clock& clock, ConfigSource config, Metrics& metrics, Waiter& waiter,
                     Random random, SchedulerOptions options)
    : clock_(clock), config_(std::move(config)), metrics_(metrics), waiter_(waiter),
      random_(std::move(random)), options_(options),
      heartbeat_(clock.now().time_since_epoch().count()),
      job_waiter_(make_parking_waiter(waiter)) {
  lanes_[static_cast<int>(JobLane::kPull)] = std::make_unique<Lane>("pull", options_.workers);
  lanes_[static_cast<int>(JobLane::kQueue)] =
      std::make_unique<Lane>("queue", options_.queue_workers);
}

void Scheduler::request_stop() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    // Stop claiming work: queued runs are dropped, not started.
    for (auto& lane : lanes_) {
      lane->drop_all([this](const std::shared_ptr<Slot>& slot) {
        slot->running = false;
        busy_keys_.erase(slot->key);
      });
      lane->work_cv.notify_all();
      for (Resumer* r : lane->resumers) r->cv.notify_one();
    }
    loop_cv_.notify_all();
    idle_cv_.notify_all();
  }
  waiter_.request_stop();
}

bool Scheduler::stop_requested() const {
  std::lock_guard lock(mu_);
  return shutdown_;
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    for (auto& lane : lanes_) {
      lane->drop_all([](const std::shared_ptr<Slot>&) {});
      for (Resumer* r : lane->resumers) r->cv.notify_one();
    }
  }
  join_all();
}

TimePoint Scheduler::next_after(TimePoint from, milliseconds interval) {
  double u = std::clamp(random_(), 0.0, 1.0);
  double factor = 1.0 + options_.jitter * (2.0 * u - 1.0);
  auto ms = static_cast<milliseconds::rep>(std::llround(static_cast<double>(interval.count()) * factor));
  return from + milliseconds(std::max<milliseconds::rep>(ms, 0));
}

void Scheduler::wake() {
  changed_ = true;
  loop_cv_.notify_all();
}

void Scheduler::set_jobs(std::vector<std::unique_ptr<Job>> jobs) {
  auto cfg = config_();
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  std::map<std::string, std::unique_ptr<Job>> incoming;
  for (auto& j : jobs) {
    if (j) {
      std::string id = slot_id(*j);
      incoming[id] = std::move(j);
    }
  }
  std::vector<std::shared_ptr<Slot>> kept;
  for (auto& slot : slots_) {
    auto it = incoming.find(slot->id);
    if (it != incoming.end()) {
      slot->job = std::move(it->second);
      slot->counts_for_health = slot->job->counts_for_health();
      slot->retired = false;
      incoming.erase(it);
      kept.push_back(slot);
    } else if (slot->running) {
      slot->retired = true;   // finish() drops it
      kept.push_back(slot);
    }
  }
  for (auto& [id, job] : incoming) {
    auto slot = std::make_shared<Slot>();
    slot->id = id;
    slot->name = job->name();
    slot->tenant = job->tenant();
    slot->entity = job->entity();
    slot->key = slot->tenant + "/" + slot->entity;
    slot->counts_for_health = job->counts_for_health();
    slot->lane = job->lane();
    slot->interval = cfg ? job->interval(*cfg) : milliseconds(0);
    slot->added_at = now;
    slot->next_due = now;
    slot->job = std::move(job);
    kept.push_back(std::move(slot));
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return std::tie(a->tenant, a->entity, a->name) < std::tie(b->tenant, b->entity, b->name);
  });
  slots_ = std::move(kept);
  wake();
}

void Scheduler::run_now(const std::string& tenant) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  for (auto& slot : slots_) {
    if (slot->tenant != tenant || slot->running) continue;
    slot->deferred_until.reset();
    slot->next_due = now;
  }
  wake();
}

void Scheduler::config_changed() {
  auto cfg = config_();
  if (!cfg) return;
  struct Change { std::string tenant, entity, name; milliseconds from, to; TimePoint next; };
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    for (auto& slot : slots_) {
      milliseconds interval = slot->job->interval(*cfg);
      if (interval == slot->interval) continue;
      Change c{slot->tenant, slot->entity, slot->name, slot->interval, interval, slot->next_due};
      slot->interval = interval;
      bool deferred = slot->deferred_until && *slot->deferred_until > now;
      if (!slot->running && !deferred) {
        slot->next_due = next_after(slot->last_finished.value_or(slot->added_at), interval);
      }
      c.next = slot->next_due;
      changes.push_back(std::move(c));
    }
    wake();
  }
  TimePoint now = clock_.now();
  for (const auto& c : changes) {
    log::info("job_rescheduled").tenant(c.tenant).entity(c.entity).field("job", c.name)
        .field("interval_ms", static_cast<std::int64_t>(c.to.count()))
        .field("previous_interval_ms", static_cast<std::int64_t>(c.from.count()))
        .field("next_run_in_ms", static_cast<std::int64_t>(
            std::max<milliseconds::rep>(0, std::chrono::duration_cast<milliseconds>(c.next - now).count())))
        .msg("interval changed by config reload");
  }
}

std::optional<TimePoint> Scheduler::poll() {
  std::lock_guard lock(mu_);
  TimePoint now = clock_.now();
  follow_clock_step_back(now);
  heartbeat_.store(now.time_since_epoch().count());
  reap_exited();
  if (shutdown_) return std::nullopt;
  std::optional<TimePoint> earliest;
  for (auto& slot : slots_) {
    if (slot->running || slot->retired) continue;
    if (slot->next_due <= now) {
      // A due job whose key is busy waits for that run's finish(), which
      // wakes the loop; it does not count towards `earliest` (no spinning).
      if (busy_keys_.count(slot->key) != 0) continue;
      slot->running = true;
      busy_keys_.insert(slot->key);
      Lane& lane = lane_of(*slot);
      lane.push(slot);
      hand_off(lane);
      continue;
    }
    if (!earliest || slot->next_due < *earliest) earliest = slot->next_due;
  }
  return earliest;
}

// Due times are wall-clock times. When the wall clock steps back (NTP, a VM
// restore), every due time computed before the step lies that much further
// away, and without this every job would sit idle for the size of the step.
// The previous poll's time is the heartbeat. Called with mu_ held.
void Scheduler::follow_clock_step_back(TimePoint now) {
  constexpr milliseconds kTolerance{1000};
  const TimePoint previous{TimePoint::duration(heartbeat_.load())};
  if (now + kTolerance >= previous) return;
  const auto step = previous - now;
  for (auto& slot : slots_) {
    slot->next_due -= step;
    if (slot->deferred_until) *slot->deferred_until -= step;
  }
  log::warn("clock_stepped_back")
      .field("step_ms", static_cast<std::int64_t>(
                            std::chrono::duration_cast<milliseconds>(step).count()))
      .msg("the wall clock moved back; job due times moved back with it");
}

void Scheduler::run() {
  log::info("scheduler_started").field("workers", options_.workers)
      .field("queue_workers", options_.queue_workers)
      .field("jobs", static_cast<std::int64_t>(snapshot().size()));
  for (;;) {
    std::optional<TimePoint> next = poll();
    std::unique_lock lock(mu_);
    if (shutdown_) break;
    if (changed_) {
      changed_ = false;
      continue;
    }
    milliseconds wait = options_.max_idle_wait;
    if (next) {
      auto until = std::chrono::ceil<milliseconds>(*next - clock_.now());
      wait = std::clamp(until, milliseconds(0), options_.max_idle_wait);
    }
    if (wait > milliseconds(0)) {
      loop_cv_.wait_for(lock, wait, [this] { return changed_ || shutdown_; });
    }
    changed_ = false;
  }
  log::info("scheduler_stopping").msg("no new work will be claimed");
}

void Scheduler::finish(const std::shared_ptr<Slot>& slot, const JobOutcome& outcome,
                       TimePoint started) {
  auto cfg = config_();
  TimePoint now;
  milliseconds took;
  {
    std::lock_guard lock(mu_);
    now = clock_.now();
    took = std::chrono::duration_cast<milliseconds>(now - started);
    slot->running = false;
    slot->started = false;
    busy_keys_.erase(slot->key);
    slot->last_finished = now;
    ++slot->runs;
    if (outcome.status.ok()) {
      slot->last_success = now;
      slot->last_error.clear();
    } else {
      ++slot->failures;
      slot->last_error = outcome.status.error().describe();
    }
    if (cfg) slot->interval = slot->job->interval(*cfg);
    if (outcome.defer_until) {
      slot->deferred_until = std::max(*outcome.defer_until, now);
      slot->next_due = *slot->deferred_until;
    } else {
      slot->deferred_until.reset();
      slot->next_due = next_after(now, slot->interval);
    }
    if (slot->retired) {
      slots_.erase(std::remove(slots_.begin(), slots_.end(), slot), slots_.end());
    }
    wake();
  }

  const char* result = !outcome.status.ok() ? "failed" : outcome.defer_until ? "deferred" : "ok";
  Labels labels{{"tenant", slot->tenant}, {"entity", slot->entity}};
  Labels with_outcome = labels;
  with_outcome.emplace_back("outcome", result);
  metrics_.add(metric::kJobRuns, with_outcome);
  metrics_.set(metric::kJobDuration, labels, std::chrono::duration<double>(took).count());
  if (outcome.status.ok()) metrics_.set(metric::kLastSuccess, labels, seconds_since_epoch(now));

  if (!outcome.status.ok()) {
    const Error& e = outcome.status.error();
    log::warn("job_failed").tenant(slot->tenant).entity(slot->entity).field("job", slot->name)
        .field("error_kind", to_string(e.kind)).duration(took).msg(e.describe());
  }
  if (outcome.defer_until) {
    log::info("job_deferred").tenant(slot->tenant).entity(slot->entity).field("job", slot->name)
        .field("until", format_iso8601(*outcome.defer_until)).msg(outcome.summary);
  } else if (outcome.status.ok()) {
    log::debug("job_finished").tenant(slot->tenant).entity(slot->entity).field("job", slot->name)
        .duration(took).msg(outcome.summary);
  }
  if (options_.on_finished) options_.on_finished(slot->tenant, slot->name, outcome, now);
  // Only now is the run idle: wait_idle() and drain() promise that its
  // metrics and log lines are already out.
  {
    std::lock_guard lock(mu_);
    --active_;
    idle_cv_.notify_all();
  }
}

bool Scheduler::drain(milliseconds grace) {
  std::unique_lock lock(mu_);
  bool done = idle_cv_.wait_for(lock, grace, [this] { return active_ == 0; });
  if (!done) return false;
  lock.unlock();
  join_all();
  return true;
}

bool Scheduler::wait_idle(milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] {
    return active_ == 0 && lanes_[0]->queued == 0 && lanes_[1]->queued == 0;
  });
}

bool Scheduler::progressing() const {
  TimePoint now = clock_.now();
  TimePoint beat{TimePoint::duration(heartbeat_.load())};
  if (now - beat > options_.loop_stall) return false;
  std::lock_guard lock(mu_);
  for (const auto& slot : slots_) {
    if (!slot->started) continue;
    TimePoint last{TimePoint::duration(slot->last_progress.load())};
    if (now - last > options_.job_stall) return false;
  }
  return true;
}

std::vector<JobState> Scheduler::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<JobState> out;
  out.reserve(slots_.size());
  for (const auto& s : slots_) {
    JobState j;
    j.name = s->name;
    j.tenant = s->tenant;
    j.entity = s->entity;
    j.interval = s->interval;
    j.counts_for_health = s->counts_for_health;
    j.running = s->running;
    j.added_at = s->added_at;
    j.last_started = s->last_started;
    j.last_finished = s->last_finished;
    j.last_success = s->last_success;
    j.next_due = s->next_due;
    j.deferred_until = s->deferred_until;
    j.last_error = s->last_error;
    j.runs = s->runs;
    j.failures = s->failures;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace cwsync::daemon
