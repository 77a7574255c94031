#include "daemon/metrics.h"

#include <cmath>
#include <cstdio>

#include "base/log.h"

namespace cwsync::daemon {
namespace {

bool name_char(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

bool valid_labels(std::string_view metric, const Labels& labels) {
  for (const auto& [k, v] : labels) {
    if (!Metrics::valid_label_name(k)) {
      log::error("metrics_bad_label").field("metric", std::string(metric)).field("label", k)
          .msg("label name does not match [a-zA-Z_][a-zA-Z0-9_]*; sample dropped");
      return false;
    }
  }
  return true;
}

const char* type_name(MetricType t) { return t == MetricType::kCounter ? "counter" : "gauge"; }

}  // namespace

bool Metrics::valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool Metrics::valid_label_name(std::string_view name) {
  // Names starting with "__" are reserved for Prometheus itself.
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

std::string Metrics::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Metrics::escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Metrics::format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Integers (counts, unix seconds) print exactly; others keep 17 digits.
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Metrics::Family* Metrics::family_locked(std::string_view name, MetricType default_type) {
  auto it = families_.find(name);
  if (it != families_.end()) return &it->second;
  if (!valid_metric_name(name)) {
    log::error("metrics_bad_name").field("metric", std::string(name))
        .msg("metric name does not match [a-zA-Z_:][a-zA-Z0-9_:]*; sample dropped");
    return nullptr;
  }
  Family f;
  f.type = default_type;
  return &families_.emplace(std::string(name), std::move(f)).first->second;
}

void Metrics::describe(const std::string& name, MetricType type, std::string help) {
  std::lock_guard lock(mu_);
  bool existed = families_.find(name) != families_.end();
  Family* f = family_locked(name, type);
  if (f == nullptr) return;
  if (!existed) f->type = type;
  if (f->help.empty()) f->help = std::move(help);
}

void Metrics::add(std::string_view name, const Labels& labels, double by) {
  if (!(by >= 0) || !valid_labels(name, labels)) return;  // counters never go down
  std::lock_guard lock(mu_);
  if (Family* f = family_locked(name, MetricType::kCounter)) f->samples[labels] += by;
}

void Metrics::set(std::string_view name, const Labels& labels, double value) {
  if (!valid_labels(name, labels)) return;
  std::lock_guard lock(mu_);
  if (Family* f = family_locked(name, MetricType::kGauge)) f->samples[labels] = value;
}

void Metrics::clear(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.samples.clear();
}

double Metrics::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.samples.find(labels);
  return s == it->second.samples.end() ? 0 : s->second;
}

void Metrics::add_collector(std::function<void(Metrics&)> fn) {
  std::lock_guard lock(collectors_mu_);
  collectors_.push_back(std::move(fn));
}

std::string Metrics::render() {
  {
    // Collectors serialise with each other (two concurrent scrapes) but not
    // with add()/set(), which they call.
    std::lock_guard lock(collectors_mu_);
    for (auto& fn : collectors_) fn(*this);
  }
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + type_name(f.type) + "\n";
    for (const auto& [labels, v] : f.samples) {
      out += name;
      if (!labels.empty()) {
        out += '{';
        for (size_t i = 0; i < labels.size(); ++i) {
          if (i > 0) out += ',';
          out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
        }
        out += '}';
      }
      out += ' ' + format_value(v) + '\n';
    }
  }
  return out;
}

void describe_standard_metrics(Metrics& m) {
  using T = MetricType;
  m.describe(metric::kLastSuccess, T::kGauge,
             "Unix time of the last successful run per tenant and entity.");
  m.describe(metric::kJobRuns, T::kCounter, "Scheduled job runs by tenant, entity and outcome.");
  m.describe(metric::kJobDuration, T::kGauge, "Duration of the last run per tenant and entity.");
  m.describe(metric::kRecordsUpserted, T::kCounter, "Rows inserted or updated in the cache.");
  m.describe(metric::kRecordsDeleted, T::kCounter, "Rows tombstoned by reconciliation.");
  m.describe(metric::kApiRequests, T::kCounter,
             "Upstream API requests by host and status class (2xx, 4xx, 5xx, error).");
  m.describe(metric::kApiThrottled, T::kCounter, "Upstream 429 responses by host.");
  m.describe(metric::kBreakerState, T::kGauge,
             "Circuit breaker per host: 0 closed, 1 half-open, 2 open.");
  m.describe(metric::kQueuePosts, T::kGauge, "PSA queue rows by tenant and status.");
  m.describe(metric::kDeadPosts, T::kGauge, "PSA posts in status dead (need an operator).");
  m.describe(metric::kOldestPending, T::kGauge, "Age of the oldest pending PSA post.");
  m.describe(metric::kTenantState, T::kGauge,
             "1 while a tenant's queue is paused (state=queue_paused) or its pulls are stopped "
             "(state=pulls_stopped).");
  m.describe(metric::kTenantStateUntil, T::kGauge,
             "When a tenant's queue pause ends (Unix time); absent when it lasts until a reload.");
  m.describe(metric::kJobLastFailure, T::kGauge, "When each job last failed (Unix time).");
  m.describe(metric::kConfigReloads, T::kCounter, "SIGHUP reloads by result (ok, failed).");
  m.describe(metric::kBuildInfo, T::kGauge, "Always 1; the version is a label.");
  m.describe(metric::kUpstreamUsed, T::kGauge,
             "Requests the upstream counts against the tenant's limit (Autotask: the database's "
             "requests this rolling hour), as the last pull read it.");
  m.describe(metric::kUpstreamLimit, T::kGauge,
             "The upstream's request limit for that count (Autotask: per hour).");
  m.describe(metric::kRetentionPruned, T::kCounter,
             "History rows deleted by the retention job, by table (sync_runs, psa_activity_log).");
}

std::string status_class(int http_status) {
  if (http_status < 100 || http_status > 599) return "error";
  return std::to_string(http_status / 100) + "xx";
}

}  // namespace cwsync::daemon
