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

// The triggers and the backfill of rows cached before this version.
const char* const kSearchTriggers = R"SQL(
-- Quotes: one entry per quote number, from its latest live version.
CREATE TRIGGER cpq_quotes_search_insert AFTER INSERT ON cpq_quotes BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'quote', NEW.tenant, CAST(NEW.quote_number AS TEXT)
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'quote' AND tenant = NEW.tenant
                      AND id = CAST(NEW.quote_number AS TEXT));
  DELETE FROM search WHERE rowid = (SELECT key FROM search_keys WHERE kind = 'quote'
    AND tenant = NEW.tenant AND id = CAST(NEW.quote_number AS TEXT));
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name
    FROM search_keys k JOIN cpq_quotes q ON q.tenant = k.tenant AND q.quote_number = CAST(k.id AS INTEGER)
    WHERE k.kind = 'quote' AND k.tenant = NEW.tenant AND k.id = CAST(NEW.quote_number AS TEXT)
      AND q.deleted_at IS NULL
    ORDER BY q.quote_version DESC LIMIT 1;
END;
CREATE TRIGGER cpq_quotes_search_update
AFTER UPDATE OF quote_number, quote_version, name, account_name, deleted_at ON cpq_quotes BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'quote', NEW.tenant, CAST(NEW.quote_number AS TEXT)
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'quote' AND tenant = NEW.tenant
                      AND id = CAST(NEW.quote_number AS TEXT));
  DELETE FROM search WHERE rowid IN (SELECT key FROM search_keys WHERE kind = 'quote'
    AND tenant = NEW.tenant AND id IN (CAST(OLD.quote_number AS TEXT), CAST(NEW.quote_number AS TEXT)));
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name
    FROM search_keys k JOIN cpq_quotes q ON q.tenant = k.tenant AND q.quote_number = CAST(k.id AS INTEGER)
    WHERE k.kind = 'quote' AND k.tenant = NEW.tenant AND k.id = CAST(NEW.quote_number AS TEXT)
      AND q.deleted_at IS NULL
    ORDER BY q.quote_version DESC LIMIT 1;
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name
    FROM search_keys k JOIN cpq_quotes q ON q.tenant = k.tenant AND q.quote_number = CAST(k.id AS INTEGER)
    WHERE OLD.quote_number <> NEW.quote_number
      AND k.kind = 'quote' AND k.tenant = NEW.tenant AND k.id = CAST(OLD.quote_number AS TEXT)
      AND q.deleted_at IS NULL
    ORDER BY q.quote_version DESC LIMIT 1;
END;
CREATE TRIGGER cpq_quotes_search_delete AFTER DELETE ON cpq_quotes BEGIN
  DELETE FROM search WHERE rowid = (SELECT key FROM search_keys WHERE kind = 'quote'
    AND tenant = OLD.tenant AND id = CAST(OLD.quote_number AS TEXT));
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT k.key, 'quote', k.id, q.tenant, k.id, q.name, q.account_name
    FROM search_keys k JOIN cpq_quotes q ON q.tenant = k.tenant AND q.quote_number = CAST(k.id AS INTEGER)
    WHERE k.kind = 'quote' AND k.tenant = OLD.tenant AND k.id = CAST(OLD.quote_number AS TEXT)
      AND q.deleted_at IS NULL
    ORDER BY q.quote_version DESC LIMIT 1;
END;

-- Opportunities: name and company.
CREATE TRIGGER cpq_opportunities_search_insert AFTER INSERT ON cpq_opportunities BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'opportunity', NEW.tenant, NEW.id
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'opportunity' AND tenant = NEW.tenant
                      AND id = NEW.id);
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT key, 'opportunity', NEW.id, NEW.tenant, NULL, NEW.name, NEW.client_name
    FROM search_keys WHERE kind = 'opportunity' AND tenant = NEW.tenant AND id = NEW.id
      AND NEW.deleted_at IS NULL;
END;
CREATE TRIGGER cpq_opportunities_search_update
AFTER UPDATE OF id, name, client_name, deleted_at ON cpq_opportunities BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'opportunity', NEW.tenant, NEW.id
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'opportunity' AND tenant = NEW.tenant
                      AND id = NEW.id);
  DELETE FROM search WHERE rowid IN (SELECT key FROM search_keys WHERE kind = 'opportunity'
    AND tenant = OLD.tenant AND id IN (OLD.id, NEW.id));
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT key, 'opportunity', NEW.id, NEW.tenant, NULL, NEW.name, NEW.client_name
    FROM search_keys WHERE kind = 'opportunity' AND tenant = NEW.tenant AND id = NEW.id
      AND NEW.deleted_at IS NULL;
END;
CREATE TRIGGER cpq_opportunities_search_delete AFTER DELETE ON cpq_opportunities BEGIN
  DELETE FROM search WHERE rowid = (SELECT key FROM search_keys WHERE kind = 'opportunity'
    AND tenant = OLD.tenant AND id = OLD.id);
END;

-- Tickets: number, summary, company and contact.
CREATE TRIGGER psa_tickets_search_insert AFTER INSERT ON psa_tickets BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'ticket', NEW.tenant, NEW.id
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'ticket' AND tenant = NEW.tenant
                      AND id = NEW.id);
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT key, 'ticket', NEW.id, NEW.tenant, NEW.number, NEW.summary,
           trim(COALESCE(NEW.company, '') || ' ' || COALESCE(NEW.contact, ''))
    FROM search_keys WHERE kind = 'ticket' AND tenant = NEW.tenant AND id = NEW.id
      AND NEW.deleted_at IS NULL;
END;
CREATE TRIGGER psa_tickets_search_update
AFTER UPDATE OF id, number, summary, company, contact, deleted_at ON psa_tickets BEGIN
  INSERT INTO search_keys (kind, tenant, id) SELECT 'ticket', NEW.tenant, NEW.id
    WHERE NOT EXISTS (SELECT 1 FROM search_keys WHERE kind = 'ticket' AND tenant = NEW.tenant
                      AND id = NEW.id);
  DELETE FROM search WHERE rowid IN (SELECT key FROM search_keys WHERE kind = 'ticket'
    AND tenant = OLD.tenant AND id IN (OLD.id, NEW.id));
  INSERT INTO search (rowid, kind, id, tenant, number, title, body)
    SELECT key, 'ticket', NEW.id, NEW.tenant, NEW.number, NEW.summary,
           trim(COALESCE(NEW.company, '') || ' ' || COALESCE(NEW.contact, ''))
    FROM search_keys WHERE kind = 'ticket' AND tenant = NEW.tenant AND id = NEW.id
      AND NEW.deleted_at IS NULL;
END;
CREATE TRIGGER psa_tickets_search_delete AFTER DELETE ON psa_tickets BEGIN
  DELETE FROM search WHERE rowid = (SELECT key FROM search_keys WHERE kind = 'ticket'
    AND tenant = OLD.tenant AND id = OLD.id);
END;

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

}  // namespace cwsync::storage::detail
