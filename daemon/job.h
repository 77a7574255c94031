// The unit of scheduled work, and how work plugs into `cwsync run`.
//
// A Job is one periodic activity for one (tenant, entity): pull quotes for
// acme, drain acme's PSA queue, ... The Scheduler runs it every
// interval(config) ± 10 %, never twice at once for the same (tenant, entity),
// and on a worker thread. A JobProvider turns a Config into the set of jobs;
// it is asked again after every successful SIGHUP reload.
//
// Adding a job type (no edit to existing files):
//   // daemon/job_cpq.cpp
//   class CpqProvider : public JobProvider { ... jobs(const Config&) ... };
//   CWSYNC_REGISTER_JOB_PROVIDER(cpq, [](JobEnv& env) {
//     return std::make_unique<CpqProvider>(env);
//   });
// Files named daemon/job_*.cpp are compiled into the cwsync executable by
// daemon/CMakeLists.txt (glob), so the static registration always links.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "sync/http/http_client.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon {

class Metrics;

// What a run reports back.
struct JobOutcome {
  Status status;                           // ok, or why the run failed
  // When set, the next run happens at this time instead of after the
  // interval (Retry-After longer than the in-thread cap, an open breaker, or
  // "more work pending, come back soon"). Times in the past mean "now".
  std::optional<TimePoint> defer_until;
  // Optional one-line result for logs ("3 pages, 2450 rows").
  std::string summary;

  static JobOutcome ok(std::string summary = {}) { return {Status{}, std::nullopt, std::move(summary)}; }
  static JobOutcome failed(Error e) { return {Status(std::move(e)), std::nullopt, {}}; }
  static JobOutcome deferred(TimePoint until, Status s = {}) { return {std::move(s), until, {}}; }
};

// Everything a run may use. Built by the Scheduler for each run; valid only
// during Job::run. Thread-safe except where noted.
class JobContext {
 public:
  JobContext(std::shared_ptr<const Config> config, std::string tenant, const Clock& clock,
             Metrics& metrics, Waiter& waiter, std::function<void()> on_progress = {});

  // The config snapshot taken when the run started; a reload during the run
  // does not change it.
  const Config& config() const { return *config_; }
  const std::shared_ptr<const Config>& config_ptr() const { return config_; }
  // This job's tenant in that snapshot; nullptr for a tenant-less job.
  const Tenant* tenant() const { return tenant_; }
  const Clock& clock() const { return clock_; }
  Metrics& metrics() const { return metrics_; }
  // The daemon's interruptible waiter: hand it to the sync core (backoff,
  // Retry-After, rate limiter) so SIGTERM ends those waits at once.
  Waiter& waiter() const { return waiter_; }

  // True once SIGTERM arrived: finish the current page/post, then return.
  bool stop_requested() const;
  // Interruptible pause (real time). false when stop was requested.
  bool wait_for(std::chrono::milliseconds d) const;
  // Tells the watchdog a long run is still advancing; call once per page or
  // post. A run silent for SchedulerOptions::job_stall withholds WATCHDOG=1.
  void progress() const;

 private:
  std::shared_ptr<const Config> config_;
  const Tenant* tenant_ = nullptr;
  const Clock& clock_;
  Metrics& metrics_;
  Waiter& waiter_;
  std::function<void()> on_progress_;
};

// Which workers run a job: queue delivery has its own, so it never waits
// behind pulls.
enum class JobLane { kPull = 0, kQueue = 1 };

class Job {
 public:
  virtual ~Job() = default;
  // Stable identifiers, used in logs, metrics labels and STATUS=.
  virtual std::string name() const = 0;     // e.g. "cpq_quotes"
  virtual std::string tenant() const = 0;   // "" for a job not bound to a tenant
  virtual std::string entity() const = 0;   // quotes | opportunities | reconcile | queue
  // Base interval, read from `config` after every run and every reload.
  virtual std::chrono::milliseconds interval(const Config& config) const = 0;
  // Whether /healthz requires this job to succeed within 3 × interval.
  virtual bool counts_for_health() const { return true; }
  // The lane: kQueue for entity "queue", kPull otherwise.
  virtual JobLane lane() const { return entity() == "queue" ? JobLane::kQueue : JobLane::kPull; }
  // Does the work. Called on a worker thread, never concurrently with another
  // run of the same (tenant, entity). Should return promptly once
  // ctx.stop_requested(). Exceptions are caught and logged as job_crashed
  // (treated as a failure), but are a bug: return JobOutcome::failed instead.
  virtual JobOutcome run(JobContext& ctx) = 0;
};

// Long-lived services a provider may hand to its jobs. Outlives every job.
struct JobEnv {
  const Clock& clock;
  Metrics& metrics;
  Waiter& waiter;  // Scheduler::job_waiter(): a wait parks the run
  // Rate budgets per connection, breakers and counters per host, shared by
  // every client the jobs build. /metrics reads it.
  UpstreamRegistry& upstreams;
  // Keep-alive HTTP clients built at start-up with the timeouts of the config
  // at that moment (a reload that changes timeouts takes effect on restart).
  // Two pools, so posts never queue for a connection behind pulls.
  HttpClient& pull_http;
  HttpClient& queue_http;
};

// Turns a config into jobs. Created once per `cwsync run`, so it may own
// state shared across jobs and reloads (rate limiters per host, breakers).
class JobProvider {
 public:
  virtual ~JobProvider() = default;
  // The jobs this config calls for. Called at start and after each reload;
  // jobs whose (name, tenant, entity) already exist keep their schedule.
  virtual std::vector<std::unique_ptr<Job>> jobs(const Config& config) = 0;
};

using JobProviderFactory = std::function<std::unique_ptr<JobProvider>(JobEnv&)>;

// Static registration; see the file comment. `name` only orders providers.
struct JobProviderRegistration {
  JobProviderRegistration(const char* name, JobProviderFactory factory);
};

struct RegisteredProvider {
  std::string name;
  JobProviderFactory factory;
};
// Every registered factory, sorted by name.
std::vector<RegisteredProvider> registered_job_providers();

#define CWSYNC_REGISTER_JOB_PROVIDER(name, ...)                              \
  static const ::cwsync::daemon::JobProviderRegistration                     \
      cwsync_job_provider_registration_##name(#name, __VA_ARGS__)

}  // namespace cwsync::daemon
