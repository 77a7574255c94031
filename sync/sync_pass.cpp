#include "sync/sync_pass.h"

#include "base/log.h"
#include "storage/db_lock.h"
#include "sync/cpq/cpq_auth.h"
#include "sync/cpq/cpq_puller.h"
#include "sync/psa_provider.h"
#include "sync/pull_engine.h"
#include "sync/reconcile.h"

namespace cwsync {
namespace {

using storage::Entity;
using storage::RunKind;
using storage::RunOutcome;
using storage::RunStatus;

// Turns the run's end into a sync_runs row, log events and the verdict.
struct RunScope {
  const PassTarget& t;
  storage::CacheStore& cache;
  Entity entity;
  RunKind kind;
  const char* label;      // log entity
  std::string api;        // "cpq", or the PSA provider's api(): log field and diagnosis
  std::optional<std::int64_t> run_id;
  bool log_changes_only = false;
  TimePoint started{};

  // The upstream's own words for an account problem ("" when it is not one).
  std::string diagnosis(const Error& e) {
    if (api == "cpq") return diagnose_cpq(e);
    PsaProvider* psa = t.clients.psa_provider();
    return psa != nullptr ? psa->diagnose(e) : std::string();
  }

  Status start() {
    started = t.clock.now();
    auto id = cache.start_run(t.tenant.name, entity, kind, started);
    if (!id.ok()) return id.error();
    run_id = *id;
    // Quiet mode cannot know yet whether the run will be idle; sync_finished
    // carries the duration, so nothing is lost at info.
    const log::Level level = log_changes_only ? log::Level::kDebug : log::Level::kInfo;
    log::at(level, "sync_started")
        .tenant(t.tenant.name)
        .entity(label)
        .field("kind", storage::to_string(kind))
        .field("run_id", *id)
        .msg(std::string("starting ") + storage::to_string(kind) + " " + label + " run");
    return {};
  }

