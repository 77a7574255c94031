// A small, thread-safe metrics registry rendered as Prometheus text (format
// 0.0.4: "# HELP", "# TYPE", then `name{label="value",...} value` lines).
//
//   metrics.describe("cwsync_records_upserted_total", MetricType::kCounter,
//                    "Rows written to the cache.");
//   metrics.add("cwsync_records_upserted_total", {{"tenant", "acme"}, {"entity", "quotes"}}, 250);
//
// Families are declared once (describe); samples are keyed by their label set.
// Gauges that mirror the DB (queue depth, ...) are filled by collectors that
// run at scrape time. Names and label names are checked against the
// Prometheus grammar; a bad name is a programming error and is dropped with a
// log line rather than producing an unparsable page.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwsync::daemon {

enum class MetricType { kCounter, kGauge };

// Label pairs in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a metric family. Idempotent; a second call keeps the first type.
  void describe(const std::string& name, MetricType type, std::string help);
  // counter += by (by >= 0). Undeclared names are declared as counters.
  void add(std::string_view name, const Labels& labels, double by = 1);
  // gauge = value. Undeclared names are declared as gauges.
  void set(std::string_view name, const Labels& labels, double value);
  // Drops every sample of a family (collectors call this before refilling a
  // gauge whose label sets can disappear, e.g. a tenant removed on reload).
  void clear(std::string_view name);
  // Current value, or 0 when absent. For tests and STATUS=.
  double value(std::string_view name, const Labels& labels) const;

  // fn(*this) runs at the start of every render(), without the registry lock
  // held, so it may call set()/clear(). Collectors must be thread-safe.
  void add_collector(std::function<void(Metrics&)> fn);

  // Runs collectors, then renders every family in name order. Families with
  // no samples still get their HELP/TYPE lines. Thread-safe.
  std::string render();

  // The Content-Type to serve render() with.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Grammar helpers, exposed for tests.
  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);
  static std::string format_value(double value);

 private:
  struct Family {
    MetricType type = MetricType::kGauge;
    std::string help;
    std::map<Labels, double> samples;
  };
  Family* family_locked(std::string_view name, MetricType default_type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::mutex collectors_mu_;
  std::vector<std::function<void(Metrics&)>> collectors_;
};

// The metric names cwsync publishes (docs/operations.md lists them).
namespace metric {
inline constexpr const char* kLastSuccess = "cwsync_last_success_timestamp_seconds";
inline constexpr const char* kJobRuns = "cwsync_job_runs_total";
inline constexpr const char* kJobDuration = "cwsync_job_last_duration_seconds";
inline constexpr const char* kRecordsUpserted = "cwsync_records_upserted_total";
inline constexpr const char* kRecordsDeleted = "cwsync_records_deleted_total";
inline constexpr const char* kApiRequests = "cwsync_api_requests_total";
inline constexpr const char* kApiThrottled = "cwsync_api_throttled_total";
inline constexpr const char* kBreakerState = "cwsync_breaker_state";
inline constexpr const char* kQueuePosts = "cwsync_queue_posts";
inline constexpr const char* kDeadPosts = "cwsync_queue_dead_posts";
inline constexpr const char* kOldestPending = "cwsync_queue_oldest_pending_age_seconds";
inline constexpr const char* kTenantState = "cwsync_tenant_state";
inline constexpr const char* kTenantStateUntil = "cwsync_tenant_state_until_seconds";
inline constexpr const char* kJobLastFailure = "cwsync_job_last_failure_timestamp_seconds";
inline constexpr const char* kConfigReloads = "cwsync_config_reloads_total";
inline constexpr const char* kBuildInfo = "cwsync_build_info";
inline constexpr const char* kUpstreamUsed = "cwsync_upstream_requests_used";
inline constexpr const char* kUpstreamLimit = "cwsync_upstream_request_limit";
inline constexpr const char* kRetentionPruned = "cwsync_retention_pruned_rows_total";
}  // namespace metric

// Declares every family above with its help text, so /metrics shows the
// whole catalogue from the first scrape.
void describe_standard_metrics(Metrics& metrics);

// "2xx", "4xx", ...; "error" for 0 (no HTTP response).
std::string status_class(int http_status);

}  // namespace cwsync::daemon
