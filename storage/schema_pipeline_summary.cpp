// Migration 5: the dashboard views answer from maintained summaries instead
// of aggregating the cache tables on every read (docs/schema.md, "How the
// views stay fast"). Their columns, types and meaning do not change.
//
// - cpq_pipeline_values: one narrow row per live pipeline item with its
//   effective value (source psa: the sum of the linked latest quote totals)
//   and its bucket `day` ('' open, the closed day, '-' closed without date).
// - cpq_pipeline_daily: count and value per (tenant, status, day) bucket.
// Triggers on cpq_opportunities and cpq_quotes keep both exact in the same
// transaction as the write that changes them (a page, a reconcile, a hand
// edit), so a reader never sees a summary that disagrees with the rows.
// cpq_pipeline sums whole buckets after the window's first day and checks
// that day's rows one by one, which keeps its result identical to v1's.
#include <string>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// The pipeline item rows of the live opportunities matching `where`, as
// cpq_pipeline_items (v1) computes them (minus age_days), plus the bucket.
// The value expression restates v1's on purpose: released migrations are
// frozen, and tests/storage/view_summary_test.cpp checks the two agree.
std::string item_select(const std::string& where) {
  return R"SQL(
  SELECT o.tenant, o.id, o.source, o.name, o.client_name, o.status, o.status_name, o.stage_name,
         o.probability,
         CASE o.source
           WHEN 'psa' THEN COALESCE((SELECT SUM(l.quote_total) FROM cpq_quote_latest l
                                     WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id), 0.0)
           ELSE COALESCE(o.value, 0.0)
         END,
         o.expected_close_date, o.closed_date, o.date_entered, o.last_updated,
         CASE WHEN o.status = 'open' THEN ''
              WHEN o.closed_date IS NULL THEN '-'
              ELSE substr(o.closed_date, 1, 10) END
  FROM cpq_opportunities o WHERE o.deleted_at IS NULL AND )SQL" + where;
}

// Statements that take item (`tenant`, `id`) out of the summaries, and that
// put its current state in. Scalar lookups by primary key only: a row-value
// IN or an UPDATE ... FROM makes SQLite build a temporary b-tree on every
// firing (measured: 10x the write cost of the row itself).
std::string remove_item(const std::string& tenant, const std::string& id) {
  const std::string mine = "tenant = " + tenant + " AND id = " + id;
  auto col = [&](const char* c) {
    return std::string("(SELECT v.") + c + " FROM cpq_pipeline_values v WHERE v.tenant = " +
           tenant + " AND v.id = " + id + ")";
  };
  const std::string bucket = "tenant = " + tenant + " AND status = " + col("status") +
                             " AND day = " + col("day");
  return R"SQL(
  UPDATE cpq_pipeline_daily SET n = n - 1, value = value - )SQL" + col("value") + R"SQL(
  WHERE )SQL" + bucket + R"SQL(;
  DELETE FROM cpq_pipeline_daily WHERE )SQL" + bucket + R"SQL( AND n <= 0;
  DELETE FROM cpq_pipeline_values WHERE )SQL" + mine + R"SQL(;
)SQL";
}

std::string add_item(const std::string& tenant, const std::string& id) {
  return R"SQL(
  INSERT INTO cpq_pipeline_values )SQL" +
         item_select("o.tenant = " + tenant + " AND o.id = " + id) + R"SQL(;
  INSERT INTO cpq_pipeline_daily (tenant, status, day, n, value)
  SELECT tenant, status, day, 1, value FROM cpq_pipeline_values
  WHERE tenant = )SQL" + tenant + " AND id = " + id + R"SQL(
  ON CONFLICT (tenant, status, day) DO UPDATE SET n = n + 1, value = value + excluded.value;
)SQL";
}

std::string refresh(const std::string& tenant, const std::string& id) {
  return remove_item(tenant, id) + add_item(tenant, id);
}

