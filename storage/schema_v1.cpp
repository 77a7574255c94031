// Migration 1, tables and triggers. FROZEN once released: change the schema
// with a new migration, never by editing this text. docs/schema.md explains
// every column.
#include "storage/schema_sql.h"

namespace cwsync::storage::detail {

const char* const kSchemaV1Tables = R"SQL(
CREATE TABLE settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  description TEXT
);
INSERT INTO settings (key, value, description) VALUES
  ('at_risk_days', '45',
   'cpq_at_risk lists open items whose age_days is greater than this'),
  ('pipeline_window_days', '30',
   'cpq_pipeline and cpq_recent_wins count won/lost items closed within this many days');

CREATE TABLE cpq_quotes (
  tenant              TEXT NOT NULL,
  id                  TEXT NOT NULL CHECK (id <> ''),
  quote_number        INTEGER NOT NULL,
  quote_version       INTEGER NOT NULL DEFAULT 1,
  name                TEXT,
  quote_status        TEXT,
  quote_type          TEXT,
  account_name        TEXT,
  customer_id         TEXT,
  is_accepted         INTEGER NOT NULL DEFAULT 0 CHECK (is_accepted IN (0, 1)),
  is_sent             INTEGER NOT NULL DEFAULT 0 CHECK (is_sent IN (0, 1)),
  is_archive          INTEGER NOT NULL DEFAULT 0 CHECK (is_archive IN (0, 1)),
  is_lost             INTEGER NOT NULL DEFAULT 0 CHECK (is_lost IN (0, 1)),
  lost_reason         TEXT,
  won_or_lost_date    TEXT,
  quote_total         REAL,
  subtotal            REAL,
  tax                 REAL,
  gross_margin        REAL,
  probability         REAL,
  create_date         TEXT,
  modify_date         TEXT,
  expiration_date     TEXT,
  expected_close_date TEXT,
  crm_opportunity_id  TEXT,
  primary_rep         TEXT,
  inside_rep          TEXT,
  raw_json            TEXT NOT NULL,
  synced_at           TEXT NOT NULL,
  deleted_at          TEXT,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX cpq_quotes_by_number ON cpq_quotes (tenant, quote_number, quote_version);
CREATE INDEX cpq_quotes_by_opportunity ON cpq_quotes (tenant, crm_opportunity_id);
CREATE INDEX cpq_quotes_by_modified ON cpq_quotes (tenant, modify_date, id);

CREATE TABLE cpq_quote_items (
  tenant                   TEXT NOT NULL,
  id                       TEXT NOT NULL CHECK (id <> ''),
  quote_id                 TEXT NOT NULL CHECK (quote_id <> ''),
  tab_id                   TEXT,
  item_number              TEXT,
  sort_order               INTEGER,
  short_description        TEXT,
  long_description         TEXT,
  manufacturer_part_number TEXT,
  product_type             TEXT,
  product_class            TEXT,
  quantity                 REAL,
  price                    REAL,
  cost                     REAL,
  extended_price           REAL,
  extended_cost            REAL,
  gross_margin             REAL,
  recurring_amount         REAL,
  is_optional              INTEGER CHECK (is_optional IN (0, 1)),
  is_selected              INTEGER CHECK (is_selected IN (0, 1)),
  is_printed               INTEGER CHECK (is_printed IN (0, 1)),
  is_taxable               INTEGER CHECK (is_taxable IN (0, 1)),
  modify_date              TEXT,
  raw_json                 TEXT NOT NULL,
  synced_at                TEXT NOT NULL,
  deleted_at               TEXT,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX cpq_quote_items_by_quote ON cpq_quote_items (tenant, quote_id, sort_order);

CREATE TABLE cpq_opportunities (
  tenant              TEXT NOT NULL,
  id                  TEXT NOT NULL CHECK (id <> ''),
  source              TEXT NOT NULL CHECK (source IN ('psa', 'quotes')),
  name                TEXT,
  client_name         TEXT,
  status              TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  status_name         TEXT,
  stage_name          TEXT,
  probability         REAL,
  value               REAL,
  expected_close_date TEXT,
  closed_date         TEXT,
  date_entered        TEXT,
  last_updated        TEXT,
  raw_json            TEXT NOT NULL,
  synced_at           TEXT NOT NULL,
  deleted_at          TEXT,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX cpq_opportunities_by_status ON cpq_opportunities (tenant, status);

CREATE TABLE sync_state (
  tenant              TEXT NOT NULL,
  entity              TEXT NOT NULL CHECK (entity IN ('quotes', 'quote_items', 'opportunities')),
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

CREATE TABLE sync_meta (
  tenant     TEXT NOT NULL,
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL CHECK (json_valid(value_json)),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant, key)
);

CREATE TABLE sync_runs (
  id          INTEGER PRIMARY KEY,
  tenant      TEXT NOT NULL,
  entity      TEXT NOT NULL CHECK (entity IN ('quotes', 'quote_items', 'opportunities')),
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
CREATE INDEX sync_runs_by_entity ON sync_runs (tenant, entity, id);

-- The PSA post queue. Other programs INSERT (tenant, kind, ticket_id, payload);
-- every other column has a default. AUTOINCREMENT: ids are never reused, so
-- activity rows of purged posts never point at a newer post.
CREATE TABLE psa_posts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant           TEXT NOT NULL,
  provider         TEXT NOT NULL DEFAULT 'connectwise',
  kind             TEXT NOT NULL CHECK (kind IN ('note', 'status', 'time_entry')),
  ticket_id        INTEGER NOT NULL,
  payload          TEXT NOT NULL,
  idempotency_key  TEXT NOT NULL UNIQUE DEFAULT (
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
    substr(lower(hex(randomblob(2))), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' ||
    lower(hex(randomblob(6)))),
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'in_flight', 'succeeded', 'dead')),
  retry_count      INTEGER NOT NULL DEFAULT 0,
  next_retry_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  last_error       TEXT,
  last_http_status INTEGER,
  remote_id        TEXT,
  lease_until      TEXT,
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX psa_posts_open_by_ticket ON psa_posts (tenant, ticket_id, id)
  WHERE status IN ('pending', 'in_flight');
CREATE INDEX psa_posts_by_status ON psa_posts (status, next_retry_at);
CREATE INDEX psa_posts_by_ticket ON psa_posts (ticket_id, id);

-- Append-only. No foreign key to psa_posts: purging a delivered post keeps
-- its history (the 'purged' row is the last one).
CREATE TABLE psa_activity_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  post_id     INTEGER NOT NULL,
  tenant      TEXT NOT NULL,
  ticket_id   INTEGER,
  event       TEXT NOT NULL CHECK (event IN ('enqueued', 'claimed', 'attempt', 'succeeded',
                'failed', 'retry_scheduled', 'dead_lettered', 'requeued', 'deduplicated',
                'purged')),
  attempt     INTEGER,
  http_status INTEGER,
  duration_ms INTEGER,
  message     TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX psa_activity_log_by_post ON psa_activity_log (post_id, id);
CREATE INDEX psa_activity_log_by_ticket ON psa_activity_log (tenant, ticket_id, id);

-- Every post gets its 'enqueued' row, however it was inserted.
CREATE TRIGGER psa_posts_log_enqueued AFTER INSERT ON psa_posts
BEGIN
  INSERT INTO psa_activity_log (post_id, tenant, ticket_id, event, message, at)
  VALUES (NEW.id, NEW.tenant, NEW.ticket_id, 'enqueued', NEW.kind, NEW.created_at);
END;

CREATE TRIGGER psa_activity_log_no_update BEFORE UPDATE ON psa_activity_log
BEGIN
  SELECT RAISE(ABORT, 'psa_activity_log is append-only');
END;
CREATE TRIGGER psa_activity_log_no_delete BEFORE DELETE ON psa_activity_log
BEGIN
  SELECT RAISE(ABORT, 'psa_activity_log is append-only');
END;
)SQL";

}  // namespace cwsync::storage::detail
