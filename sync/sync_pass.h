// One sync pass for one tenant and entity: the unit both `cwsync sync --once`
// and the daemon's pull jobs run. It writes the sync_runs row, logs the
// stable events (docs/sync.md) and turns upstream failures into a verdict:
// failed, deferred (Retry-After beyond the cap, breaker open) or stop-tenant
// (401/403/404 with a plain-words diagnosis).
//
//   TenantClients clients(cfg.defaults, tenant, env);
//   auto r = run_pass(PassEntity::kQuotes, {cfg.defaults, tenant, clients, db, clock});
//   if (r.defer_until) reschedule(*r.defer_until);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "sync/http/api_client.h"
#include "sync/tenant_clients.h"

namespace cwsync {

enum class PassEntity { kQuotes, kOpportunities, kReconcile, kTickets };
// "quotes" | "opportunities" | "reconcile" | "tickets"
const char* to_string(PassEntity e);
std::optional<PassEntity> parse_pass_entity(std::string_view s);

// How long a row's upstream timestamp must be in the past before the cursor
// may move past it. Rows newer than this are re-read by the next cycles, so a
// write landing in the same second as the cursor is never skipped.
inline constexpr Millis kDefaultSettle = std::chrono::minutes(5);

// What the pullers share. References must outlive the pass. One thread.
struct PullContext {
  const Defaults& defaults;
  const Tenant& tenant;
  TenantClients& clients;
  storage::CacheStore& cache;
  const Clock& clock;
  bool full = false;                    // ignore the stored cursor
  Millis settle = kDefaultSettle;
  std::function<void()> on_page;        // progress (watchdog); may be empty
};

// Counters for sync_runs.
struct PullStats {
  std::int64_t pages = 0, api_calls = 0, upserted = 0, deleted = 0;
};

// CallOptions that add every attempt to stats.api_calls.
CallOptions counted_call(PullStats& stats, std::string label);

struct PassOptions {
  bool full = false;
  Millis settle = kDefaultSettle;
  std::function<void()> on_page;
  // True once the daemon is stopping: no further run of the pass starts (no
  // sync_runs row); the pass returns kCancelled. May be empty.
  std::function<bool()> stop;
  // log.runs: changes. sync_started is logged at debug, and sync_finished
  // too when the run stored and tombstoned nothing (failures are unchanged).
  bool log_changes_only = false;
};

// How soon a pass that found its tenant's other kind of run (pull vs
// reconcile) holding the tenant's sync lock comes back.
inline constexpr Millis kSyncLockRetry = std::chrono::seconds(5);

struct PassResult {
  Status status;                        // ok, or the error that ended the pass
  std::optional<TimePoint> defer_until; // throttled / breaker open: come back then
  // The tenant's other kind of run (reconcile vs pull) holds its sync lock:
  // nothing was tried, nothing failed; status says why, defer_until when to
  // come back.
  bool waited_for_lock = false;
  bool stop_tenant = false;             // auth or account problem: no point retrying soon
  std::string diagnosis;                // plain words for auth problems (else "")
  PullStats stats;                      // summed over the pass's runs
};

struct PassTarget {
  const Defaults& defaults;
  const Tenant& tenant;
  TenantClients& clients;
  storage::Database& db;
  const Clock& clock;
};

// Runs one pass. Quotes: quotes + items (+ quote-derived pipeline items for
// source quotes). Opportunities: PSA opportunities (source psa; nothing to do
// for source quotes). Tickets: the PSA ticket cache (nothing to do unless
// tickets.enabled). Reconcile: tombstones quotes, opportunities and (when
// enabled) tickets that are gone upstream, refusing above
// defaults.reconcile_max_delete_ratio.
// Every run gets a sync_runs row. Never throws.
PassResult run_pass(PassEntity entity, const PassTarget& target, const PassOptions& options = {});

}  // namespace cwsync
