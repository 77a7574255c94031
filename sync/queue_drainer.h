// The PSA queue's state machine driver: claims due posts of one tenant,
// delivers them through PsaPoster, and records each outcome in QueueStore
// (docs/design.md, "Promises", docs/queue.md):
//   2xx                          → succeeded (remote_id)
//   effect found after ambiguity → succeeded via deduplicated
//   429 / 503 + Retry-After      → retry at that time
//   409, 5xx, timeout, reset     → full-jitter backoff until max_attempts or
//                                  max_age, then dead
//   400, 404, invalid payload,   → dead with the reason
//   unknown status name/member
//   401 / 403                    → post released uncounted; tenant paused
// A post that was attempted before (or reclaimed after a crash) is checked
// upstream before it is sent again. Time is injected; nothing sleeps here
// except the ApiClient's rate-limit waits (through its Waiter).
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
#include "sync/backoff.h"
#include "sync/psa_poster.h"

namespace cwsync {

struct DrainOptions {
  int batch = 20;                                 // posts per claim
  Millis pause_cool_down = std::chrono::minutes(15);  // after a 401/403
  Millis min_retry_delay = std::chrono::seconds(1);   // floor under jittered backoff
  std::function<bool()> stop;                     // checked between posts
  std::function<void()> progress;                 // called after each post
};

struct DrainStats {
  int claimed = 0, succeeded = 0, deduplicated = 0, retried = 0, dead = 0, released = 0;
  bool paused = false;                            // an auth failure paused the tenant
  std::string pause_reason;
};

class QueueDrainer {
 public:
  // `store`, `poster` and `clock` must outlive the drainer. `policy` is the
  // tenant's queue policy; `backoff` the tenant's defaults.backoff.
  QueueDrainer(storage::QueueStore& store, std::string tenant, QueuePolicy policy,
               PsaPoster& poster, const Clock& clock, Backoff backoff, DrainOptions options = {});

  // One pass: claims and handles due posts until none is due, stop is
  // requested, or the tenant is paused. Errors: kDatabase from the store (the
  // pass ends; claimed posts come back after their lease). Not thread-safe.
  Result<DrainStats> drain_once();

  // Until when the tenant is paused after an auth failure; nullopt if not.
  std::optional<TimePoint> paused_until() const { return paused_until_; }
  void resume() { paused_until_.reset(); }
  DrainOptions& options() { return options_; }

 private:
  enum class Next { kContinue, kStopBatch };
  Result<Next> handle(const storage::ClaimedPost& claimed, DrainStats& stats);
  Status fail(const storage::PostRow& post, const Error& error, TimePoint now, DrainStats& stats);
  Status release_rest(const std::vector<storage::ClaimedPost>& claims, std::size_t from,
                      std::string_view reason, DrainStats& stats);

  storage::QueueStore& store_;
  std::string tenant_;
  QueuePolicy policy_;
  PsaPoster& poster_;
  const Clock& clock_;
  Backoff backoff_;
  DrainOptions options_;
  std::optional<TimePoint> paused_until_;
};

}  // namespace cwsync
