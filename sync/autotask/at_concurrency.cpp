#include "sync/autotask/at_concurrency.h"

#include <algorithm>
#include <cctype>

#include "base/log.h"

namespace cwsync {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string autotask_endpoint_of(std::string_view url) {
  // Cut the query first: a filter value could contain "/V1.0/".
  url = url.substr(0, url.find_first_of("?#"));
  const std::string lowered = lower(url);
  constexpr std::string_view kVersion = "/v1.0/";
  const auto at = lowered.find(kVersion);
  if (at == std::string::npos) return {};
  const auto begin = at + kVersion.size();
  std::string entity = lowered.substr(begin, lowered.find('/', begin) - begin);
  if (entity == "zoneinformation") return {};
  return entity;
}

AutotaskEndpointSlots::AutotaskEndpointSlots(int per_endpoint, Millis stop_poll)
    : per_endpoint_(std::max(per_endpoint, 1)), stop_poll_(std::max(stop_poll, Millis(1))) {}

bool AutotaskEndpointSlots::enter(const HttpRequest& request, Waiter& waiter,
                                  const Clock& clock) {
  if (waiter.stop_requested()) return false;
  const std::string endpoint = autotask_endpoint_of(request.url);
  if (endpoint.empty()) return true;

  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    Lane& lane = lanes_[endpoint];
    if (lane.queue.empty() && lane.in_flight < per_endpoint_) {
      ++lane.in_flight;
      return true;
    }
    ticket = next_ticket_++;
    lane.queue.push_back(ticket);  // the lane stays while it has a queue
  }
  const TimePoint since = clock.now();
  // Through the waiter: a daemon run lends its worker out while it waits.
  const bool admitted = waiter.wait_on([&] { return wait_turn(endpoint, ticket, waiter); });
  if (admitted) {
    log::debug("autotask_slot_waited").field("endpoint", endpoint)
        .field("wait_ms", static_cast<long long>(
                              std::chrono::ceil<Millis>(clock.now() - since).count()));
  }
  return admitted;
}

bool AutotaskEndpointSlots::wait_turn(const std::string& endpoint, std::uint64_t ticket,
                                      const Waiter& waiter) {
  std::unique_lock lock(mu_);
  Lane& lane = lanes_.at(endpoint);
  for (;;) {
    if (waiter.stop_requested()) {
      lane.queue.erase(std::find(lane.queue.begin(), lane.queue.end(), ticket));
      if (lane.in_flight == 0 && lane.queue.empty()) lanes_.erase(endpoint);
      lock.unlock();
      changed_.notify_all();  // the caller behind this one may be first now
      return false;
    }
    if (lane.queue.front() == ticket && lane.in_flight < per_endpoint_) {
      lane.queue.pop_front();
      ++lane.in_flight;
      const bool more_free = lane.in_flight < per_endpoint_ && !lane.queue.empty();
      lock.unlock();
      // Two slots can come free before the first waiter wakes: pass it on.
      if (more_free) changed_.notify_all();
      return true;
    }
    changed_.wait_for(lock, stop_poll_);
  }
}

void AutotaskEndpointSlots::leave(const HttpRequest& request) {
  const std::string endpoint = autotask_endpoint_of(request.url);
  if (endpoint.empty()) return;
  {
    std::lock_guard lock(mu_);
    auto it = lanes_.find(endpoint);
    if (it == lanes_.end() || it->second.in_flight == 0) return;  // unmatched: ignore
    --it->second.in_flight;
    if (it->second.in_flight == 0 && it->second.queue.empty()) lanes_.erase(it);
  }
  changed_.notify_all();
}

int AutotaskEndpointSlots::in_flight(const std::string& endpoint) const {
  std::lock_guard lock(mu_);
  auto it = lanes_.find(endpoint);
  return it == lanes_.end() ? 0 : it->second.in_flight;
}

int AutotaskEndpointSlots::waiting(const std::string& endpoint) const {
  std::lock_guard lock(mu_);
  auto it = lanes_.find(endpoint);
  return it == lanes_.end() ? 0 : static_cast<int>(it->second.queue.size());
}

std::string autotask_slots_key(const AutotaskSettings& conn) {
  return "autotask " + lower(conn.username);
}

std::shared_ptr<SendGate> autotask_endpoint_slots(UpstreamRegistry& registry,
                                                  const AutotaskSettings& conn) {
  return registry.gate(autotask_slots_key(conn),
                       [] { return std::make_shared<AutotaskEndpointSlots>(); });
}

}  // namespace cwsync
