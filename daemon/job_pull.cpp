// The pull jobs of `cwsync run`: per tenant, quotes (CPQ), opportunities (PSA,
// source psa only) and reconcile, each on the tenant's interval. One
// HttpClient per provider (keep-alive pools shared by all pull jobs); rate
// budgets and breakers come from the daemon's shared UpstreamRegistry.
//
// Per tenant, a reconcile never overlaps a pull (run_pass holds that rule in
// storage, across processes); a run that finds the other kind running does not
// block a worker: it is deferred for a few seconds. After a 401/403/404 the tenant's pulls stop (no
// request, one clear failure per interval) until a config reload.
//
// A run opens its database connection and closes it at the end: with
// hundreds of tenants, a connection per idle job would cost file
// descriptors and page cache for nothing.
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "base/log.h"
#include "daemon/job.h"
#include "daemon/metrics.h"
#include "storage/database.h"
#include "storage/state_store.h"
#include "sync/http/backoff.h"
#include "sync/sync_pass.h"
#include "sync/tenant_clients.h"

namespace cwsync::daemon {
namespace {

// What one tenant's pull jobs share.
struct TenantGate {
  std::mutex mu;
  std::string stopped;     // diagnosis after an account error; "" = running
  bool recorded = false;   // tenant_states holds a pulls_stopped row for it
};

class TenantGates {
 public:
  std::shared_ptr<TenantGate> get(const std::string& tenant) {
    std::lock_guard lk(mu_);
    auto& g = gates_[tenant];
    if (!g) g = std::make_shared<TenantGate>();
    return g;
  }
  // A reload may carry fixed credentials: let every tenant try again.
  void clear_stops() {
    std::lock_guard lk(mu_);
    for (auto& [name, g] : gates_) {
      std::lock_guard glk(g->mu);
      g->stopped.clear();
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TenantGate>> gates_;
};

class PullJob final : public Job {
 public:
  PullJob(JobEnv& env, std::shared_ptr<TenantGate> gate,
          std::string tenant, PassEntity entity)
      : env_(env), gate_(std::move(gate)), tenant_(std::move(tenant)),
        entity_(entity) {}

  std::string name() const override { return std::string("pull_") + to_string(entity_); }
  std::string tenant() const override { return tenant_; }
  std::string entity() const override { return to_string(entity_); }

  std::chrono::milliseconds interval(const Config& config) const override {
    const Tenant* t = config.find_tenant(tenant_);
    const Intervals& iv = t != nullptr ? t->intervals : config.defaults.intervals;
    switch (entity_) {
      case PassEntity::kQuotes: return iv.quotes;
      case PassEntity::kOpportunities: return iv.opportunities;
      case PassEntity::kReconcile: return iv.reconcile;
      case PassEntity::kTickets: return iv.tickets;
    }
    return iv.quotes;
  }

  JobOutcome run(JobContext& ctx) override {
    const Tenant* tenant = ctx.tenant();
    if (tenant == nullptr) {
      return JobOutcome::failed(make_error(ErrorKind::kConfig, "tenant no longer configured", tenant_));
    }
    {
      std::lock_guard lk(gate_->mu);
      if (!gate_->stopped.empty()) {
        return JobOutcome::failed(make_error(
            ErrorKind::kAuth,
            "sync stopped after an account error; fix the config and reload (SIGHUP): " +
                gate_->stopped,
            tenant_));
      }
    }
    const Config& cfg = ctx.config();
    auto db = storage::Database::open(cfg.database);
    if (!db.ok()) return JobOutcome::failed(db.error());
    return pass(ctx, *tenant, cfg, *db);
  }

 private:
  JobOutcome pass(JobContext& ctx, const Tenant& tenant_cfg, const Config& cfg,
                  storage::Database& db) {
    const Tenant* tenant = &tenant_cfg;
    SyncEnvironment senv{env_.pull_http, env_.upstreams, ctx.waiter(), ctx.clock(),
                         default_random()};
    TenantClients clients(cfg.defaults, *tenant, senv);
    PassOptions opts;
    opts.on_page = [&ctx] { ctx.progress(); };
    opts.stop = [&ctx] { return ctx.stop_requested(); };  // e.g. SIGTERM while waiting for the gate
    opts.log_changes_only = cfg.log.runs == RunLogging::kChanges;
    PassResult r = run_pass(entity_, {cfg.defaults, *tenant, clients, db, ctx.clock()}, opts);
    if (r.waited_for_lock) {
      // A pull and the reconcile of one tenant fall due together at start:
      // the second one waiting its turn is scheduling, not a failure (no
      // job_failed, no failure metric or tenant state).
      JobOutcome waiting = JobOutcome::deferred(*r.defer_until);
      waiting.summary = r.status.error().message;
      return waiting;
    }

    Labels labels{{"tenant", tenant_}, {"entity", to_string(entity_)}};
    if (r.stats.upserted > 0) {
      ctx.metrics().add(metric::kRecordsUpserted, labels, static_cast<double>(r.stats.upserted));
    }
    if (r.stats.deleted > 0) {
      ctx.metrics().add(metric::kRecordsDeleted, labels, static_cast<double>(r.stats.deleted));
    }
    std::string summary = std::to_string(r.stats.pages) + " pages, " +
                          std::to_string(r.stats.api_calls) + " requests, " +
                          std::to_string(r.stats.upserted) + " upserted, " +
                          std::to_string(r.stats.deleted) + " tombstoned";
    record_stop(db, r.stop_tenant ? std::optional<std::string>(r.diagnosis) : std::nullopt,
                ctx.clock().now());
    if (r.stop_tenant) {
      std::lock_guard lk(gate_->mu);
      gate_->stopped = r.diagnosis;
      log::error("sync_tenant_stopped")
          .tenant(tenant_)
          .entity(to_string(entity_))
          .msg("pulls for this tenant are stopped until the config is fixed and reloaded: " +
               r.diagnosis);
    }
    if (r.defer_until) return JobOutcome::deferred(*r.defer_until, r.status);
    if (!r.status.ok()) return JobOutcome::failed(r.status.error());
    return JobOutcome::ok(std::move(summary));
  }

  // Keeps tenant_states' pulls_stopped row in step with the gate, so `cwsync
  // status` shows the stop; a run after a reload cleared the gate removes it.
  void record_stop(storage::Database& db, const std::optional<std::string>& diagnosis,
                   TimePoint now) {
    std::lock_guard lk(gate_->mu);
    if (!diagnosis && !gate_->recorded) return;
    storage::StateStore states(db);
    Status st;
    if (diagnosis) {
      storage::TenantStateRow row;
      row.tenant = tenant_;
      row.state = storage::TenantState::kPullsStopped;
      row.reason = *diagnosis;
      st = states.set(row, now);
      if (st.ok()) gate_->recorded = true;
    } else {
      st = states.clear(tenant_, storage::TenantState::kPullsStopped);
      if (st.ok()) gate_->recorded = false;
    }
    if (!st.ok()) log::debug("state_write_failed").tenant(tenant_).msg(st.error().describe());
  }

  JobEnv& env_;
  std::shared_ptr<TenantGate> gate_;
  std::string tenant_;
  PassEntity entity_;
};

class PullProvider final : public JobProvider {
 public:
  explicit PullProvider(JobEnv& env) : env_(env) {}

  std::vector<std::unique_ptr<Job>> jobs(const Config& config) override {
    gates_.clear_stops();
    std::vector<std::unique_ptr<Job>> out;
    for (const Tenant& t : config.tenants) {
      auto gate = gates_.get(t.name);
      auto add = [&](PassEntity e) {
        out.push_back(std::make_unique<PullJob>(env_, gate, t.name, e));
      };
      if (t.cpq) add(PassEntity::kQuotes);
      if (t.opportunities == OpportunitySource::kPsa && t.psa) add(PassEntity::kOpportunities);
      const bool tickets = t.tickets.enabled && t.psa;
      if (tickets) add(PassEntity::kTickets);
      if (t.cpq || (t.opportunities == OpportunitySource::kPsa && t.psa) || tickets) {
        add(PassEntity::kReconcile);
      }
    }
    return out;
  }

 private:
  JobEnv& env_;
  TenantGates gates_;
};

}  // namespace

CWSYNC_REGISTER_JOB_PROVIDER(pull, [](JobEnv& env) { return std::make_unique<PullProvider>(env); });

}  // namespace cwsync::daemon
