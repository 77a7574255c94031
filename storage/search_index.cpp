#include "storage/search_index.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace cwsync::storage::detail {
namespace {

// One pass over the noted keys, set-based: each statement opens one
// savepoint, so FTS5 writes one segment per transaction (see
// schema_search_batched.cpp for why that matters). The keys are gathered
// once into a connection-local table (each key once, however often noted);
// CROSS JOIN keeps them the outer loop, so a small page costs a few lookups,
// not a walk over every key of its kind.
const char* const kReindexNoted = R"SQL(
INSERT OR IGNORE INTO search_keys (kind, tenant, id)
  SELECT kind, tenant, id FROM search_pending ORDER BY seq;

CREATE TEMP TABLE IF NOT EXISTS search_noted (key INTEGER PRIMARY KEY);
DELETE FROM temp.search_noted;
INSERT OR IGNORE INTO temp.search_noted (key)
  SELECT k.key FROM search_pending p
  JOIN search_keys k ON k.kind = p.kind AND k.tenant = p.tenant AND k.id = p.id;

DELETE FROM search WHERE rowid IN (SELECT key FROM temp.search_noted);

-- A quote number is indexed from its latest live version (none: not indexed).
INSERT INTO search (rowid, kind, id, tenant, number, title, body)
  SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name
  FROM temp.search_noted n
  CROSS JOIN search_keys k ON k.key = n.key
  JOIN cpq_quotes q ON q.rowid = (
    SELECT l.rowid FROM cpq_quotes l
    WHERE l.tenant = k.tenant AND l.quote_number = CAST(k.id AS INTEGER) AND l.deleted_at IS NULL
    ORDER BY l.quote_version DESC LIMIT 1)
  WHERE k.kind = 'quote'
  ORDER BY n.key;

INSERT INTO search (rowid, kind, id, tenant, number, title, body)
  SELECT k.key, 'opportunity', o.id, o.tenant, NULL, o.name, o.client_name
  FROM temp.search_noted n
  CROSS JOIN search_keys k ON k.key = n.key
  JOIN cpq_opportunities o ON o.tenant = k.tenant AND o.id = k.id
  WHERE k.kind = 'opportunity' AND o.deleted_at IS NULL AND o.source <> 'quotes'
  ORDER BY n.key;

INSERT INTO search (rowid, kind, id, tenant, number, title, body)
  SELECT k.key, 'ticket', t.id, t.tenant, t.number, t.summary,
         trim(COALESCE(t.company, '') || ' ' || COALESCE(t.contact, ''))
  FROM temp.search_noted n
  CROSS JOIN search_keys k ON k.key = n.key
  JOIN psa_tickets t ON t.tenant = k.tenant AND t.id = k.id
  WHERE k.kind = 'ticket' AND t.deleted_at IS NULL
  ORDER BY n.key;

DELETE FROM search_pending;
DELETE FROM temp.search_noted;
)SQL";

}  // namespace

const char* reindex_pending_sql() { return kReindexNoted; }

void index_pending_search(SQLite::Database& db) {
  // The common case on an idle cycle: nothing noted, nothing to run.
  SQLite::Statement any(db, "SELECT 1 FROM search_pending LIMIT 1");
  if (!any.executeStep()) return;
  db.exec(reindex_pending_sql());
}

}  // namespace cwsync::storage::detail
