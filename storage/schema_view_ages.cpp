// Migration 7: the example queries of the backlog, recent-wins and
// stage-breakdown views answer from indexes on the summary table
// cpq_pipeline_values (docs/schema.md, "How the views stay fast"). The views'
// columns, order and meaning do not change; tests/storage/view_ages_test.cpp
// compares them with the version-5 definitions on a randomized cache.
//
// Why not an index that *orders* the backlog by age: `age_days` depends on
// the clock, so no index can hold it, and the SQLite we link (3.40) cannot
// use an index on date_entered for `ORDER BY age_days` (it only matches index
// columns and expressions). What the indexes do instead:
//
// - cpq_pipeline_values_open: the open items only, in primary-key order, with
//   every cpq_backlog column (with fewer, SQLite still picks it for
//   cpq_backlog and cpq_at_risk and then looks up each row in the table:
//   measured 15-25 % slower than reading the table as version 5 did).
//   A tenant's backlog is a range of it, read without touching the table, and
//   it keeps the version-5 scan order (ties in `age_days` stay in (tenant, id)
//   order, so `ORDER BY age_days DESC LIMIT 20` picks the same rows as
//   before). It holds the julian day of date_entered, which
//   cpq_pipeline_items reads instead of parsing the date of every row.
// - cpq_pipeline_values_won_by_close: won items by (tenant, julian day of
//   closed_date), with every cpq_recent_wins column: a tenant's window is a
//   range, and listing all tenants reads only this index. (Led by the day,
//   SQLite without statistics prefers the primary key for one tenant.)
// - cpq_pipeline_values_by_stage: (tenant, status, stage_name, value) for
//   breakdowns of cpq_pipeline_items by stage, grouped in index order.
// Every index is paid for on each sync write that changes an item.
#include <string>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// julianday(col) for an index. julianday('now') reads the clock, which SQLite
// refuses inside an index (the write of such a row would fail), so a value
// starting with "now" (any case, what julianday would take for the clock)
// gets `guard` instead; the views compute those rows from the text as v1 did.
// `> '9'` first: a date or a julian day number sorts below it, so the usual
// row skips lower() and substr() (each copies the text).
std::string indexed_day(const std::string& col, const char* guard) {
  return "(CASE WHEN " + col + " > '9' AND lower(substr(" + col + ", 1, 3)) = 'now' THEN " +
         guard + " ELSE julianday(" + col + ") END)";
}

// NULL for the clock: the views fall back to julianday(date_entered) for it.
std::string entered_day(const std::string& col) { return indexed_day(col, "NULL"); }
// +infinity for the clock: always inside a "closed since" range, which the
// views then check exactly.
std::string closed_day(const std::string& col) { return indexed_day(col, "1e999"); }

std::string build_view_ages_sql() {
  return R"SQL(
CREATE INDEX cpq_pipeline_values_open ON cpq_pipeline_values (
  tenant, id, )SQL" + entered_day("date_entered") + R"SQL(, source, name, client_name, value,
  status_name, stage_name, probability, expected_close_date, date_entered, status)
  WHERE status = 'open';
CREATE INDEX cpq_pipeline_values_won_by_close ON cpq_pipeline_values (
  tenant, )SQL" + closed_day("closed_date") + R"SQL(, source, name, client_name, value, closed_date,
  stage_name, date_entered, status)
  WHERE status = 'won';
CREATE INDEX cpq_pipeline_values_by_stage ON cpq_pipeline_values (tenant, status, stage_name, value);

-- Same rows as version 5. age_days takes the julian day from
-- cpq_pipeline_values_open (SQLite reads an indexed expression from the index
-- when it scans it) and parses the text only where the index holds NULL.
DROP VIEW cpq_pipeline_items;
CREATE VIEW cpq_pipeline_items AS
SELECT tenant, id, source, name, client_name, status, status_name, stage_name, probability,
       value, expected_close_date, closed_date, date_entered, last_updated,
       CASE WHEN status = 'open' AND date_entered IS NOT NULL
            THEN CAST(julianday('now') - COALESCE()SQL" + entered_day("date_entered") + R"SQL(,
                                                  julianday(date_entered)) AS INTEGER)
       END AS age_days
FROM cpq_pipeline_values;

-- Same rows and order as v1. The first closed_date condition is implied by
-- the exact one that follows it (the index value equals julianday() except
-- for the clock, where it is +infinity) and makes the window an index range.
DROP VIEW cpq_recent_wins;
CREATE VIEW cpq_recent_wins AS
SELECT i.tenant, i.id, i.source, i.name, i.client_name, i.value, i.closed_date,
       CAST(julianday('now') - julianday(i.closed_date) AS INTEGER) AS days_since_close,
       i.stage_name AS stage, i.date_entered, w.window_days
FROM (SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings
                       WHERE key = 'pipeline_window_days'), 30) AS window_days) w,
     cpq_pipeline_values i
WHERE i.status = 'won'
  AND )SQL" + closed_day("i.closed_date") + R"SQL( >= julianday('now') - w.window_days
  AND i.closed_date IS NOT NULL
  AND julianday(i.closed_date) >= julianday('now') - w.window_days
ORDER BY julianday(i.closed_date) DESC, i.tenant, i.id;
)SQL";
}

}  // namespace

const char* schema_view_ages() {
  static const std::string sql = build_view_ages_sql();
  return sql.c_str();
}

}  // namespace cwsync::storage::detail
