#include "sync/http/backoff.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace cwsync {

Backoff::Backoff(Millis base, Millis cap, UniformRandom random)
    : base_(std::max(base, Millis(1))),
      cap_(std::max(cap, std::max(base, Millis(1)))),
      random_(random ? std::move(random) : default_random()) {}

Millis Backoff::ceiling(int retry) const {
  // Doubling stops before it could pass the cap, so it never overflows and
  // the loop runs at most ~63 times whatever `retry` is.
  Millis value = base_;
  for (int i = 0; i < retry; ++i) {
    if (value > cap_ / 2) return cap_;
    value *= 2;
  }
  return std::min(value, cap_);
}

Millis Backoff::next(int retry) const {
  const double u = std::clamp(random_(), 0.0, 1.0);
  const double top = static_cast<double>(ceiling(retry).count());
  // u*(top+1) floored spreads [0, top] evenly over whole milliseconds; the
  // min() keeps u == 1.0 (a bad RNG) inside the bound.
  auto ms = static_cast<Millis::rep>(std::floor(u * (top + 1.0)));
  return Millis(std::min<Millis::rep>(ms, ceiling(retry).count()));
}

RetryDecision decide_retry(const Error& error, int attempts, TimePoint now,
                           const RetryPolicy& policy, const Backoff& backoff) {
  RetryDecision d;
  if (!error.retryable() || error.kind == ErrorKind::kDatabase) return d;  // kGiveUp
  const bool out_of_attempts = attempts >= policy.max_attempts;
  if (error.retry_after) {
    const Millis wait = std::max(*error.retry_after, Millis(0));
    if (wait > policy.retry_after_cap || out_of_attempts) {
      d.action = RetryDecision::Action::kDefer;
      d.wait = wait;
      d.not_before = now + wait;
      return d;
    }
    d.action = RetryDecision::Action::kRetry;
    d.wait = wait;
    return d;
  }
  if (out_of_attempts) return d;
  const Millis wait = backoff.next(attempts - 1);
  if (wait > policy.retry_after_cap) {
    d.action = RetryDecision::Action::kDefer;
    d.wait = wait;
    d.not_before = now + wait;
    return d;
  }
  d.action = RetryDecision::Action::kRetry;
  d.wait = wait;
  return d;
}

}  // namespace cwsync
