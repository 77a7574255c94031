// Admission of each attempt before it is sent, for limits that count requests
// in flight rather than request starts (a rate limit counts starts: see
// rate_limiter.h). An upstream that answers "too many concurrent requests"
// with a 429 costs a request and a backoff; a gate makes the caller wait its
// turn instead. Providers implement it (which requests share a cap is theirs
// to say); UpstreamRegistry::gate() shares one instance per connection.
#pragma once

#include "base/clock.h"
#include "sync/http/http_client.h"
#include "sync/http/waiter.h"

namespace cwsync {

class SendGate {
 public:
  virtual ~SendGate() = default;

  // Blocks until `request` may be sent. Returns false, holding nothing, when
  // stop was requested on `waiter` before or during the wait (a gate must
  // notice within a fraction of a second: shutdown waits for it). A wait
  // should go through waiter.wait_on(), so a daemon run lends its worker out
  // meanwhile. `clock` times the wait for logs. Every true must be matched by one leave() of the
  // same request. Thread-safe.
  virtual bool enter(const HttpRequest& request, Waiter& waiter, const Clock& clock) = 0;
  // The request admitted by enter() is over (answered or failed). Thread-safe.
  virtual void leave(const HttpRequest& request) = 0;
};

// Holds one admission (a true enter()) until it goes out of scope.
class GatePass {
 public:
  GatePass(SendGate& gate, const HttpRequest& request) : gate_(gate), request_(request) {}
  ~GatePass() { gate_.leave(request_); }
  GatePass(const GatePass&) = delete;
  GatePass& operator=(const GatePass&) = delete;

 private:
  SendGate& gate_;
  const HttpRequest& request_;
};

}  // namespace cwsync