// A quote change can revalue the PSA opportunities linked by any version of
// its number (a new version takes the latest slot from a version linked to
// another opportunity). The quote triggers touch those opportunities, whose
// own update trigger then refreshes them one by one.
std::string linked(const char* row) {
  return std::string("SELECT q.crm_opportunity_id FROM cpq_quotes q WHERE q.tenant = ") + row +
         ".tenant AND q.quote_number = " + row + ".quote_number AND q.crm_opportunity_id IS NOT NULL";
}
std::string psa_in(const std::string& ids, const char* row) {
  return std::string("tenant = ") + row + ".tenant AND source = 'psa' AND id IN (" + ids + ")";
}
std::string any_psa(const char* row) {
  return std::string("EXISTS (SELECT 1 FROM cpq_quotes q JOIN cpq_opportunities o ON o.tenant = ") +
         "q.tenant AND o.id = q.crm_opportunity_id WHERE q.tenant = " + row +
         ".tenant AND q.quote_number = " + row + ".quote_number AND o.source = 'psa')";
}
std::string touch(const std::string& ids, const char* row) {
  return " UPDATE cpq_opportunities SET source = source WHERE " + psa_in(ids, row) + "; ";
}

std::string build_pipeline_summary_sql() {
  std::string sql = R"SQL(
CREATE INDEX cpq_quotes_live_by_number ON cpq_quotes (tenant, quote_number, quote_version)
  WHERE deleted_at IS NULL;
CREATE INDEX psa_activity_log_by_post_event ON psa_activity_log (post_id, event, at);

CREATE TABLE cpq_pipeline_values (
  tenant TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, name TEXT, client_name TEXT,
  status TEXT NOT NULL, status_name TEXT, stage_name TEXT, probability REAL, value REAL NOT NULL,
  expected_close_date TEXT, closed_date TEXT, date_entered TEXT, last_updated TEXT,
  day TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX cpq_pipeline_values_by_day ON cpq_pipeline_values (day);
CREATE TABLE cpq_pipeline_daily (
  tenant TEXT NOT NULL, status TEXT NOT NULL, day TEXT NOT NULL,
  n INTEGER NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (tenant, status, day)
) WITHOUT ROWID;

INSERT INTO cpq_pipeline_values )SQL" + item_select("1") + R"SQL(;
INSERT INTO cpq_pipeline_daily (tenant, status, day, n, value)
SELECT tenant, status, day, COUNT(*), TOTAL(value) FROM cpq_pipeline_values
GROUP BY tenant, status, day;
)SQL";
  // A new row has no summary row yet: the triggers keep them in step.
  sql += "CREATE TRIGGER cpq_pipeline_on_insert AFTER INSERT ON cpq_opportunities BEGIN" +
         add_item("NEW.tenant", "NEW.id") + "END;\n";
  // A re-read of an unchanged row (every sync cycle re-reads its overlap)
  // leaves the summaries alone; a PSA item is refreshed on every update, as
  // the quote triggers revalue it by touching it.
  sql += "CREATE TRIGGER cpq_pipeline_on_update AFTER UPDATE ON cpq_opportunities WHEN "
         "NEW.source = 'psa' OR OLD.source IS NOT NEW.source OR OLD.status IS NOT NEW.status "
         "OR OLD.value IS NOT NEW.value OR OLD.closed_date IS NOT NEW.closed_date "
         "OR OLD.deleted_at IS NOT NEW.deleted_at OR OLD.name IS NOT NEW.name "
         "OR OLD.client_name IS NOT NEW.client_name OR OLD.status_name IS NOT NEW.status_name "
         "OR OLD.stage_name IS NOT NEW.stage_name OR OLD.probability IS NOT NEW.probability "
         "OR OLD.expected_close_date IS NOT NEW.expected_close_date "
         "OR OLD.date_entered IS NOT NEW.date_entered OR OLD.last_updated IS NOT NEW.last_updated "
         "BEGIN" +
         refresh("NEW.tenant", "NEW.id") + "END;\n";
  sql += "CREATE TRIGGER cpq_pipeline_on_rekey AFTER UPDATE OF tenant, id ON cpq_opportunities "
         "WHEN OLD.tenant IS NOT NEW.tenant OR OLD.id IS NOT NEW.id BEGIN" +
         refresh("OLD.tenant", "OLD.id") + "END;\n";
  sql += "CREATE TRIGGER cpq_pipeline_on_delete AFTER DELETE ON cpq_opportunities BEGIN" +
         remove_item("OLD.tenant", "OLD.id") + "END;\n";
  const std::string new_ids = linked("NEW");
  const std::string old_ids = linked("OLD") + " UNION SELECT OLD.crm_opportunity_id";
  const std::string old_psa =
      "EXISTS (SELECT 1 FROM cpq_opportunities o WHERE o.tenant = OLD.tenant AND "
      "o.id = OLD.crm_opportunity_id AND o.source = 'psa')";
  sql += "CREATE TRIGGER cpq_pipeline_on_quote_insert AFTER INSERT ON cpq_quotes WHEN " +
         any_psa("NEW") + " BEGIN" + touch(new_ids, "NEW") + "END;\n";
  sql += "CREATE TRIGGER cpq_pipeline_on_quote_update AFTER UPDATE ON cpq_quotes WHEN " +
         any_psa("NEW") + " OR " + any_psa("OLD") + " OR " + old_psa + " BEGIN" +
         touch(old_ids, "OLD") + touch(new_ids, "NEW") + "END;\n";
  sql += "CREATE TRIGGER cpq_pipeline_on_quote_delete AFTER DELETE ON cpq_quotes WHEN " +
         any_psa("OLD") + " OR " + old_psa + " BEGIN" + touch(old_ids, "OLD") + "END;\n";
  sql += R"SQL(
-- Same rows as v1. A table scan (the unary + keeps the planner off the
-- partial index, whose random row fetches cost 2x on a full listing) with
-- one index probe per row for a newer live version.
DROP VIEW cpq_quote_latest;
CREATE VIEW cpq_quote_latest AS
SELECT q.*
FROM cpq_quotes q
WHERE +q.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM cpq_quotes q2
                  WHERE q2.tenant = q.tenant AND q2.quote_number = q.quote_number
                    AND q2.deleted_at IS NULL AND q2.quote_version > q.quote_version);

