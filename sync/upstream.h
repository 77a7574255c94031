// Per-host shared state: the rate limiter, circuit breaker and counters for
// one upstream host, shared by every ApiClient in the process that talks to
// it (CPQ pulls, PSA pulls and PSA posts draw from one budget, docs/design.md, "Promises").
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "sync/circuit_breaker.h"
#include "sync/rate_limiter.h"

namespace cwsync {

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
  UpstreamHost(std::string key, RateLimit limit, BreakerPolicy breaker);

  const std::string& key() const { return key_; }
  RateLimiter& limiter() { return limiter_; }
  CircuitBreaker& breaker() { return breaker_; }
  HostMetrics& metrics() { return metrics_; }
  HostMetricsSnapshot snapshot(TimePoint now) const;

 private:
  std::string key_;
  RateLimiter limiter_;
  CircuitBreaker breaker_;
  HostMetrics metrics_;
};

// The process-wide map host key → UpstreamHost. The daemon owns one and hands
// it to every client it builds. Thread-safe.
class UpstreamRegistry {
 public:
  // The state for `host_key` (see host_key()), created on first use. A later
  // caller with a stricter rate limit tightens the shared limiter; the first
  // caller's breaker policy stays. Never null.
  std::shared_ptr<UpstreamHost> get(const std::string& host_key, RateLimit limit,
                                    BreakerPolicy breaker);
  // Every host's counters, sorted by key.
  std::vector<HostMetricsSnapshot> snapshot(TimePoint now) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<UpstreamHost>> hosts_;
};

// "host:port" for an absolute URL, lower-cased, with the scheme's default port
// filled in: "https://API-NA.example.com/x" → "api-na.example.com:443".
// Returns "" for an unparseable URL.
std::string host_key(std::string_view url);

}  // namespace cwsync
