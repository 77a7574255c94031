#include "sync/upstream.h"

#include <algorithm>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace cwsync {

void HostMetrics::count_attempt(int status) {
  constexpr auto relaxed = std::memory_order_relaxed;
  requests.fetch_add(1, relaxed);
  if (status == 0) {
    transport_errors.fetch_add(1, relaxed);
  } else if (status < 300) {
    status_2xx.fetch_add(1, relaxed);
  } else if (status < 400) {
    status_3xx.fetch_add(1, relaxed);
  } else if (status < 500) {
    status_4xx.fetch_add(1, relaxed);
    if (status == 429) throttled.fetch_add(1, relaxed);
  } else {
    status_5xx.fetch_add(1, relaxed);
  }
}

UpstreamHost::UpstreamHost(std::string key, RateLimit limit, BreakerPolicy breaker)
    : key_(std::move(key)), limiter_(limit), breaker_(breaker) {}

HostMetricsSnapshot UpstreamHost::snapshot(TimePoint now) const {
  HostMetricsSnapshot s;
  s.host = key_;
  s.requests = metrics_.requests.load();
  s.status_2xx = metrics_.status_2xx.load();
  s.status_3xx = metrics_.status_3xx.load();
  s.status_4xx = metrics_.status_4xx.load();
  s.status_5xx = metrics_.status_5xx.load();
  s.transport_errors = metrics_.transport_errors.load();
  s.throttled = metrics_.throttled.load();
  s.retries = metrics_.retries.load();
  s.deferrals = metrics_.deferrals.load();
  s.breaker_rejections = metrics_.breaker_rejections.load();
  s.rate_limit_wait_ms = metrics_.rate_limit_wait_ms.load();
  s.breaker = breaker_.state(now);
  s.rate_limit = limiter_.limit();
  return s;
}

std::shared_ptr<UpstreamHost> UpstreamRegistry::get(const std::string& key, RateLimit limit,
                                                    BreakerPolicy breaker) {
  std::lock_guard lock(mu_);
  auto& slot = hosts_[key];
  if (!slot) {
    slot = std::make_shared<UpstreamHost>(key, limit, breaker);
  } else {
    slot->limiter().tighten(limit);
  }
  return slot;
}

std::vector<HostMetricsSnapshot> UpstreamRegistry::snapshot(TimePoint now) const {
  std::vector<HostMetricsSnapshot> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, host] : hosts_) out.push_back(host->snapshot(now));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.host < b.host; });
  return out;
}

std::string host_key(std::string_view url) {
  try {
    Poco::URI uri{std::string(url)};
    if (uri.getHost().empty()) return {};
    return Poco::toLower(uri.getHost()) + ":" + std::to_string(uri.getPort());
  } catch (const Poco::Exception&) {
    return {};
  }
}

}  // namespace cwsync
