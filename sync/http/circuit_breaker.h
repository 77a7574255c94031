// A circuit breaker per upstream host: after `failures` consecutive failures
// it opens and rejects calls for `cool_down`, then lets one probe through
// (half-open); the probe's success closes it, its failure re-opens it.
//
// Failures are outages (timeouts, resets, 5xx), not answers: a 404 or 429 is
// the upstream working. The caller decides what to report.
#pragma once

#include <mutex>
#include <optional>

#include "base/clock.h"
#include "config/config.h"

namespace cwsync {

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(BreakerPolicy policy);

  // Asks to make a call at `now`. nullopt: go ahead (in half-open, this
  // caller is the probe and must report the outcome). Otherwise: rejected,
  // and the value is when a probe will be allowed. Thread-safe.
  std::optional<TimePoint> allow(TimePoint now);
  // Reports the outcome of an allowed call. Each returns true when it changed
  // the state (closed the breaker / opened it), so the caller logs
  // transitions exactly once. Thread-safe.
  bool on_success();
  bool on_failure(TimePoint now);

  State state(TimePoint now) const;
  // While open and its cool-down runs, when the next probe may go; nullopt
  // when a call would be allowed (closed, or a probe is due). Thread-safe.
  std::optional<TimePoint> open_until(TimePoint now) const;
  int consecutive_failures() const;

 private:
  mutable std::mutex mu_;
  BreakerPolicy policy_;
  State state_ = State::kClosed;
  int failures_ = 0;
  TimePoint opened_at_{};
  TimePoint probe_started_{};
  bool probe_in_flight_ = false;
};

const char* to_string(CircuitBreaker::State s);

}  // namespace cwsync
