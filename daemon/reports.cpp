#include "daemon/reports.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "base/log.h"
#include "daemon/metrics.h"
#include "storage/cache_store.h"
#include "storage/queue_store.h"
#include "storage/state_store.h"
#include "sync/http/upstream.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::seconds;

json time_or_null(const std::optional<TimePoint>& t) {
  return t ? json(format_iso8601(*t)) : json(nullptr);
}

json age_or_null(const std::optional<TimePoint>& t, TimePoint now) {
  if (!t) return nullptr;
  return std::max<std::int64_t>(0, duration_cast<seconds>(now - *t).count());
}

template <typename T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json queue_json(const storage::QueueCounts& q) {
  return {{"pending", q.pending}, {"in_flight", q.in_flight}, {"succeeded", q.succeeded},
          {"dead", q.dead}};
}

std::optional<int> query_int(const QueryParams& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end()) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size()) return std::nullopt;
  return v;
}

double breaker_value(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::kClosed: return 0;
    case CircuitBreaker::State::kHalfOpen: return 1;
    case CircuitBreaker::State::kOpen: return 2;
  }
  return 0;
}

}  // namespace

Result<storage::QueueCounts> queue_counts(storage::Database& db, std::optional<std::string> tenant) {
  return storage::QueueStore(db).counts(std::move(tenant));
}

Result<std::vector<std::string>> report_tenants(storage::Database& db, const Config* config,
                                                std::optional<std::string> only) {
  if (only) return std::vector<std::string>{*only};
  std::vector<std::string> out;
  if (config != nullptr) {
    for (const auto& t : config->tenants) out.push_back(t.name);
  }
  if (!out.empty()) return out;
  return storage::CacheStore(db).tenants();
}

Result<std::vector<TenantStatus>> read_status(storage::Database& db, const Config* config,
                                              std::optional<std::string> only, TimePoint now) {
  storage::CacheStore cache(db);
  storage::QueueStore queue(db);
  std::set<std::string> names;
  if (only) {
    names.insert(*only);
  } else {
    if (config != nullptr) {
      for (const auto& t : config->tenants) names.insert(t.name);
    }
    auto db_tenants = cache.tenants();
    if (!db_tenants.ok()) return db_tenants.error();
    names.insert(db_tenants->begin(), db_tenants->end());
    auto by_tenant = queue.counts_by_tenant();
    if (!by_tenant.ok()) return by_tenant.error();
    for (const auto& [name, counts] : *by_tenant) names.insert(name);
  }
  std::vector<TenantStatus> out;
  for (const auto& name : names) {
    TenantStatus ts;
    ts.tenant = name;
    ts.configured = config != nullptr && config->find_tenant(name) != nullptr;
    auto states = cache.sync_states(name);
    if (!states.ok()) return states.error();
    ts.entities = std::move(*states);
    auto counts = queue.counts(name);
    if (!counts.ok()) return counts.error();
    ts.queue = *counts;
    auto oldest = queue.oldest_pending_age(now, name);
    if (!oldest.ok()) return oldest.error();
    ts.oldest_pending_age = *oldest;
    auto usage = cache.get_usage(name);
    if (!usage.ok()) return usage.error();
    ts.usage = *usage;
    auto held = storage::StateStore(db).list(name);
    if (!held.ok()) return held.error();
    for (auto& row : *held) {
      switch (row.state) {
        case storage::TenantState::kQueuePaused: ts.queue_paused = std::move(row); break;
        case storage::TenantState::kPullsStopped: ts.pulls_stopped = std::move(row); break;
        case storage::TenantState::kJobFailed: ts.job_failures.push_back(std::move(row)); break;
      }
    }
    out.push_back(std::move(ts));
  }
  return out;
}

json status_json(const std::vector<TenantStatus>& status, TimePoint now) {
  json tenants = json::array();
  for (const auto& t : status) {
    json entities = json::array();
    for (const auto& s : t.entities) {
      json e = {{"entity", storage::to_string(s.entity)},
                {"last_sync_at", time_or_null(s.last_incremental_at)},
                {"last_sync_age_s", age_or_null(s.last_incremental_at, now)},
                {"last_full_at", time_or_null(s.last_full_at)},
                {"last_reconcile_at", time_or_null(s.last_reconcile_at)},
                {"last_error", or_null(s.last_error)},
                {"last_error_at", time_or_null(s.last_error_at)}};
      if (s.cursor) {
        e["cursor"] = {{"modified_at", format_iso8601(s.cursor->modified_at)}, {"id", s.cursor->id}};
      } else {
        e["cursor"] = nullptr;
      }
      entities.push_back(std::move(e));
    }
    json q = queue_json(t.queue);
    q["oldest_pending_age_s"] =
        t.oldest_pending_age ? json(duration_cast<seconds>(*t.oldest_pending_age).count())
                             : json(nullptr);
    auto hold = [](const std::optional<storage::TenantStateRow>& r) -> json {
      if (!r) return {{"active", false}, {"reason", nullptr}, {"until", nullptr}, {"since", nullptr}};
      return {{"active", true}, {"reason", r->reason}, {"until", time_or_null(r->until)},
              {"since", format_iso8601(r->at)}};
    };
    q["paused"] = hold(t.queue_paused);
    json failures = json::array();
    for (const auto& f : t.job_failures) {
      failures.push_back({{"job", f.job}, {"error", f.reason}, {"at", format_iso8601(f.at)}});
    }
    tenants.push_back({{"tenant", t.tenant}, {"configured", t.configured},
                       {"entities", entities}, {"queue", q}, {"pulls_stopped", hold(t.pulls_stopped)},
                       {"job_failures", failures}});
    if (t.usage) {
      tenants.back()["upstream_usage"] = {{"used", t.usage->used}, {"limit", t.usage->limit},
                                          {"at", format_iso8601(t.usage->at)}};
    }
  }
  return {{"now", format_iso8601(now)}, {"tenants", tenants}};
}

