// Migration 10: psa_activity_log may lose the old rows of delivered posts
// (`retention.activity_log`, opt-in; storage/retention_store.h).
//
// Until version 9 a trigger refused every DELETE on the log. It now refuses
// the DELETE of a row whose post is pending, in_flight or dead: the drainer
// counts those posts' 'attempt' and 'claimed' rows to decide whether to look
// upstream before sending again (docs/queue.md, "exactly once"), and a dead
// post can be requeued into that state. So a pruning bug, or another program,
// can never make cwsync resend a post whose earlier attempt may have landed.
// UPDATE stays refused.
//
// And an index for `retention.sync_runs`, which keeps the newest run of each
// (tenant, entity, kind). For an incremental run the next row of its (tenant,
// entity) in sync_runs_by_entity is nearly always a newer incremental run: one
// step. A reconcile or full run's newer twin is a day of incremental runs away
// (288 rows at 5 minutes), and a batch of them took 400 ms of write lock at
// 1,000 tenants (bench/storage/retention_bench). This partial index holds
// only those rare kinds (1 row in 289), so it costs almost nothing to keep.
#include "storage/schema_sql.h"

namespace cwsync::storage::detail {

const char* schema_retention() {
  return R"SQL(
DROP TRIGGER psa_activity_log_no_delete;
CREATE TRIGGER psa_activity_log_no_delete BEFORE DELETE ON psa_activity_log
WHEN EXISTS (SELECT 1 FROM psa_posts p WHERE p.id = OLD.post_id
             AND p.status IN ('pending', 'in_flight', 'dead'))
BEGIN
  SELECT RAISE(ABORT, 'psa_activity_log keeps the history of posts not delivered (pending, in_flight or dead)');
END;
CREATE INDEX sync_runs_rare_kinds ON sync_runs (tenant, entity, kind, id)
  WHERE kind <> 'incremental';
)SQL";
}

}  // namespace cwsync::storage::detail
