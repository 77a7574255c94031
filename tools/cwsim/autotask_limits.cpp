#include "autotask_limits.h"

namespace cwsim {

void AutotaskLimits::configure(int hourly_limit, int concurrency, int delay_ms) {
  std::lock_guard lk(mu_);
  hourly_limit_ = hourly_limit;
  concurrency_ = concurrency;
  delay_ms_ = delay_ms;
}

void AutotaskLimits::expire(TimeMs now) {
  while (!window_.empty() && window_.front() <= now - kWindowMs) window_.pop_front();
}

AutotaskLimits::Admission AutotaskLimits::admit(const std::string& endpoint, TimeMs now) {
  std::lock_guard lk(mu_);
  expire(now);
  Admission a;
  if (static_cast<int>(window_.size()) >= hourly_limit_) {
    ++rejected_hourly_;
    a.admitted = false;
    a.fault = "hourly_limit";
    a.message = "The request threshold of " + std::to_string(hourly_limit_) +
                " requests per 60 minutes has been exceeded for this database.";
    return a;
  }
  int& busy = in_flight_[lower_ascii(endpoint)];
  if (busy >= concurrency_) {
    ++rejected_threads_;
    a.admitted = false;
    a.fault = "thread_limit";
    a.message = "Too many concurrent requests to the " + endpoint + " endpoint (at most " +
                std::to_string(concurrency_) + ").";
    return a;
  }
  ++busy;
  window_.push_back(now);
  // Autotask slows an integration down as the hour fills: one step from half
  // of the threshold, a longer one from three quarters.
  const auto used = static_cast<int64_t>(window_.size()) * 4;
  if (used >= static_cast<int64_t>(hourly_limit_) * 3) {
    a.delay_ms = 2 * delay_ms_;
  } else if (used >= static_cast<int64_t>(hourly_limit_) * 2) {
    a.delay_ms = delay_ms_;
  }
  return a;
}

void AutotaskLimits::release(const std::string& endpoint) {
  std::lock_guard lk(mu_);
  auto it = in_flight_.find(lower_ascii(endpoint));
  if (it == in_flight_.end()) return;
  if (--it->second <= 0) in_flight_.erase(it);
}

Json AutotaskLimits::threshold(TimeMs now) {
  std::lock_guard lk(mu_);
  expire(now);
  return {{"externalRequestThreshold", hourly_limit_},
          {"requestThresholdTimeframe", kWindowMs / 60'000},
          {"currentTimeframeRequestCount", window_.size()}};
}

Json AutotaskLimits::to_json(TimeMs now) {
  std::lock_guard lk(mu_);
  expire(now);
  Json busy = Json::object();
  for (const auto& [k, v] : in_flight_) busy[k] = v;
  return {{"hourly_limit", hourly_limit_},
          {"concurrency", concurrency_},
          {"threshold_delay_ms", delay_ms_},
          {"current_count", window_.size()},
          {"in_flight", busy},
          {"rejected_hourly", rejected_hourly_},
          {"rejected_threads", rejected_threads_}};
}

void AutotaskLimits::clear() {
  std::lock_guard lk(mu_);
  window_.clear();
  rejected_hourly_ = 0;
  rejected_threads_ = 0;
}

}  // namespace cwsim
