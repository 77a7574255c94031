// Read-side reports over the cache, shared by the CLI (status, pipeline,
// backlog), STATUS=, /metrics and /api/cpq/*. They read through storage's
// CacheStore/QueueStore only; callers pass a Database (one per thread) and
// `now`. JSON and text renderings live side by side so the two never drift.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "daemon/http_server.h"
#include "storage/database.h"
#include "storage/rows.h"
#include "storage/state_store.h"

namespace cwsync { class UpstreamRegistry; }

namespace cwsync::daemon {

class Metrics;

// ---- queue and freshness ---------------------------------------------------

// Queue counts of one tenant, or of all. Errors: kDatabase.
Result<storage::QueueCounts> queue_counts(storage::Database& db,
                                          std::optional<std::string> tenant = {});

struct TenantStatus {
  std::string tenant;
  bool configured = false;                   // present in the config
  std::vector<storage::SyncState> entities;  // one per synced entity
  storage::QueueCounts queue;
  std::optional<std::chrono::milliseconds> oldest_pending_age;
  // What the daemon recorded (tenant_states): the queue paused after a
  // 401/403, the pulls stopped after an account error, and the last failure
  // of each job (storage errors such as a full disk included).
  std::optional<storage::TenantStateRow> queue_paused, pulls_stopped;
  std::vector<storage::TenantStateRow> job_failures;
  // The upstream's own request count against its limit (Autotask tenants),
  // as the last opportunity pull read it.
  std::optional<storage::UpstreamUsage> usage;
};

// One entry per tenant: `only` if given, else config tenants plus any tenant
// found in the DB, sorted. Errors: kDatabase.
Result<std::vector<TenantStatus>> read_status(storage::Database& db, const Config* config,
                                              std::optional<std::string> only, TimePoint now);
nlohmann::json status_json(const std::vector<TenantStatus>& status, TimePoint now);
std::string status_text(const std::vector<TenantStatus>& status, TimePoint now);

// ---- dashboard numbers -------------------------------------------------------

struct PipelineReport {
  storage::PipelineSummary summary;
  std::vector<storage::PipelineItem> recent;  // most recently updated first
};

// `days`-day window ending `now`; `recent_limit` latest items. Errors: kDatabase.
Result<PipelineReport> read_pipeline(storage::Database& db, const std::string& tenant, int days,
                                     int recent_limit, TimePoint now);
// Includes the CPQ setup guide's keys (opportunities, open_opportunities,
// won_opportunities, open_value, ...) next to the structured ones.
nlohmann::json pipeline_json(const PipelineReport& report);
std::string pipeline_text(const PipelineReport& report);

struct BacklogReport {
  std::string tenant;
  std::vector<storage::PipelineItem> items;  // open, oldest first
};

Result<BacklogReport> read_backlog(storage::Database& db, const std::string& tenant, int limit,
                                   TimePoint now);
nlohmann::json backlog_json(const BacklogReport& report);
std::string backlog_text(const BacklogReport& report);

nlohmann::json item_json(const storage::PipelineItem& item);

// Tenants a report covers: `only` if given, else the config's (in order),
// else the DB's. Errors: kDatabase.
Result<std::vector<std::string>> report_tenants(storage::Database& db, const Config* config,
                                                std::optional<std::string> only);

// "1,234,567.89"
std::string format_money(double value);

// ---- daemon plumbing -----------------------------------------------------------

// Refreshes the queue gauges (by tenant and status, dead posts, oldest
// pending age) from a read-only connection to `db_path`. `tenants` (the
// configured ones) always get samples, zero when they have no posts. On a DB
// error the gauges keep their previous values and a debug line is logged.
void collect_queue_metrics(const std::string& db_path, const std::vector<std::string>& tenants,
                           Metrics& metrics, TimePoint now);
// Sets the tenant-state gauges (queue paused, pulls stopped, each job's
// last failure time) from tenant_states through `db`; on a DB error they
// keep their previous values.
void collect_state_metrics(storage::Database& db, Metrics& metrics);

// Copies the per-host counters and breaker state into the metric families.
void collect_upstream_metrics(const UpstreamRegistry& upstreams, Metrics& metrics, TimePoint now);

// GET /api/cpq/pipeline?tenant=&days=  and  /api/cpq/backlog?tenant=&limit=.
// Without tenant= the answer is a list over the config's tenants.
ApiResponse serve_cpq_api(const std::string& db_path, const Config& config,
                          const std::string& path, const QueryParams& query, TimePoint now);

}  // namespace cwsync::daemon
