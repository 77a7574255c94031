// Migration "PSA ticket cache and full-text search" (appended after the
// queue checks; frozen once released, like every migration).
//
// - psa_tickets: the cached PSA service tickets (either provider), tombstoned
//   like every cache table.
// - sync_state and sync_runs learn the entity 'tickets' (their CHECK lists
//   are rebuilt: SQLite cannot alter a CHECK in place).
// - search: one FTS5 index over quotes (latest live version of each quote
//   number), opportunities and tickets. Triggers on the cache tables keep it
//   in step inside the writer's own transaction, so a reader never sees a
//   row the index does not (or a tombstoned row it still finds).
//   search_keys gives each (kind, tenant, id) a stable INTEGER PRIMARY KEY
//   that is the FTS rowid: a VACUUM may renumber the cache tables' implicit
//   rowids, never an INTEGER PRIMARY KEY. (No INSERT OR IGNORE in the
//   triggers: the cache's upserts would turn its IGNORE into ABORT.)
// - cpq_clients: one row per customer account seen on quotes.
// docs/schema.md explains every column and the consumer's MATCH query.
#include "storage/schema_sql.h"

#include <string>

namespace cwsync::storage::detail {

const char* const kSchemaTickets = R"SQL(
CREATE TABLE psa_tickets (
  tenant             TEXT NOT NULL,
  provider           TEXT NOT NULL DEFAULT 'connectwise',
  id                 TEXT NOT NULL CHECK (id <> ''),
  number             TEXT NOT NULL,
  summary            TEXT,
  record_type        TEXT,
  board_id           TEXT,
  board              TEXT,
  status_id          TEXT,
  status             TEXT,
  priority           TEXT,
  company_id         TEXT,
  company_identifier TEXT,
  company            TEXT,
  contact_id         TEXT,
  contact            TEXT,
  owner_identifier   TEXT,
  owner              TEXT,
  parent_id          TEXT,
  closed             INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
  closed_at          TEXT,
  created_at         TEXT,
  updated_at         TEXT,
  raw_json           TEXT NOT NULL,
  synced_at          TEXT NOT NULL,
  deleted_at         TEXT,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX psa_tickets_by_updated ON psa_tickets (tenant, updated_at, id);
CREATE INDEX psa_tickets_by_company ON psa_tickets (tenant, company_id);

CREATE TABLE sync_state_v4 (
  tenant              TEXT NOT NULL,
  entity              TEXT NOT NULL
                      CHECK (entity IN ('quotes', 'quote_items', 'opportunities', 'tickets')),
  cursor_modified_at  TEXT,
  cursor_id           TEXT,
  last_incremental_at TEXT,
  last_full_at        TEXT,
  last_reconcile_at   TEXT,
  last_error          TEXT,
  last_error_at       TEXT,
  updated_at          TEXT NOT NULL,
  PRIMARY KEY (tenant, entity)
);
INSERT INTO sync_state_v4 SELECT * FROM sync_state;
DROP TABLE sync_state;
ALTER TABLE sync_state_v4 RENAME TO sync_state;

CREATE TABLE sync_runs_v4 (
  id          INTEGER PRIMARY KEY,
  tenant      TEXT NOT NULL,
  entity      TEXT NOT NULL
              CHECK (entity IN ('quotes', 'quote_items', 'opportunities', 'tickets')),
  kind        TEXT NOT NULL CHECK (kind IN ('incremental', 'full', 'reconcile')),
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
  pages       INTEGER NOT NULL DEFAULT 0,
  api_calls   INTEGER NOT NULL DEFAULT 0,
  upserted    INTEGER NOT NULL DEFAULT 0,
  deleted     INTEGER NOT NULL DEFAULT 0,
  error       TEXT
);
INSERT INTO sync_runs_v4 SELECT * FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_v4 RENAME TO sync_runs;
CREATE INDEX sync_runs_by_entity ON sync_runs (tenant, entity, id);

CREATE TABLE search_keys (
  key    INTEGER PRIMARY KEY,
  kind   TEXT NOT NULL CHECK (kind IN ('quote', 'opportunity', 'ticket')),
  tenant TEXT NOT NULL,
  id     TEXT NOT NULL,
  UNIQUE (kind, tenant, id)
);

CREATE VIRTUAL TABLE search USING fts5(
  kind UNINDEXED, id UNINDEXED, tenant UNINDEXED, number, title, body,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
-- ORDER BY rank: bm25 with a hit on the number worth most, then the title.
INSERT INTO search (search, rank) VALUES ('rank', 'bm25(0.0, 0.0, 0.0, 4.0, 2.0, 1.0)');
)SQL";

namespace {

// The backfill of rows cached before this version, and cpq_clients.
const char* const kSearchBackfill = R"SQL(
-- What was cached before this version.
INSERT OR IGNORE INTO search_keys (kind, tenant, id)
  SELECT DISTINCT 'quote', tenant, CAST(quote_number AS TEXT) FROM cpq_quotes;
INSERT INTO search (rowid, kind, id, tenant, number, title, body)
  SELECT k.key, 'quote', k.id, l.tenant, k.id, l.name, l.account_name
  FROM cpq_quote_latest l JOIN search_keys k
    ON k.kind = 'quote' AND k.tenant = l.tenant AND k.id = CAST(l.quote_number AS TEXT);
INSERT OR IGNORE INTO search_keys (kind, tenant, id)
  SELECT 'opportunity', tenant, id FROM cpq_opportunities;
INSERT INTO search (rowid, kind, id, tenant, number, title, body)
  SELECT k.key, 'opportunity', o.id, o.tenant, NULL, o.name, o.client_name
  FROM cpq_opportunities o JOIN search_keys k
    ON k.kind = 'opportunity' AND k.tenant = o.tenant AND k.id = o.id
  WHERE o.deleted_at IS NULL;

-- One row per customer account on quotes, from each quote number's latest
-- live version. Won: accepted, or decided (wonOrLostDate) and not lost.
CREATE VIEW cpq_clients AS
SELECT tenant, account_name AS account,
       COUNT(*) AS quote_count,
       SUM(CASE WHEN NOT is_lost AND NOT is_accepted AND won_or_lost_date IS NULL
                THEN 1 ELSE 0 END) AS open_count,
       SUM(CASE WHEN is_accepted OR (won_or_lost_date IS NOT NULL AND NOT is_lost)
                THEN 1 ELSE 0 END) AS won_count,
       SUM(CASE WHEN is_lost AND NOT is_accepted THEN 1 ELSE 0 END) AS lost_count,
       COALESCE(SUM(quote_total), 0.0) AS total_value,
       COALESCE(SUM(CASE WHEN is_accepted OR (won_or_lost_date IS NOT NULL AND NOT is_lost)
                         THEN quote_total END), 0.0) AS won_value,
       MAX(modify_date) AS last_quote_at
FROM cpq_quote_latest
WHERE account_name IS NOT NULL AND account_name <> ''
GROUP BY tenant, account_name;
)SQL";

// The trigger SQL is assembled from these pieces so each statement is
// written once; the text is built once and never changes (frozen, like the
// rest of this migration).

// search_keys gets (kind, tenant, id) unless it has it.
std::string add_key(const std::string& kind, const std::string& id) {
  return "  INSERT INTO search_keys (kind, tenant, id) SELECT '" + kind + "', NEW.tenant, " + id +
         "\n    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = '" + kind +
         "' AND tenant = NEW.tenant AND id = " + id + ");\n";
}

// Removes the index entries of `ids` (a SQL list) of `tenant`.
std::string drop_entries(const std::string& kind, const std::string& tenant, const std::string& ids) {
  return "  DELETE FROM search WHERE rowid IN (SELECT key FROM search_keys WHERE kind = '" + kind +
         "' AND tenant = " + tenant + " AND id IN (" + ids + "));\n";
}

// Indexes quote number `number` of `tenant` from its latest live version.
std::string index_quote(const std::string& tenant, const std::string& number,
                        const std::string& guard = "") {
  return "  INSERT INTO search (rowid, kind, id, tenant, number, title, body)\n"
         "    SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name\n"
         "    FROM search_keys k JOIN cpq_quotes q\n"
         "      ON q.tenant = k.tenant AND q.quote_number = CAST(k.id AS INTEGER)\n"
         "    WHERE " + guard + "k.kind = 'quote' AND k.tenant = " + tenant +
         " AND k.id = CAST(" + number + " AS TEXT)\n"
         "      AND q.deleted_at IS NULL\n"
         "    ORDER BY q.quote_version DESC LIMIT 1;\n";
}

std::string trigger(const std::string& name, const std::string& when, const std::string& body) {
  return "CREATE TRIGGER " + name + " " + when + " BEGIN\n" + body + "END;\n";
}

// A table with one index entry per live row.
struct RowSource {
  std::string kind, table, columns;         // columns whose update re-indexes
  std::string number, title, body;          // expressions over NEW
};

std::string row_triggers(const RowSource& r) {
  const std::string entry =
      "  INSERT INTO search (rowid, kind, id, tenant, number, title, body)\n"
      "    SELECT key, '" + r.kind + "', NEW.id, NEW.tenant, " + r.number + ", " + r.title + ", " +
      r.body + "\n    FROM search_keys WHERE kind = '" + r.kind +
      "' AND tenant = NEW.tenant AND id = NEW.id\n      AND NEW.deleted_at IS NULL;\n";
  return trigger(r.table + "_search_insert", "AFTER INSERT ON " + r.table,
                 add_key(r.kind, "NEW.id") + entry) +
         trigger(r.table + "_search_update", "AFTER UPDATE OF " + r.columns + " ON " + r.table,
                 add_key(r.kind, "NEW.id") + drop_entries(r.kind, "OLD.tenant", "OLD.id, NEW.id") +
                     entry) +
         trigger(r.table + "_search_delete", "AFTER DELETE ON " + r.table,
                 drop_entries(r.kind, "OLD.tenant", "OLD.id"));
}

std::string build_search_triggers() {
  const std::string number = "CAST(NEW.quote_number AS TEXT)";
  std::string sql =
      "-- Quotes: one entry per quote number, from its latest live version.\n" +
      trigger("cpq_quotes_search_insert", "AFTER INSERT ON cpq_quotes",
              add_key("quote", number) + drop_entries("quote", "NEW.tenant", number) +
                  index_quote("NEW.tenant", "NEW.quote_number")) +
      trigger("cpq_quotes_search_update",
              "AFTER UPDATE OF quote_number, quote_version, name, account_name, deleted_at ON "
              "cpq_quotes",
              add_key("quote", number) +
                  drop_entries("quote", "NEW.tenant",
                               "CAST(OLD.quote_number AS TEXT), " + number) +
                  index_quote("NEW.tenant", "NEW.quote_number") +
                  index_quote("NEW.tenant", "OLD.quote_number",
                              "OLD.quote_number <> NEW.quote_number AND ")) +
      trigger("cpq_quotes_search_delete", "AFTER DELETE ON cpq_quotes",
              drop_entries("quote", "OLD.tenant", "CAST(OLD.quote_number AS TEXT)") +
                  index_quote("OLD.tenant", "OLD.quote_number"));
  sql += "-- Opportunities: name and company.\n" +
         row_triggers({"opportunity", "cpq_opportunities", "id, name, client_name, deleted_at",
                       "NULL", "NEW.name", "NEW.client_name"});
  sql += "-- Tickets: number, summary, company and contact.\n" +
         row_triggers({"ticket", "psa_tickets", "id, number, summary, company, contact, deleted_at",
                       "NEW.number", "NEW.summary",
                       "trim(COALESCE(NEW.company, '') || ' ' || COALESCE(NEW.contact, ''))"});
  return sql + kSearchBackfill;
}

}  // namespace

const char* search_triggers() {
  static const std::string sql = build_search_triggers();
  return sql.c_str();
}


}  // namespace cwsync::storage::detail
