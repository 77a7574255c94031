// The Autotask request limits: a request threshold per rolling hour for the
// whole database, added latency as the hour fills up, and a cap on concurrent
// requests per endpoint (docs/simulator.md, "Autotask limits"). Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "store.h"

namespace cwsim {

class AutotaskLimits {
 public:
  static constexpr TimeMs kWindowMs = 3'600'000;  // the rolling hour

  // hourly_limit >= 1, concurrency >= 1, delay_ms >= 0. Keeps the window's count.
  void configure(int hourly_limit, int concurrency, int delay_ms);

  struct Admission {
    bool admitted = true;
    std::string fault;    // "hourly_limit" or "thread_limit" when not admitted
    std::string message;  // the errors[] text for the 429
    int delay_ms = 0;     // latency to add before serving (threshold steps)
  };
  // Counts one request to `endpoint` (an entity name, compared case-insensitively)
  // at `now`. When admitted, the caller must call release(endpoint) once the
  // request is over. A rejected request counts toward nothing.
  Admission admit(const std::string& endpoint, TimeMs now);
  void release(const std::string& endpoint);

  // ThresholdInformation: {externalRequestThreshold, requestThresholdTimeframe
  // (minutes), currentTimeframeRequestCount}.
  Json threshold(TimeMs now);
  // Settings, the count in the window, requests in flight and rejections.
  Json to_json(TimeMs now);
  // Forgets the requests counted in the window and the rejection counts.
  void clear();

 private:
  void expire(TimeMs now);  // caller holds mu_

  std::mutex mu_;
  int hourly_limit_ = 10000;
  int concurrency_ = 3;
  int delay_ms_ = 500;
  std::deque<TimeMs> window_;             // arrival times of counted requests
  std::map<std::string, int> in_flight_;  // lower-case endpoint -> requests being served
  int rejected_hourly_ = 0;
  int rejected_threads_ = 0;
};

}  // namespace cwsim
