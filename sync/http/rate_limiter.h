// Client-side rate limiting: at most `requests` request starts in any window
// of length `per`, per rate budget or host ceiling (sync/http/upstream.h).
//
// It is a token bucket of `requests` tokens in which each spent token comes
// back exactly `per` after it was spent. Unlike a bucket with a steady refill,
// this allows a full burst and still never puts more than `requests` starts in
// any sliding window, which is what "25 requests per 5 s" means to an
// upstream that counts them.
#pragma once

#include <deque>
#include <mutex>
#include <optional>

#include "base/clock.h"
#include "config/config.h"

namespace cwsync {

// Whether `a` allows a lower rate (requests/per) than `b`.
bool stricter(const RateLimit& a, const RateLimit& b);

class RateLimiter {
 public:
  // requests >= 1 and per > 0 are expected; smaller values are clamped.
  explicit RateLimiter(RateLimit limit);

  // Reserves the next start slot and returns how long the caller must wait
  // before starting (0 when a token is free now). The reservation counts even
  // if the caller then gives up, which keeps concurrent callers from ever
  // exceeding the limit together. Thread-safe.
  Millis reserve(TimePoint now);

  // Adopts `limit` if it is stricter (a lower requests/per rate) than the
  // current one; returns whether it changed. Thread-safe.
  bool tighten(RateLimit limit);
  // Adopts `limit` whatever it is (a reload); past starts still count.
  // Thread-safe.
  void set_limit(RateLimit limit);
  RateLimit limit() const;

 private:
  mutable std::mutex mu_;
  RateLimit limit_;
  std::deque<TimePoint> granted_;  // the last `requests` start times, ascending
  std::optional<TimePoint> last_now_;  // latest `now` seen, to spot clock jumps
};

}  // namespace cwsync