Result<PipelineReport> read_pipeline(storage::Database& db, const std::string& tenant, int days,
                                     int recent_limit, TimePoint now) {
  storage::CacheStore cache(db);
  PipelineReport r;
  auto summary = cache.pipeline(tenant, days, now);
  if (!summary.ok()) return summary.error();
  r.summary = std::move(*summary);
  auto recent = cache.recent_opportunities(tenant, recent_limit, now);
  if (!recent.ok()) return recent.error();
  r.recent = std::move(*recent);
  return r;
}

Result<BacklogReport> read_backlog(storage::Database& db, const std::string& tenant, int limit,
                                   TimePoint now) {
  auto items = storage::CacheStore(db).backlog(tenant, limit, now);
  if (!items.ok()) return items.error();
  return BacklogReport{tenant, std::move(*items)};
}

json item_json(const storage::PipelineItem& i) {
  return {{"id", i.id},
          {"source", i.source},
          {"name", or_null(i.name)},
          {"client_name", or_null(i.client_name)},
          {"status", storage::to_string(i.status)},
          {"status_name", or_null(i.status_name)},
          {"stage_name", or_null(i.stage_name)},
          {"value", i.value},
          {"probability", or_null(i.probability)},
          {"expected_close_date", time_or_null(i.expected_close_date)},
          {"closed_date", time_or_null(i.closed_date)},
          {"date_entered", time_or_null(i.date_entered)},
          {"last_updated", time_or_null(i.last_updated)},
          {"age_days", or_null(i.age_days)},
          {"at_risk", i.at_risk}};
}

json pipeline_json(const PipelineReport& r) {
  const auto& s = r.summary;
  json recent = json::array();
  for (const auto& i : r.recent) recent.push_back(item_json(i));
  return {{"tenant", s.tenant},
          {"window_days", s.window_days},
          {"total", {{"count", s.total_count}, {"value", s.total_value}}},
          {"open", {{"count", s.open_count}, {"value", s.open_value}}},
          {"won", {{"count", s.won_count}, {"value", s.won_value}}},
          {"lost", {{"count", s.lost_count}, {"value", s.lost_value}}},
          {"win_rate", or_null(s.win_rate)},
          // The CPQ setup guide's get_pro_services_pipeline() keys.
          {"opportunities", s.total_count},
          {"total_value", s.total_value},
          {"open_opportunities", s.open_count},
          {"open_value", s.open_value},
          {"won_opportunities", s.won_count},
          {"won_value", s.won_value},
          {"lost_opportunities", s.lost_count},
          {"lost_value", s.lost_value},
          {"recent", recent}};
}

json backlog_json(const BacklogReport& r) {
  json items = json::array();
  for (const auto& i : r.items) items.push_back(item_json(i));
  return {{"tenant", r.tenant}, {"items", items}};
}

