// The PSA queue jobs of `cwsync run`: per tenant with a psa connection, one
// job (entity "queue") that drains that tenant's due posts every
// intervals.queue (sync/queue_drainer.h has the state machine, docs/queue.md
// the operator view). The job keeps its TenantQueue between runs, so member
// and status caches and an auth pause survive until the next reload (a reload
// replaces the Job object, which also lifts a pause; one that changes the
// tenant's credentials also runs the job at once: the usual fix for a 401 is
// new keys plus SIGHUP). The pause is recorded in tenant_states, so `cwsync
// status` in another process can show it.
#include <memory>
#include <mutex>
#include <optional>

#include "base/log.h"
#include "daemon/job.h"
#include "storage/database.h"
#include "storage/queue_store.h"
#include "storage/state_store.h"
#include "sync/http/backoff.h"
#include "sync/tenant_queue.h"

namespace cwsync::daemon {
namespace {

class QueueJob final : public Job {
 public:
  QueueJob(JobEnv& env, std::string tenant)
      : env_(env), tenant_(std::move(tenant)) {}

  std::string name() const override { return "psa_queue"; }
  std::string tenant() const override { return tenant_; }
  std::string entity() const override { return "queue"; }
  std::chrono::milliseconds interval(const Config& config) const override {
    const Tenant* t = config.find_tenant(tenant_);
    return t != nullptr ? t->intervals.queue : config.defaults.intervals.queue;
  }

  JobOutcome run(JobContext& ctx) override {
    const Tenant* tenant = ctx.tenant();
    if (tenant == nullptr || !tenant->psa) {
      return JobOutcome::failed(
          make_error(ErrorKind::kConfig, "tenant no longer configured with psa", tenant_));
    }
    const Config& cfg = ctx.config();
    if (auto st = prepare(cfg, *tenant); !st.ok()) return JobOutcome::failed(st.error());
    QueueDrainer& drainer = queue_->drainer();

    if (auto until = drainer.paused_until(); until && ctx.clock().now() < *until) {
      return JobOutcome::deferred(*until, make_error(ErrorKind::kAuth, "queue paused", tenant_));
    }
    // The context lives for this run only.
    drainer.options().stop = [&ctx] { return ctx.stop_requested(); };
    drainer.options().progress = [&ctx] { ctx.progress(); };
    auto r = drainer.drain_once();
    drainer.options().stop = nullptr;
    drainer.options().progress = nullptr;

    if (!r.ok()) return JobOutcome::failed(r.error());
    const DrainStats& s = *r;
    record_pause(s, ctx.clock().now());
    std::string summary = std::to_string(s.claimed) + " claimed, " + std::to_string(s.succeeded) +
                          " delivered (" + std::to_string(s.deduplicated) + " deduplicated), " +
                          std::to_string(s.retried) + " retrying, " + std::to_string(s.dead) +
                          " dead";
    if (s.paused && drainer.paused_until()) {
      return JobOutcome::deferred(
          *drainer.paused_until(),
          make_error(ErrorKind::kAuth, "queue paused: " + s.pause_reason, tenant_));
    }
    // PSA's breaker is open: come back for its probe, not before.
    if (s.unavailable_until) return JobOutcome::deferred(*s.unavailable_until);
    return JobOutcome::ok(std::move(summary));
  }

 private:
  // Keeps tenant_states' queue_paused row in step with the drainer; the
  // first run of this Job clears a row left by the Job a reload replaced.
  void record_pause(const DrainStats& s, TimePoint now) {
    storage::StateStore states(*db_);
    const auto until = queue_->drainer().paused_until();
    Status st;
    if (s.paused && until) {
      if (!s.pause_reason.empty()) {
        storage::TenantStateRow row;
        row.tenant = tenant_;
        row.state = storage::TenantState::kQueuePaused;
        row.reason = s.pause_reason;
        row.until = until;
        st = states.set(row, now);
        pause_recorded_ = st.ok();
      }
    } else if (pause_recorded_ || first_run_) {
      st = states.clear(tenant_, storage::TenantState::kQueuePaused);
      if (st.ok()) pause_recorded_ = false;
    }
    first_run_ = false;
    if (!st.ok()) log::debug("state_write_failed").tenant(tenant_).msg(st.error().describe());
  }

  // Opens the DB and builds the delivery stack on first use (or when the
  // database path changed; other config changes arrive as a new Job).
  Status prepare(const Config& cfg, const Tenant& tenant) {
    if (queue_ && db_path_ == cfg.database) return {};
    queue_.reset();
    store_.reset();
    db_.reset();
    auto db = storage::Database::open(cfg.database);
    if (!db.ok()) return db.error();
    db_.emplace(std::move(*db));
    db_path_ = cfg.database;
    store_ = std::make_unique<storage::QueueStore>(*db_);
    SyncEnvironment senv{env_.queue_http, env_.upstreams, env_.waiter, env_.clock,
                         default_random()};
    queue_ = std::make_unique<TenantQueue>(cfg.defaults, tenant, senv, *store_);
    return {};
  }

  JobEnv& env_;
  std::string tenant_;
  std::optional<storage::Database> db_;
  std::string db_path_;
  std::unique_ptr<storage::QueueStore> store_;
  std::unique_ptr<TenantQueue> queue_;
  bool pause_recorded_ = false;
  bool first_run_ = true;
};

class QueueProvider final : public JobProvider {
 public:
  explicit QueueProvider(JobEnv& env) : env_(env) {}

  std::vector<std::unique_ptr<Job>> jobs(const Config& config) override {
    std::vector<std::unique_ptr<Job>> out;
    for (const Tenant& t : config.tenants) {
      if (t.psa) out.push_back(std::make_unique<QueueJob>(env_, t.name));
    }
    return out;
  }

 private:
  JobEnv& env_;
};

}  // namespace

CWSYNC_REGISTER_JOB_PROVIDER(queue, [](JobEnv& env) { return std::make_unique<QueueProvider>(env); });

}  // namespace cwsync::daemon
