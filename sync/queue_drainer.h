// The PSA queue's state machine driver: claims due posts of one tenant,
// delivers them through the tenant's PsaProvider, and records each outcome in QueueStore
// (docs/queue.md). What a failure does to a post depends on its class
// (Error::failure, decided where the response was read):
//   2xx                          → succeeded (remote_id)
//   effect found after ambiguity → succeeded via deduplicated
//   outage                       → waits (capped backoff, Retry-After, or the
//                                  breaker's next probe) until max_age; uses
//                                  no budget. A breaker fast-fail is not even
//                                  an attempt.
//   post-specific                → if a probe read of the ticket answers,
//                                  counts toward max_attempts, then dead;
//                                  otherwise it is an outage
//   rejection, invalid payload,  → dead with the reason
//   unknown status name/member
//   401 / 403                    → post released uncounted; tenant paused
// A post that may have reached PSA (ambiguous failure, or a crash while in
// flight) is not looked at again before PSA can no longer be applying it
// (read_timeout + queue.settle), and is then checked upstream before it is
// sent again. Time is injected; nothing sleeps here except the ApiClient's
// rate-limit waits (through its Waiter).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "storage/queue_store.h"
#include "sync/http/backoff.h"
#include "sync/psa_provider.h"

namespace cwsync {

struct DrainOptions {
  int batch = 20;                                 // posts per claim
  Millis pause_cool_down = std::chrono::minutes(15);  // after a 401/403
  Millis min_retry_delay = std::chrono::seconds(1);   // floor under jittered backoff
  // Cap on outage-class waits, so a post notices PSA's return within this
  // (the breaker's probe covers the time it is open).
  Millis outage_wait_cap = std::chrono::seconds(15);
  // How long after an ambiguous failure (or an expired lease) PSA may still
  // apply the request: http.read_timeout + queue.settle. TenantQueue sets it.
  Millis settle = std::chrono::seconds(120);
  std::function<bool()> stop;                     // checked between posts
  std::function<void()> progress;                 // called after each post
};

struct DrainStats {
  int claimed = 0, succeeded = 0, deduplicated = 0, retried = 0, dead = 0, released = 0;
  int waiting = 0;                                // of retried: outage waits (no budget used)
  bool paused = false;                            // an auth failure paused the tenant
  std::string pause_reason;
  // The host's breaker is open: nothing is sent before this time.
  std::optional<TimePoint> unavailable_until;
};

class QueueDrainer {
 public:
  // `store`, `poster` and `clock` must outlive the drainer. `policy` is the
  // tenant's queue policy; `backoff` the tenant's defaults.backoff.
  QueueDrainer(storage::QueueStore& store, std::string tenant, QueuePolicy policy,
               PsaProvider& poster, const Clock& clock, Backoff backoff, DrainOptions options = {});

  // One pass: claims and handles due posts until none is due, stop is
  // requested, or the tenant is paused. Errors: kDatabase from the store (the
  // pass ends; claimed posts come back after their lease). Not thread-safe.
  Result<DrainStats> drain_once();

  // Until when the tenant is paused after an auth failure; nullopt if not.
  std::optional<TimePoint> paused_until() const { return paused_until_; }
  void resume() { paused_until_.reset(); }
  DrainOptions& options() { return options_; }

 private:
  // Deliver one claimed post and record the outcome; a pause or shutdown it
  // causes is seen by drain_once() before the next post. Errors: kDatabase.
  Status handle(const storage::ClaimedPost& claimed, DrainStats& stats);
  Status handle_failure(const storage::PostRow& post, const Error& error, DrainStats& stats);
  Status retry(const storage::PostRow& post, const Error& error, bool counted, DrainStats& stats);
  Status dead(const storage::PostRow& post, const std::string& reason, std::optional<int> http,
              DrainStats& stats, bool counted = false);
  Status wait_uncounted(const storage::PostRow& post, TimePoint at, const std::string& why,
                        DrainStats& stats);
  Status release_rest(const std::vector<storage::ClaimedPost>& claims, std::size_t from,
                      std::string_view reason, DrainStats& stats);

  storage::QueueStore& store_;
  std::string tenant_;
  QueuePolicy policy_;
  PsaProvider& poster_;
  const Clock& clock_;
  Backoff backoff_;
  DrainOptions options_;
  std::optional<TimePoint> paused_until_;
};

}  // namespace cwsync