void collect_queue_metrics(const std::string& db_path, const std::vector<std::string>& tenants,
                           Metrics& m, TimePoint now) {
  storage::OpenOptions o;
  o.read_only = true;
  auto db = storage::Database::open(db_path, o);
  if (!db.ok()) {
    log::debug("metrics_db_unavailable").msg(db.error().describe());
    return;
  }
  storage::QueueStore q(*db);
  auto by_tenant = q.counts_by_tenant();
  auto oldest = q.oldest_pending_age(now);
  if (!by_tenant.ok() || !oldest.ok()) {
    log::debug("metrics_db_unavailable").msg(!by_tenant.ok() ? by_tenant.error().describe()
                                                             : oldest.error().describe());
    return;
  }
  std::map<std::string, storage::QueueCounts> all = *by_tenant;
  for (const auto& t : tenants) all.try_emplace(t);
  m.clear(metric::kQueuePosts);
  m.clear(metric::kDeadPosts);
  std::int64_t dead = 0;
  for (const auto& [tenant, c] : all) {
    m.set(metric::kQueuePosts, {{"tenant", tenant}, {"status", "pending"}}, static_cast<double>(c.pending));
    m.set(metric::kQueuePosts, {{"tenant", tenant}, {"status", "in_flight"}}, static_cast<double>(c.in_flight));
    m.set(metric::kQueuePosts, {{"tenant", tenant}, {"status", "succeeded"}}, static_cast<double>(c.succeeded));
    m.set(metric::kQueuePosts, {{"tenant", tenant}, {"status", "dead"}}, static_cast<double>(c.dead));
    m.set(metric::kDeadPosts, {{"tenant", tenant}}, static_cast<double>(c.dead));
    dead += c.dead;
  }
  m.set(metric::kDeadPosts, {}, static_cast<double>(dead));
  double age = *oldest ? std::chrono::duration<double>(**oldest).count() : 0.0;
  m.set(metric::kOldestPending, {}, age);
  collect_state_metrics(*db, m);
  storage::CacheStore cache(*db);
  for (const auto& tenant : tenants) {
    auto usage = cache.get_usage(tenant);
    if (!usage.ok() || !*usage) continue;
    m.set(metric::kUpstreamUsed, {{"tenant", tenant}}, static_cast<double>((*usage)->used));
    m.set(metric::kUpstreamLimit, {{"tenant", tenant}}, static_cast<double>((*usage)->limit));
  }
}

void collect_state_metrics(storage::Database& db, Metrics& m) {
  auto rows = storage::StateStore(db).list();
  if (!rows.ok()) {
    log::debug("metrics_db_unavailable").msg(rows.error().describe());
    return;
  }
  auto unix_time = [](TimePoint t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
  };
  m.clear(metric::kTenantState);
  m.clear(metric::kTenantStateUntil);
  m.clear(metric::kJobLastFailure);
  for (const auto& r : *rows) {
    if (r.state == storage::TenantState::kJobFailed) {
      m.set(metric::kJobLastFailure, {{"tenant", r.tenant}, {"job", r.job}}, unix_time(r.at));
      continue;
    }
    Labels labels{{"tenant", r.tenant}, {"state", storage::to_string(r.state)}};
    m.set(metric::kTenantState, labels, 1.0);
    if (r.until) m.set(metric::kTenantStateUntil, labels, unix_time(*r.until));
  }
}

void collect_upstream_metrics(const UpstreamRegistry& upstreams, Metrics& m, TimePoint now) {
  for (const auto& h : upstreams.snapshot(now)) {
    auto count = [&](const char* cls, std::uint64_t v) {
      // Counters are copied, not added: the registry holds the running total.
      m.set(metric::kApiRequests, {{"host", h.host}, {"status_class", cls}}, static_cast<double>(v));
    };
    count("2xx", h.status_2xx);
    count("3xx", h.status_3xx);
    count("4xx", h.status_4xx);
    count("5xx", h.status_5xx);
    count("error", h.transport_errors);
    m.set(metric::kApiThrottled, {{"host", h.host}}, static_cast<double>(h.throttled));
    m.set(metric::kBreakerState, {{"host", h.host}}, breaker_value(h.breaker));
  }
}

ApiResponse serve_cpq_api(const std::string& db_path, const Config& config,
                          const std::string& path, const QueryParams& query, TimePoint now) {
  bool pipeline = path == "/api/cpq/pipeline";
  bool backlog = path == "/api/cpq/backlog";
  if (!pipeline && !backlog) return {404, {{"error", "not found"}}};
  std::optional<std::string> tenant;
  if (auto it = query.find("tenant"); it != query.end()) tenant = it->second;
  int days = query_int(query, "days").value_or(30);
  int limit = query_int(query, "limit").value_or(pipeline ? 10 : 50);
  if (days < 1 || days > 3650 || limit < 1 || limit > 1000) {
    return {400, {{"error", "days must be 1..3650 and limit 1..1000"}}};
  }
  if (tenant && config.find_tenant(*tenant) == nullptr) {
    return {404, {{"error", "unknown tenant"}, {"tenant", *tenant}}};
  }
  storage::OpenOptions o;
  o.read_only = true;
  auto db = storage::Database::open(db_path, o);
  if (!db.ok()) return {503, {{"error", db.error().describe()}}};
  auto tenants = report_tenants(*db, &config, tenant);
  if (!tenants.ok()) return {503, {{"error", tenants.error().describe()}}};
  json list = json::array();
  for (const auto& t : *tenants) {
    if (pipeline) {
      auto r = read_pipeline(*db, t, days, limit, now);
      if (!r.ok()) return {503, {{"error", r.error().describe()}}};
      list.push_back(pipeline_json(*r));
    } else {
      auto r = read_backlog(*db, t, limit, now);
      if (!r.ok()) return {503, {{"error", r.error().describe()}}};
      list.push_back(backlog_json(*r));
    }
  }
  if (tenant) return {200, list.at(0)};
  return {200, {{"tenants", list}}};
}

}  // namespace cwsync::daemon
