// QueueStore: the PSA post queue (psa_posts) and its append-only history
// (psa_activity_log). Storage owns the state machine's bookkeeping; the
// drainer in sync/ decides *which* transition to make.
//
//   pending ──claim_due──▶ in_flight ──mark_succeeded / mark_deduplicated──▶ succeeded
//      ▲                      │ ├─schedule_retry / release──▶ pending
//      └──requeue── dead ◀────┘ └─dead_letter
//
// Every transition runs in one write transaction together with its activity
// rows. Every function takes `now` from the caller; the SQL clock is never
// used (rows inserted by other programs get SQL defaults, see docs/schema.md).
// Transitions on a post in the wrong state return kInvalidInput and change
// nothing; an unknown id is kNotFound; SQLite failures are kDatabase.
// Threading: like its Database, one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/database.h"
#include "storage/rows.h"

namespace cwsync::storage {

// psa_posts.provider's column default (docs/schema.md §psa_posts).
inline constexpr std::string_view kDefaultPostProvider = "connectwise";

struct ClaimFilter {
  std::optional<std::string> tenant;          // only this tenant
  std::vector<std::string> exclude_tenants;   // e.g. tenants paused after a 401
  // The PSA the claimed posts are delivered through (the tenant's): a post
  // still at kDefaultPostProvider gets it at the claim, in the same
  // transaction, and its 'claimed' row says so. Other providers are kept.
  std::optional<std::string> provider;
};

struct PostFilter {
  std::optional<PostStatus> status;
  std::optional<std::string> tenant;
  std::optional<std::int64_t> ticket_id;
  int limit = 100;                            // <= 0: no limit
};

// A fresh random UUID v4 ("7f3a9c1e-...") for idempotency keys.
std::string new_idempotency_key();

class QueueStore {
 public:
  explicit QueueStore(Database& db) : db_(&db) {}  // db must outlive the store

  // ---- enqueue ---------------------------------------------------------------
  // Inserts a pending post due at `now` (the trigger logs 'enqueued'). A key
  // that already exists is a no-op returning the existing id, inserted=false.
  // kInvalidInput: empty tenant/provider, ticket_id <= 0, payload not a JSON
  // object.
  Result<EnqueueResult> enqueue(const NewPost& post, TimePoint now);

  // ---- drainer transitions ---------------------------------------------------
  // Claims up to `limit` due posts: pending with next_retry_at <= now, or
  // in_flight with lease_until < now (crash recovery, reclaimed=true). Only
  // the lowest-id pending/in_flight post of each (tenant, ticket_id) is
  // eligible, so a ticket's posts go out in id order and a stuck post blocks
  // only its own ticket. Claimed posts become in_flight until now + lease;
  // each gets a 'claimed' row. Ordered by next_retry_at, then id. With
  // filter.provider, the default provider of a claimed row is corrected.
  Result<std::vector<ClaimedPost>> claim_due(TimePoint now, std::chrono::milliseconds lease,
                                             int limit, const ClaimFilter& filter = {});
  // Logs 'attempt' (attempt number, HTTP status if any, duration). in_flight only.
  Status record_attempt(std::int64_t post_id, int attempt, std::optional<int> http_status,
                        std::chrono::milliseconds duration, std::string_view message,
                        TimePoint now);
  // in_flight → succeeded; logs 'succeeded'.
  Status mark_succeeded(std::int64_t post_id, std::optional<std::string> remote_id,
                        std::optional<int> http_status, std::chrono::milliseconds duration,
                        TimePoint now);
  // in_flight → succeeded because the effect was found upstream (marker);
  // logs 'deduplicated' (with `evidence`) then 'succeeded'.
  Status mark_deduplicated(std::int64_t post_id, std::optional<std::string> remote_id,
                           std::string_view evidence, TimePoint now);
  // in_flight → pending due at next_at; retry_count+1, last_error,
  // last_http_status, and failures+1 when `counts_failure` (a post-specific
  // failure uses up budget; an outage does not); logs 'failed' then
  // 'retry_scheduled'.
  Status schedule_retry(std::int64_t post_id, TimePoint next_at, std::string_view error,
                        std::optional<int> http_status, TimePoint now,
                        bool counts_failure = true);
  // pending|in_flight → dead with the reason in last_error; failures+1 when
  // `counts_failure` (the failure that used up the budget); logs 'dead_lettered'.
  Status dead_letter(std::int64_t post_id, std::string_view reason,
                     std::optional<int> http_status, TimePoint now, bool counts_failure = false);
  // in_flight → pending due at next_at without counting a failure (shutdown,
  // tenant paused); logs 'retry_scheduled' with the reason. When the attempt
  // did get an answer (the 401 that paused the tenant), pass it as `error` and
  // `http_status`: they go to last_error/last_http_status, so `queue list`
  // shows why the post waits.
  Status release(std::int64_t post_id, TimePoint next_at, std::string_view reason,
                 TimePoint now, std::optional<std::string_view> error = std::nullopt,
                 std::optional<int> http_status = std::nullopt);

  // ---- operator repairs --------------------------------------------------------
  // dead → pending due now, retry_count and failures 0 (a fresh budget);
  // logs 'requeued'.
  Status requeue(std::int64_t post_id, TimePoint now);
  // Requeues every dead post (of one tenant); returns how many.
  Result<std::int64_t> requeue_all_dead(std::optional<std::string> tenant, TimePoint now);
  // Deletes succeeded posts whose updated_at is before `cutoff`, logging
  // 'purged' for each first (their history stays); returns how many.
  Result<std::int64_t> purge_succeeded_older_than(TimePoint cutoff, TimePoint now);

  // ---- reads (queue_queries.cpp) ---------------------------------------------
  // Newest first.
  Result<std::vector<PostRow>> list(const PostFilter& filter);
  // The post and its activity, oldest event first.
  Result<std::optional<PostDetail>> get(std::int64_t post_id);
  // Activity rows of a post, oldest first (also works after a purge).
  Result<std::vector<ActivityRow>> activity(std::int64_t post_id);
  // psa_post_history rows of a ticket (any tenant when nullopt), oldest first.
  Result<std::vector<PostHistoryRow>> history(std::optional<std::string> tenant,
                                              std::int64_t ticket_id, int limit = 0);
  Result<QueueCounts> counts(std::optional<std::string> tenant = {});
  Result<std::map<std::string, QueueCounts>> counts_by_tenant();
  // Age of the oldest undelivered (pending or in_flight) post; nullopt if none.
  Result<std::optional<std::chrono::milliseconds>> oldest_pending_age(
      TimePoint now, std::optional<std::string> tenant = {});
  // Earliest time a post may become claimable (next_retry_at of pending,
  // lease_until of in_flight), ignoring per-ticket order; nullopt if none.
  Result<std::optional<TimePoint>> next_due_at();

 private:
  Database* db_;
};

}  // namespace cwsync::storage
