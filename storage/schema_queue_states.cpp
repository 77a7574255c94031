// Migration "queue budget and tenant states" (appended after v1; frozen once
// released, like every migration).
//
// - psa_posts.failures: post-specific failures since enqueue or the last
//   requeue. Only these use up queue.max_attempts; outages and breaker
//   fast-fails never do, and a requeue starts the count again.
// - tenant_states: what the daemon knows about each tenant that another
//   process (`cwsync status`) must be able to show: the queue paused after a
//   401/403, the pulls stopped after an account error, and the last failure
//   of every job. The daemon writes it; everybody else only reads it.
#include "storage/schema_sql.h"

namespace cwsync::storage::detail {

const char* const kSchemaQueueStates = R"SQL(
ALTER TABLE psa_posts ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;

CREATE TABLE tenant_states (
  tenant  TEXT NOT NULL,
  state   TEXT NOT NULL CHECK (state IN ('queue_paused', 'pulls_stopped', 'job_failed')),
  job     TEXT NOT NULL DEFAULT '',
  reason  TEXT NOT NULL,
  until   TEXT,
  at      TEXT NOT NULL,
  PRIMARY KEY (tenant, state, job)
);
)SQL";

}  // namespace cwsync::storage::detail
