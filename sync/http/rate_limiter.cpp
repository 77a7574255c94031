#include "sync/http/rate_limiter.h"

#include <algorithm>

namespace cwsync {
namespace {

RateLimit sane(RateLimit l) {
  l.requests = std::max(l.requests, 1);
  l.per = std::max(l.per, Millis(1));
  return l;
}

}  // namespace

bool stricter(const RateLimit& a, const RateLimit& b) {
  return static_cast<long double>(a.requests) * b.per.count() <
         static_cast<long double>(b.requests) * a.per.count();
}

RateLimiter::RateLimiter(RateLimit limit) : limit_(sane(limit)) {}

Millis RateLimiter::reserve(TimePoint now) {
  std::lock_guard lock(mu_);
  // A wall clock set back by more than a window would otherwise park every
  // caller behind reservations made in the "future"; forget them instead.
  // (Reservations legitimately in the future, queued callers, are fine.)
  if (last_now_ && now + limit_.per < *last_now_) granted_.clear();
  if (!last_now_ || now > *last_now_ || now + limit_.per < *last_now_) last_now_ = now;

  TimePoint start = now;
  if (!granted_.empty()) start = std::max(start, granted_.back());  // keep order
  const auto cap = static_cast<size_t>(limit_.requests);
  if (granted_.size() >= cap) {
    // The token spent `requests` starts ago returns at its start + per.
    start = std::max(start, granted_[granted_.size() - cap] + limit_.per);
  }
  granted_.push_back(start);
  while (granted_.size() > cap) granted_.pop_front();
  return std::chrono::ceil<Millis>(start - now);
}

bool RateLimiter::tighten(RateLimit limit) {
  limit = sane(limit);
  std::lock_guard lock(mu_);
  if (!stricter(limit, limit_)) return false;
  limit_ = limit;
  return true;
}

void RateLimiter::set_limit(RateLimit limit) {
  std::lock_guard lock(mu_);
  limit_ = sane(limit);
}

RateLimit RateLimiter::limit() const {
  std::lock_guard lock(mu_);
  return limit_;
}

}  // namespace cwsync
