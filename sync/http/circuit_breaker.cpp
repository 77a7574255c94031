#include "sync/http/circuit_breaker.h"

#include <algorithm>

namespace cwsync {

CircuitBreaker::CircuitBreaker(BreakerPolicy policy) : policy_(policy) {
  policy_.failures = std::max(policy_.failures, 1);
  policy_.cool_down = std::max(policy_.cool_down, Millis(0));
}

std::optional<TimePoint> CircuitBreaker::allow(TimePoint now) {
  std::lock_guard lock(mu_);
  switch (state_) {
    case State::kClosed:
      return std::nullopt;
    case State::kOpen:
      if (now < opened_at_ + policy_.cool_down) return opened_at_ + policy_.cool_down;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      probe_started_ = now;
      return std::nullopt;
    case State::kHalfOpen:
      // One probe at a time. A probe that never reported back (its caller
      // was cancelled) must not wedge the breaker: after another cool-down
      // the next caller becomes the probe.
      if (!probe_in_flight_ || now >= probe_started_ + policy_.cool_down) {
        probe_in_flight_ = true;
        probe_started_ = now;
        return std::nullopt;
      }
      return probe_started_ + policy_.cool_down;
  }
  return std::nullopt;
}

bool CircuitBreaker::on_success() {
  std::lock_guard lock(mu_);
  const bool changed = state_ != State::kClosed;
  state_ = State::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
  return changed;
}

bool CircuitBreaker::on_failure(TimePoint now) {
  std::lock_guard lock(mu_);
  ++failures_;
  if (state_ == State::kHalfOpen || failures_ >= policy_.failures) {
    const bool changed = state_ != State::kOpen;
    state_ = State::kOpen;
    opened_at_ = now;
    probe_in_flight_ = false;
    return changed;
  }
  return false;
}

CircuitBreaker::State CircuitBreaker::state(TimePoint now) const {
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && now >= opened_at_ + policy_.cool_down) return State::kHalfOpen;
  return state_;
}

std::optional<TimePoint> CircuitBreaker::open_until(TimePoint now) const {
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && now < opened_at_ + policy_.cool_down) {
    return opened_at_ + policy_.cool_down;
  }
  if (state_ == State::kHalfOpen && probe_in_flight_ && now < probe_started_ + policy_.cool_down) {
    return probe_started_ + policy_.cool_down;
  }
  return std::nullopt;
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

const char* to_string(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half_open";
  }
  return "unknown";
}

}  // namespace cwsync
