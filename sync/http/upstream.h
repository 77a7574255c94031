// Shared upstream state, in two kinds (docs/sync.md, "Rate budgets"):
//  - per host: the circuit breaker, the counters and an optional ceiling
//    (`hosts:`) that every tenant on that host draws from;
//  - per budget: the rate limiter of one tenant connection (tenant × API ×
//    credentials, or an explicit `budget:` name), shared by that
//    connection's pulls and posts. The vendors limit per key, not per host,
//    so one tenant's traffic never uses another's budget;
//  - per gate key: a SendGate (e.g. a cap on requests in flight) shared the
//    same way by every client of one connection, whichever job built it;
//  - per connection state key: what an upstream told one connection that
//    stays true longer than a job (a looked-up codebase or zone, picklist
//    labels), so that each pull job, which builds its clients afresh, does
//    not ask again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "sync/http/circuit_breaker.h"
#include "sync/http/rate_limiter.h"
#include "sync/http/send_gate.h"

namespace cwsync {

// How long a looked-up location (a PSA codebase, an Autotask zone) is used
// before the next call looks it up again. A move is followed at once on a
// 404 anyway; this only bounds how long a move that answers otherwise (an
// old codebase still served) goes unnoticed, for one request an hour.
inline constexpr std::chrono::hours kLocationRefresh{1};

// Counters the daemon's /metrics reads. Monotonic; relaxed atomics.
struct HostMetrics {
  std::atomic<std::uint64_t> requests{0};          // attempts made (sent or failed)
  std::atomic<std::uint64_t> status_2xx{0};
  std::atomic<std::uint64_t> status_3xx{0};
  std::atomic<std::uint64_t> status_4xx{0};
  std::atomic<std::uint64_t> status_5xx{0};
  std::atomic<std::uint64_t> transport_errors{0};  // timeout, reset, DNS, TLS
  std::atomic<std::uint64_t> throttled{0};         // 429 responses
  std::atomic<std::uint64_t> retries{0};           // waits before another attempt
  std::atomic<std::uint64_t> deferrals{0};         // waits handed to the scheduler
  std::atomic<std::uint64_t> breaker_rejections{0};
  std::atomic<std::uint64_t> rate_limit_wait_ms{0};

  // Counts one attempt's outcome: status 0 means a transport error.
  void count_attempt(int status);
};

// A plain copy of one host's counters, for reporting.
struct HostMetricsSnapshot {
  std::string host;
  std::uint64_t requests = 0, status_2xx = 0, status_3xx = 0, status_4xx = 0,
                status_5xx = 0, transport_errors = 0, throttled = 0, retries = 0,
                deferrals = 0, breaker_rejections = 0, rate_limit_wait_ms = 0;
  CircuitBreaker::State breaker = CircuitBreaker::State::kClosed;
  RateLimit rate_limit;
};

class UpstreamHost {
 public:
  // A host with `ceiling` applied to every request (tests use it as the one
  // limit of a client).
  UpstreamHost(std::string key, RateLimit ceiling, BreakerPolicy breaker);
  // A host without a ceiling.
  UpstreamHost(std::string key, BreakerPolicy breaker);

  const std::string& key() const { return key_; }
  CircuitBreaker& breaker() { return breaker_; }
  HostMetrics& metrics() { return metrics_; }
  HostMetricsSnapshot snapshot(TimePoint now) const;

  // Reserves a start slot under the ceiling; 0 when there is none. Thread-safe.
  Millis reserve_ceiling(TimePoint now);
  // Sets (or with nullopt removes) the ceiling. Thread-safe.
  void set_ceiling(std::optional<RateLimit> ceiling);
  std::optional<RateLimit> ceiling() const;

 private:
  std::string key_;
  RateLimiter limiter_;                 // the ceiling, used while has_ceiling_
  std::atomic<bool> has_ceiling_{false};
  CircuitBreaker breaker_;
  HostMetrics metrics_;
};

// The process-wide registry of hosts and budgets. The daemon owns one and
// hands it to every client it builds. Thread-safe.
class UpstreamRegistry {
 public:
  // The state for `host_key` (see host_key()), created on first use with the
  // ceiling set_ceilings() gave for it; the first caller's breaker policy
  // stays. Never null.
  std::shared_ptr<UpstreamHost> host(const std::string& host_key, BreakerPolicy breaker);
  // The limiter of budget `budget_key` (see budget_key()), created on first
  // use. A budget the last configure_budgets() named keeps that limit;
  // otherwise a stricter `limit` tightens it. Never null.
  std::shared_ptr<RateLimiter> budget(const std::string& budget_key, RateLimit limit);
  // The gate under `gate_key`, made by `make` on first use (the first
  // caller's kind stays; keys are the provider's, e.g. one per API user).
  // Jobs build their clients afresh, so this is where a pull and the queue
  // of one connection meet the same gate. Never null if `make` is not.
  std::shared_ptr<SendGate> gate(const std::string& gate_key,
                                 const std::function<std::shared_ptr<SendGate>()>& make);
  // The T under `key`, default-constructed on first use; every client of the
  // process that asks with the same T and key gets the same object. T guards
  // its own members (clients of one connection run on several threads).
  // Keys name a connection, never a secret. Never null.
  template <class T>
  std::shared_ptr<T> connection_state(const std::string& key) {
    std::lock_guard lock(mu_);
    auto& slot = states_[{std::type_index(typeid(T)), key}];
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }

  // Replaces the per-host ceilings (`hosts:`; entries match a host name or a
  // host:port). Applies to existing hosts at once. Called at start and reload.
  void set_ceilings(const std::vector<HostCeiling>& ceilings);
  // Sets every named budget to exactly its limit, so a reload that loosens a
  // limit takes effect. `limits`: budget key → limit (already the stricter
  // of connections that share a key).
  void configure_budgets(const std::map<std::string, RateLimit>& limits);

  // Every host's counters, sorted by key.
  std::vector<HostMetricsSnapshot> snapshot(TimePoint now) const;
  std::size_t budget_count() const;

 private:
  std::optional<RateLimit> ceiling_for(const std::string& host_key) const;  // mu_ held

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<UpstreamHost>> hosts_;
  std::unordered_map<std::string, std::shared_ptr<RateLimiter>> budgets_;
  std::unordered_map<std::string, std::shared_ptr<SendGate>> gates_;
  std::map<std::pair<std::type_index, std::string>, std::shared_ptr<void>> states_;
  std::map<std::string, RateLimit> configured_;   // the last configure_budgets()
  std::vector<HostCeiling> ceilings_;
};

// "host:port" for an absolute URL, lower-cased, with the scheme's default port
// filled in: "https://API-NA.example.com/x" → "api-na.example.com:443".
// Returns "" for an unparseable URL.
std::string host_key(std::string_view url);

}  // namespace cwsync
