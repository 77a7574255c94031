// Batched pruning of sync_runs and psa_activity_log. Each batch selects the
// ids to delete (oldest first) and deletes them in the same BEGIN IMMEDIATE
// transaction.
//
// Why the `bound`: the candidates are found walking the primary key from the
// oldest row. Without a stop, the last batch of every run (the one that finds
// fewer rows than its limit) would walk the whole table, every hour. Rows are
// appended in time order, so the first row at or after the cutoff bounds the
// walk; finding it (once per pass) walks only the rows before it, which
// pruning keeps few. Within a pass each batch starts after the last id the
// previous one deleted, so the rows kept below it are not walked again. A
// row written out of order (a clock stepped back) past the bound waits for a
// later run: never pruned early, only late.
#include "storage/retention_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;

struct Batch {
  std::int64_t picked = 0;   // candidates found (at most the limit)
  std::int64_t rows = 0;     // rows the DELETEs removed
  std::int64_t last_id = 0;  // the highest id deleted; rows below it that stay are kept rows
};

// A finished run is prunable when a newer finished run of the same (tenant,
// entity, kind) exists: the newest one of each stays, so `cwsync status` and
// dashboards still see the last run of everything. Two probes, so each kind
// reads the index where its newer twin is near: sync_runs_by_entity (tenant,
// entity, id) for incremental runs, sync_runs_rare_kinds (version 10) for the
// daily reconcile and full runs (schema_retention.cpp has the measurement).
constexpr const char* kSyncRunsCandidates = R"SQL(
SELECT r.id FROM sync_runs r
WHERE r.id > :after
  AND r.id < :bound
  AND r.status <> 'running'
  AND COALESCE(r.finished_at, r.started_at) < :cutoff
  AND CASE WHEN r.kind = 'incremental'
    THEN EXISTS (SELECT 1 FROM sync_runs n INDEXED BY sync_runs_by_entity
                 WHERE n.tenant = r.tenant AND n.entity = r.entity AND n.id > r.id
                   AND n.kind = 'incremental' AND n.status <> 'running')
    ELSE EXISTS (SELECT 1 FROM sync_runs n INDEXED BY sync_runs_rare_kinds
                 WHERE n.tenant = r.tenant AND n.entity = r.entity AND n.kind = r.kind
                   AND n.kind <> 'incremental' AND n.id > r.id AND n.status <> 'running')
  END
ORDER BY r.id LIMIT :limit
)SQL";

// Rows of posts that can still be sent (pending, in_flight) or requeued
// (dead) stay whatever their age: the drainer reads them (docs/queue.md).
constexpr const char* kActivityCandidates = R"SQL(
SELECT a.id FROM psa_activity_log a
WHERE a.id > :after
  AND a.id < :bound
  AND a.at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM psa_posts p WHERE p.id = a.post_id
                  AND p.status IN ('pending', 'in_flight', 'dead'))
ORDER BY a.id LIMIT :limit
)SQL";

// What a table's pruning needs: its name, its candidates, and the query for
// the first id at or after the cutoff (run once per pass, outside a write
// transaction: it walks the old rows).
struct Table {
  const char* name;
  const char* candidates;
  const char* bound;
};

const Table kSyncRuns{"sync_runs", kSyncRunsCandidates,
                      "SELECT MIN(id) FROM sync_runs WHERE started_at >= ?"};
const Table kActivityLog{"psa_activity_log", kActivityCandidates,
                         "SELECT MIN(id) FROM psa_activity_log WHERE at >= ?"};

Result<std::int64_t> bound_of(Database& db, const Table& t, TimePoint cutoff) {
  return guarded(std::string("prune ") + t.name, [&]() -> Result<std::int64_t> {
    SQLite::Statement st(db.handle(), t.bound);
    st.bind(1, detail::iso(cutoff));
    st.executeStep();
    return st.getColumn(0).isNull() ? INT64_MAX : st.getColumn(0).getInt64();
  });
}

Result<Batch> prune_batch(Database& db, const Table& t, TimePoint cutoff, std::int64_t bound,
                          std::int64_t after, int limit) {
  if (limit < 1) return make_error(ErrorKind::kInvalidInput, "prune batch needs a limit >= 1");
  auto txn = WriteTransaction::begin(db);
  if (!txn) return txn.error();
  return guarded(std::string("prune ") + t.name, [&]() -> Result<Batch> {
    SQLite::Statement pick(db.handle(), t.candidates);
    pick.bind(":after", static_cast<int64_t>(after));
    pick.bind(":bound", static_cast<int64_t>(bound));
    pick.bind(":cutoff", detail::iso(cutoff));
    pick.bind(":limit", limit);
    std::vector<std::int64_t> ids;
    while (pick.executeStep()) ids.push_back(pick.getColumn(0).getInt64());
    SQLite::Statement del(db.handle(), std::string("DELETE FROM ") + t.name + " WHERE id = ?");
    Batch b;
    for (std::int64_t id : ids) {
      del.bind(1, static_cast<int64_t>(id));
      b.rows += del.exec();
      del.reset();
    }
    if (auto st = txn->commit(); !st) return st.error();
    b.picked = static_cast<std::int64_t>(ids.size());
    b.last_id = ids.empty() ? after : ids.back();
    return b;
  });
}

Result<std::int64_t> one_batch(Database& db, const Table& t, TimePoint cutoff, int limit) {
  auto bound = bound_of(db, t, cutoff);
  if (!bound) return bound.error();
  auto b = prune_batch(db, t, cutoff, *bound, 0, limit);
  if (!b) return b.error();
  return b->rows;
}

Result<PruneCount> prune_all(Database& db, const Table& t, TimePoint cutoff,
                             const PruneOptions& options) {
  auto bound = bound_of(db, t, cutoff);
  if (!bound) return bound.error();
  PruneCount count;
  std::int64_t after = 0;
  for (;;) {
    auto b = prune_batch(db, t, cutoff, *bound, after, options.batch_rows);
    if (!b) return b.error();
    count.rows += b->rows;
    ++count.batches;
    after = b->last_id;
    // A short batch found every candidate left: done. Each full batch moves
    // `after` forward, so the loop ends.
    if (b->picked < options.batch_rows) return count;
    if (options.between_batches && !options.between_batches()) {
      count.complete = false;
      return count;
    }
  }
}

}  // namespace

Result<std::int64_t> RetentionStore::prune_sync_runs_batch(TimePoint cutoff, int limit) {
  return one_batch(*db_, kSyncRuns, cutoff, limit);
}

Result<std::int64_t> RetentionStore::prune_activity_log_batch(TimePoint cutoff, int limit) {
  return one_batch(*db_, kActivityLog, cutoff, limit);
}

Result<PruneCount> RetentionStore::prune_sync_runs(TimePoint cutoff, const PruneOptions& options) {
  return prune_all(*db_, kSyncRuns, cutoff, options);
}

Result<PruneCount> RetentionStore::prune_activity_log(TimePoint cutoff,
                                                      const PruneOptions& options) {
  return prune_all(*db_, kActivityLog, cutoff, options);
}

}  // namespace cwsync::storage
