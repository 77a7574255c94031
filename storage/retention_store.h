// RetentionStore: deletes old history rows so a long-running daemon's
// database stays bounded (docs/operations.md, "Database size over months").
//
//   sync_runs         finished rows older than the cutoff, except the newest
//                     finished row of each (tenant, entity, kind); a running
//                     row is never deleted.
//   psa_activity_log  rows older than the cutoff of posts that are delivered
//                     (succeeded) or purged. The rows of pending, in_flight
//                     and dead posts stay: the drainer counts their 'attempt'
//                     and 'claimed' rows to decide whether to look upstream
//                     before sending again, and a dead post can be requeued.
//                     A trigger (schema version 10) refuses anything else.
//
// Each batch is one BEGIN IMMEDIATE transaction of at most `batch_rows`
// deletes, so a queue write waits at most one batch. Callers pass the cutoff;
// the SQL clock is never used. Errors: kDatabase (that batch rolled back,
// earlier batches kept). Threading: like its Database, one thread at a time.
#pragma once

#include <cstdint>
#include <functional>

#include "base/clock.h"
#include "base/result.h"
#include "storage/database.h"

namespace cwsync::storage {

// Rows per transaction. Measured on the 2-core machine deleting 1,000,000
// rows of 1,000 tenants (bench/storage/retention_bench): sync_runs batches of
// 500 hold the lock 8 ms (p50; p99 52 ms), of 2,000 57 ms (p99 142 ms), for
// the same rows/s; docs/operations.md has the table.
inline constexpr int kDefaultPruneBatch = 500;

struct PruneOptions {
  int batch_rows = kDefaultPruneBatch;  // >= 1
  // Called after every batch; returning false stops before the next one
  // (SIGTERM, progress for the watchdog). Unset: run until done.
  std::function<bool()> between_batches;
};

struct PruneCount {
  std::int64_t rows = 0;  // rows deleted
  int batches = 0;        // transactions committed (the last may delete 0)
  bool complete = true;   // false when between_batches stopped it early
};

class RetentionStore {
 public:
  explicit RetentionStore(Database& db) : db_(&db) {}  // db must outlive the store

  // One transaction: deletes up to `limit` prunable sync_runs rows finished
  // before `cutoff`, oldest first; returns how many (0 = nothing left).
  Result<std::int64_t> prune_sync_runs_batch(TimePoint cutoff, int limit);
  // One transaction: deletes up to `limit` prunable psa_activity_log rows
  // written before `cutoff`, oldest first; returns how many.
  Result<std::int64_t> prune_activity_log_batch(TimePoint cutoff, int limit);

  // Batch after batch until a batch deletes fewer than batch_rows, or
  // between_batches says stop. Terminates: every batch deletes rows or ends.
  Result<PruneCount> prune_sync_runs(TimePoint cutoff, const PruneOptions& options = {});
  Result<PruneCount> prune_activity_log(TimePoint cutoff, const PruneOptions& options = {});

 private:
  Database* db_;
};

}  // namespace cwsync::storage