DROP VIEW cpq_pipeline_items;
CREATE VIEW cpq_pipeline_items AS
SELECT tenant, id, source, name, client_name, status, status_name, stage_name, probability,
       value, expected_close_date, closed_date, date_entered, last_updated,
       CASE WHEN status = 'open' AND date_entered IS NOT NULL
            THEN CAST(julianday('now') - julianday(date_entered) AS INTEGER)
       END AS age_days
FROM cpq_pipeline_values;

DROP VIEW cpq_pipeline;
CREATE VIEW cpq_pipeline AS
WITH w AS (
  SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings
                   WHERE key = 'pipeline_window_days'), 30) AS window_days
),
b AS (
  SELECT julianday('now') - w.window_days AS since,
         date(julianday('now') - w.window_days) AS since_day FROM w
),
counted AS (
  SELECT d.tenant, d.status, d.n, d.value FROM cpq_pipeline_daily d, b
  WHERE d.status = 'open' OR (d.day <> '-' AND d.day > b.since_day)
  UNION ALL
  SELECT v.tenant, v.status, 1, v.value FROM cpq_pipeline_values v, b
  WHERE v.status IN ('won', 'lost') AND v.day = b.since_day
    AND julianday(v.closed_date) >= b.since
)
SELECT t.tenant AS tenant,
       w.window_days AS window_days,
       COALESCE(SUM(c.n), 0) AS total_count,
       TOTAL(c.value) AS total_value,
       COALESCE(SUM(CASE WHEN c.status = 'open' THEN c.n END), 0) AS open_count,
       TOTAL(CASE WHEN c.status = 'open' THEN c.value END) AS open_value,
       COALESCE(SUM(CASE WHEN c.status = 'won' THEN c.n END), 0) AS won_count,
       TOTAL(CASE WHEN c.status = 'won' THEN c.value END) AS won_value,
       COALESCE(SUM(CASE WHEN c.status = 'lost' THEN c.n END), 0) AS lost_count,
       TOTAL(CASE WHEN c.status = 'lost' THEN c.value END) AS lost_value,
       CASE WHEN COALESCE(SUM(CASE WHEN c.status IN ('won', 'lost') THEN c.n END), 0) = 0 THEN NULL
            ELSE CAST(SUM(CASE WHEN c.status = 'won' THEN c.n ELSE 0 END) AS REAL)
                 / SUM(CASE WHEN c.status IN ('won', 'lost') THEN c.n END)
       END AS win_rate
FROM (SELECT DISTINCT tenant FROM cpq_pipeline_daily) t
CROSS JOIN w
LEFT JOIN counted c ON c.tenant = t.tenant
GROUP BY t.tenant, w.window_days;
)SQL";
  return sql;
}

}  // namespace

const char* schema_pipeline_summary() {
  static const std::string sql = build_pipeline_summary_sql();
  return sql.c_str();
}

}  // namespace cwsync::storage::detail
