// Full-jitter exponential backoff and the retry decision that combines it
// with Retry-After (docs/design.md, "Promises").
//
// Pure value logic: `now` and randomness are arguments, so tests use
// fabricated time points and a seeded generator.
#pragma once

#include <functional>

#include "base/clock.h"
#include "base/random.h"
#include "config/config.h"
#include "base/result.h"

namespace cwsync {

// Uniform random numbers in [0, 1). Must be safe to call from the threads that
// share the Backoff; default_random() is (thread-local engines).
class Backoff {
 public:
  // base > 0 and cap >= base are expected (config validation enforces them);
  // other values are clamped to something sane rather than asserting.
  Backoff(Millis base, Millis cap, UniformRandom random);
  explicit Backoff(const BackoffPolicy& policy, UniformRandom random = default_random())
      : Backoff(policy.base, policy.cap, std::move(random)) {}

  // min(cap, base·2^retry) for retry = 0, 1, 2, ...; never overflows, any
  // retry >= 0 (negative counts as 0).
  Millis ceiling(int retry) const;
  // Full jitter: uniform in [0, ceiling(retry)], whole milliseconds.
  Millis next(int retry) const;

  Millis base() const { return base_; }
  Millis cap() const { return cap_; }

 private:
  Millis base_;
  Millis cap_;
  UniformRandom random_;
};

// What to do after a failed attempt.
struct RetryDecision {
  enum class Action {
    kRetry,   // wait `wait`, then try again in this call
    kDefer,   // the wait is too long to block a thread: reschedule at `not_before`
    kGiveUp,  // not retryable, or out of attempts
  };
  Action action = Action::kGiveUp;
  Millis wait{0};
  TimePoint not_before{};
};

struct RetryPolicy {
  int max_attempts = 5;             // attempts in total, including the first
  Millis retry_after_cap{15 * 60 * 1000};  // longer waits become deferrals
};

// Decides the next step after `attempts` failed attempts (>= 1) ending in
// `error`. Non-retryable kinds give up. Retry-After (error.retry_after)
// overrides the computed backoff. Any wait above retry_after_cap becomes a
// deferral to now + wait, and so does a Retry-After that arrives after the last
// attempt, so the scheduler honours it. Pure apart from backoff's randomness.
RetryDecision decide_retry(const Error& error, int attempts, TimePoint now,
                           const RetryPolicy& policy, const Backoff& backoff);

}  // namespace cwsync
