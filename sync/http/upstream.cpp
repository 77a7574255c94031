#include "sync/http/upstream.h"

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

UpstreamHost::UpstreamHost(std::string key, RateLimit ceiling, BreakerPolicy breaker)
    : key_(std::move(key)), limiter_(ceiling), has_ceiling_(true), breaker_(breaker) {}

UpstreamHost::UpstreamHost(std::string key, BreakerPolicy breaker)
    : key_(std::move(key)), limiter_(RateLimit{}), breaker_(breaker) {}

Millis UpstreamHost::reserve_ceiling(TimePoint now) {
  return has_ceiling_.load() ? limiter_.reserve(now) : Millis(0);
}

void UpstreamHost::set_ceiling(std::optional<RateLimit> ceiling) {
  if (ceiling) limiter_.set_limit(*ceiling);
  has_ceiling_.store(ceiling.has_value());
}

std::optional<RateLimit> UpstreamHost::ceiling() const {
  if (!has_ceiling_.load()) return std::nullopt;
  return limiter_.limit();
}

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
  s.rate_limit = ceiling().value_or(RateLimit{0, Millis(0)});
  return s;
}

std::shared_ptr<UpstreamHost> UpstreamRegistry::host(const std::string& key,
                                                     BreakerPolicy breaker) {
  std::lock_guard lock(mu_);
  auto& slot = hosts_[key];
  if (!slot) {
    slot = std::make_shared<UpstreamHost>(key, breaker);
    slot->set_ceiling(ceiling_for(key));
  }
  return slot;
}

std::shared_ptr<RateLimiter> UpstreamRegistry::budget(const std::string& key, RateLimit limit) {
  std::lock_guard lock(mu_);
  auto& slot = budgets_[key];
  auto configured = configured_.find(key);
  if (!slot) {
    slot = std::make_shared<RateLimiter>(configured != configured_.end() ? configured->second
                                                                         : limit);
  } else if (configured == configured_.end()) {
    slot->tighten(limit);
  }
  return slot;
}

std::shared_ptr<SendGate> UpstreamRegistry::gate(
    const std::string& key, const std::function<std::shared_ptr<SendGate>()>& make) {
  std::lock_guard lock(mu_);
  auto& slot = gates_[key];
  if (!slot) slot = make();
  return slot;
}

std::optional<RateLimit> UpstreamRegistry::ceiling_for(const std::string& key) const {
  // key is "host:port"; an entry names the host alone or host:port.
  const std::string host = key.substr(0, key.rfind(':'));
  for (const auto& c : ceilings_) {
    if (c.host == key || c.host == host) return c.rate_limit;
  }
  return std::nullopt;
}

void UpstreamRegistry::set_ceilings(const std::vector<HostCeiling>& ceilings) {
  std::lock_guard lock(mu_);
  ceilings_ = ceilings;
  for (auto& [key, host] : hosts_) host->set_ceiling(ceiling_for(key));
}

void UpstreamRegistry::configure_budgets(const std::map<std::string, RateLimit>& limits) {
  std::lock_guard lock(mu_);
  configured_ = limits;
  for (const auto& [key, limit] : limits) {
    if (auto it = budgets_.find(key); it != budgets_.end()) it->second->set_limit(limit);
  }
}

std::size_t UpstreamRegistry::budget_count() const {
  std::lock_guard lock(mu_);
  return budgets_.size();
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
