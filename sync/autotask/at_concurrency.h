// Autotask's thread limit, kept on our side. Autotask serves at most 3
// requests at once per endpoint for one API user (integration); a 4th gets a
// 429 that still counts against the database's 10,000 requests an hour and
// costs a backoff (docs/design.md, "Upstream: Autotask PSA"). The queue lane
// and a pull of one tenant run on different threads with separate clients, so
// the cap lives in the UpstreamRegistry, one per API user, and every
// Autotask ApiClient of that user enters it just before each attempt is sent
// (after its rate-limit wait) and leaves it when the response is in. A wait
// for a slot is no attempt, parks a daemon run (Waiter::wait_on) and ends
// within `stop_poll` of a stop. A 429 from Autotask (another integration on
// the database holding the slots) is still a throttle, backed off as before.
//
// "Endpoint" is the entity segment after V1.0/, case-insensitive, as cwsim
// counts it: Tickets/query, Tickets/5, Tickets/5/Notes and
// Tickets/entityInformation/fields all count as "tickets"; TimeEntries,
// TicketNotes/query and Resources/7/Roles as their first segment. The zone
// lookup is not capped (another host, no user).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.h"
#include "sync/http/send_gate.h"
#include "sync/http/upstream.h"

namespace cwsync {

// Autotask's documented limit of concurrent requests per endpoint.
inline constexpr int kAutotaskRequestsPerEndpoint = 3;

// The endpoint an Autotask request URL counts against, lower-cased
// ("https://…/ATServicesRest/V1.0/Tickets/5/Notes" → "tickets"), or "" when no
// cap applies (the zone lookup; a URL without a V1.0/ entity).
std::string autotask_endpoint_of(std::string_view url);

// At most `per_endpoint` requests in flight per endpoint; the rest wait in
// arrival order (a post queued behind a burst of pull requests goes next, not
// whenever it wins a race). Thread-safe.
class AutotaskEndpointSlots final : public SendGate {
 public:
  // `stop_poll`: how often a waiting caller looks at the Waiter's stop flag
  // (the gate cannot hear request_stop() itself); bounds the shutdown delay.
  explicit AutotaskEndpointSlots(int per_endpoint = kAutotaskRequestsPerEndpoint,
                                 Millis stop_poll = Millis(50));

  bool enter(const HttpRequest& request, Waiter& waiter, const Clock& clock) override;
  void leave(const HttpRequest& request) override;

  // For tests and diagnostics: requests in flight / waiting on `endpoint`
  // (lower-case, as autotask_endpoint_of() returns it).
  int in_flight(const std::string& endpoint) const;
  int waiting(const std::string& endpoint) const;

 private:
  struct Lane {
    int in_flight = 0;
    std::deque<std::uint64_t> queue;  // tickets of waiting callers, oldest first
  };
  // Blocks until `ticket` is first in `endpoint`'s queue and a slot is free
  // (takes it: true), or stop is requested (leaves the queue: false).
  bool wait_turn(const std::string& endpoint, std::uint64_t ticket, const Waiter& waiter);

  const int per_endpoint_;
  const Millis stop_poll_;
  mutable std::mutex mu_;
  std::condition_variable changed_;  // a slot came free or a waiter left
  std::map<std::string, Lane> lanes_;  // only endpoints in use
  std::uint64_t next_ticket_ = 0;
};

// The registry key of `conn`'s slots: Autotask counts per API user.
std::string autotask_slots_key(const AutotaskSettings& conn);

// The slots every client of `conn`'s API user shares, from `registry`.
std::shared_ptr<SendGate> autotask_endpoint_slots(UpstreamRegistry& registry,
                                                  const AutotaskSettings& conn);

}  // namespace cwsync