  void finish(const Status& status, const PullStats& stats, PassResult& result) {
    RunOutcome o;
    o.pages = stats.pages;
    o.api_calls = stats.api_calls;
    o.upserted = stats.upserted;
    o.deleted = stats.deleted;
    const TimePoint now = t.clock.now();
    if (status.ok()) {
      o.status = RunStatus::kOk;
      const bool idle = o.upserted == 0 && o.deleted == 0;
      const log::Level level = log_changes_only && idle ? log::Level::kDebug : log::Level::kInfo;
      log::at(level, "sync_finished")
          .tenant(t.tenant.name)
          .entity(label)
          .field("kind", storage::to_string(kind))
          .field("pages", o.pages)
          .field("api_calls", o.api_calls)
          .field("upserted", o.upserted)
          .field("tombstoned", o.deleted)
          .duration(std::chrono::duration_cast<std::chrono::milliseconds>(now - started))
          .msg(std::string(label) + " run finished");
    } else {
      const Error& e = status.error();
      o.status = RunStatus::kFailed;
      std::string diag = diagnosis(e);
      o.error = diag.empty() ? e.describe() : e.describe() + ": " + diag;
      if (!diag.empty()) {
        result.stop_tenant = true;
        result.diagnosis = diag;
        log::error("auth_failed")
            .tenant(t.tenant.name)
            .entity(label)
            .http_status(e.http_status)
            .field("api", api)
            .field("error", e.describe())
            .msg(diag);
      } else if ((e.kind == ErrorKind::kThrottled || e.retryable()) && e.retry_after) {
        result.defer_until = now + *e.retry_after;
        log::warn("sync_deferred")
            .tenant(t.tenant.name)
            .entity(label)
            .http_status(e.http_status)
            .field("until", format_iso8601(*result.defer_until))
            .field("error", e.describe())
            .msg("upstream asked us to wait longer than the retry cap; run deferred");
      } else {
        log::error("sync_failed")
            .tenant(t.tenant.name)
            .entity(label)
            .http_status(e.http_status)
            .field("kind", storage::to_string(kind))
            .field("error_kind", to_string(e.kind))
            .field("pages", o.pages)
            .msg(e.describe());
      }
      if (result.status.ok()) result.status = status;
    }
    if (run_id) {
      if (auto s = cache.finish_run(*run_id, o, now); !s.ok()) {
        log::error("sync_failed").tenant(t.tenant.name).entity(label).msg(s.error().describe());
        if (result.status.ok()) result.status = s;
      }
    }
    result.stats.pages += stats.pages;
    result.stats.api_calls += stats.api_calls;
    result.stats.upserted += stats.upserted;
    result.stats.deleted += stats.deleted;
  }
};

}  // namespace

const char* to_string(PassEntity e) {
  switch (e) {
    case PassEntity::kQuotes: return "quotes";
    case PassEntity::kOpportunities: return "opportunities";
    case PassEntity::kReconcile: return "reconcile";
    case PassEntity::kTickets: return "tickets";
  }
  return "?";
}

std::optional<PassEntity> parse_pass_entity(std::string_view s) {
  if (s == "quotes") return PassEntity::kQuotes;
  if (s == "opportunities") return PassEntity::kOpportunities;
  if (s == "reconcile") return PassEntity::kReconcile;
  if (s == "tickets") return PassEntity::kTickets;
  return std::nullopt;
}

CallOptions counted_call(PullStats& stats, std::string label) {
  CallOptions o;
  o.label = std::move(label);
  o.on_attempt = [&stats](const AttemptInfo&) { stats.api_calls += 1; };
  return o;
}

PassResult run_pass(PassEntity entity, const PassTarget& t, const PassOptions& options) {
  PassResult result;
  // A tenant's reconcile never overlaps its pulls, whichever process runs
  // them (the daemon's workers, `cwsync sync --once`): storage holds the rule.
  const auto role = entity == PassEntity::kReconcile ? storage::TenantSyncRole::kReconcile
                                                     : storage::TenantSyncRole::kPull;
  auto lock = storage::TenantSyncLock::try_acquire(t.db.path(), t.tenant.name, role);
  if (!lock.ok()) {
    result.status = lock.error();
    return result;
  }
  if (!*lock) {
    result.waited_for_lock = true;
    result.defer_until = t.clock.now() + kSyncLockRetry;
    result.status = make_error(
        ErrorKind::kRetryable,
        std::string(role == storage::TenantSyncRole::kReconcile ? "the tenant's pulls are"
                                                                : "the tenant's reconcile is") +
            " running (in this or another cwsync process); trying again shortly",
        t.tenant.name + " " + to_string(entity));
    return result;
  }
  storage::CacheStore cache(t.db);
  PullContext ctx{t.defaults, t.tenant, t.clients, cache, t.clock, options.full,
                  options.settle, options.on_page};
  const RunKind kind = options.full ? RunKind::kFull : RunKind::kIncremental;

  auto run = [&](Entity e, RunKind k, const char* label, std::string api, auto&& body) {
    if (options.stop && options.stop()) {
      Status s = make_error(ErrorKind::kCancelled, "stopping; run not started", label);
      if (result.status.ok()) result.status = s;
      return s;
    }
    RunScope scope{t, cache, e, k, label, std::move(api), std::nullopt, options.log_changes_only};
    PullStats stats;
    Status s = scope.start();
    if (s.ok()) s = body(stats);
    scope.finish(s, stats, result);
    return s;
  };

  // Quotes, then opportunities (whose id set may come from the quotes).
  auto reconcile_cpq_psa = [&] {
    std::vector<std::string> numbers;
    const bool by_quotes = t.tenant.opportunities == OpportunitySource::kQuotes;
    Status q = Status{};
    if (t.clients.cpq() != nullptr) {
      q = run(Entity::kQuotes, RunKind::kReconcile, "quotes", "cpq", [&](PullStats& st) {
        ReconcileResult r;
        return reconcile_quotes(ctx, st, r, by_quotes ? &numbers : nullptr);
      });
    }
    if (result.stop_tenant || result.defer_until) return;
    if (by_quotes && (t.clients.cpq() == nullptr || !q.ok())) return;  // no id set to trust
    if (!by_quotes && t.clients.psa_provider() == nullptr) return;
    (void)run(Entity::kOpportunities, RunKind::kReconcile, "opportunities",
            by_quotes ? "cpq" : t.clients.psa_provider()->api(), [&](PullStats& st) {
              ReconcileResult r;
              return reconcile_opportunities(ctx, st, r, by_quotes ? &numbers : nullptr);
            });
  };

  switch (entity) {
    case PassEntity::kQuotes:
      (void)run(Entity::kQuotes, kind, "quotes", "cpq",
          [&](PullStats& st) { return pull_quotes(ctx, st); });
      break;
    case PassEntity::kOpportunities:
      if (t.tenant.opportunities == OpportunitySource::kQuotes) {
        log::debug("sync_skipped")
            .tenant(t.tenant.name)
            .entity("opportunities")
            .msg("source quotes: pipeline items are derived by the quote pull");
        break;
      }
      if (t.clients.psa_provider() == nullptr) {
        (void)run(Entity::kOpportunities, kind, "opportunities", "psa", [&](PullStats&) {
          return Status(no_connection(ctx, "psa"));
        });
        break;
      }
      (void)run(Entity::kOpportunities, kind, "opportunities", t.clients.psa_provider()->api(),
          [&](PullStats& st) { return t.clients.psa_provider()->pull_opportunities(ctx, st); });
      break;
    case PassEntity::kTickets:
      if (!t.tenant.tickets.enabled || t.clients.psa_provider() == nullptr) {
        log::debug("sync_skipped")
            .tenant(t.tenant.name)
            .entity("tickets")
            .msg("tickets are not enabled for this tenant");
        break;
      }
      (void)run(Entity::kTickets, kind, "tickets", t.clients.psa_provider()->api(),
          [&](PullStats& st) { return t.clients.psa_provider()->pull_tickets(ctx, st); });
      break;
    case PassEntity::kReconcile: {
      reconcile_cpq_psa();
      if (result.stop_tenant || result.defer_until) break;
      if (PsaProvider* psa = t.clients.psa_provider(); t.tenant.tickets.enabled && psa != nullptr) {
        (void)run(Entity::kTickets, RunKind::kReconcile, "tickets", psa->api(), [&](PullStats& st) {
          ReconcileResult r;
          return psa->reconcile_tickets(ctx, st, r);
        });
      }
      break;
    }
  }
  return result;
}

}  // namespace cwsync
