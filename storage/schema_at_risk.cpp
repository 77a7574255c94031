// Migration 8: the at-risk count per tenant and the backlog's top 20 answer
// in a few milliseconds at 100,000 quotes (docs/schema.md, "How the views
// stay fast"). Existing views keep their columns, rows and order; the tests
// in tests/storage/view_at_risk_test.cpp compare them with the version-7
// definitions on a randomized cache.
//
// Why a new view for the at-risk count: cpq_at_risk is ordered (its
// `SELECT *` order is part of the contract), and the SQLite we link (3.40)
// keeps a view's ORDER BY under an outer aggregate: `SELECT tenant, COUNT(*),
// SUM(value) FROM cpq_at_risk GROUP BY tenant` sorts every at-risk item by
// age before it counts them (about 50 ms at 100,000 quotes). No redefinition
// of cpq_at_risk can avoid that sort, so the per-tenant totals get their own
// unordered view, cpq_at_risk_totals, which counts a range of an index:
//
// - cpq_pipeline_values_open_by_day: the open items by (tenant, julian day of
//   date_entered), with value, date_entered and status so the count reads no
//   table row (SQLite 3.40 wants every column an indexed expression uses).
//   Its day is the expression of cpq_pipeline_values_open (migration 7),
//   restated here because released migrations are frozen.
//
// Why the range is exactly cpq_at_risk. With N = julianday('now'), E the
// indexed day and T = at_risk_days, cpq_at_risk lists an open item when
// CAST(N - COALESCE(E, julianday(date_entered)) AS INTEGER) > T. For
// 0 <= T <= 300000 that is `E <= N - (T + 1)`:
// - E is NULL only for a NULL or unparseable date (age NULL) or a value
//   starting with "now" (age 0 if it is "now" in any case, else NULL):
//   never more than T.
// - CAST truncates toward zero, so for T + 1 >= 1, age > T <=> N - E >= T + 1.
// - julianday() is below 5373484.5 (the end of the year 9999, its last date
//   or julian day number); N, for any clock between the years 1852 and 6770,
//   lies in (2397153, 2^22). If E >= 2^21 (the year 1029 on), N and E are
//   multiples of 2^-31 and |N - E| < 2^22, so N - E is computed exactly, and
//   so is N - (T + 1) (a multiple of 2^-31 in [2^21, 2^22)). Exact
//   arithmetic then gives the equivalence. If E < 2^21, both sides
//   hold: N - E > N - 2^21 > 300001 >= T + 1 (the subtraction rounds
//   monotonically) and E < 2^21 <= N - 300001 <= N - (T + 1).
// Any other T (negative, which takes in future dates and "now", or beyond
// 800 years) falls back to counting cpq_pipeline_items row by row, the
// unordered count the docs gave before: exact, a few times slower.
//
// Why cpq_backlog is redefined: it read age_days from cpq_pipeline_items as
// `CASE WHEN status = 'open' AND date_entered IS NOT NULL THEN CAST(...) END`.
// Its rows are all open, and for a NULL date_entered the indexed day and
// julianday() are NULL, so CAST(N - COALESCE(E, julianday(date_entered)) AS
// INTEGER) is NULL too: the same value without the CASE, which per row cost
// about a third of "the 20 oldest items of a tenant" (measured). It still
// reads cpq_pipeline_values_open in (tenant, id) order, so ties under a LIMIT
// come as before. cpq_at_risk reads cpq_backlog by name and follows.
// Every index is paid for on each sync write that changes an open item.
#include <string>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// The julian day of date_entered as cpq_pipeline_values_open holds it
// (migration 7, entered_day()): NULL for a value starting with "now", which
// an index may not evaluate. SQLite matches an indexed expression by its
// tree, so this must stay the same expression.
std::string at_risk_entered_day(const std::string& col) {
  return "(CASE WHEN " + col + " > '9' AND lower(substr(" + col + ", 1, 3)) = 'now' THEN NULL " +
         "ELSE julianday(" + col + ") END)";
}

// The threshold in force, as cpq_at_risk (v1) computes it.
// A scalar subquery, not a joined row as there: SQLite evaluates it once, and
// the scan of the tenants stays in tenant order (no sort for GROUP BY).
const char* const kThreshold =
    "COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'at_risk_days'), 45)";

std::string build_at_risk_sql() {
  const std::string day = at_risk_entered_day("date_entered");
  const std::string v_day = at_risk_entered_day("v.date_entered");
  const std::string threshold = kThreshold;
  return R"SQL(
CREATE INDEX cpq_pipeline_values_open_by_day ON cpq_pipeline_values (
  tenant, )SQL" + day + R"SQL(, value, date_entered, status)
  WHERE status = 'open';

-- Same rows and order as version 7 (see the header of schema_at_risk.cpp).
DROP VIEW cpq_backlog;
CREATE VIEW cpq_backlog AS
SELECT tenant, id, source, name, client_name, value, status, status_name,
       stage_name AS stage, probability, expected_close_date, date_entered,
       CAST(julianday('now') - COALESCE()SQL" + day + R"SQL(, julianday(date_entered)) AS INTEGER)
         AS age_days
FROM cpq_pipeline_values
WHERE status = 'open'
ORDER BY age_days DESC, tenant, id;

-- One row per tenant with at least one cpq_at_risk row: how many and their
-- total value. A tenant's count is one range of
-- cpq_pipeline_values_open_by_day; the tenants with open items are the
-- open buckets of cpq_pipeline_daily, scanned in tenant order (CROSS JOIN
-- keeps that loop outside, so GROUP BY needs no sort). The second part only
-- runs for a threshold outside 0..300000: its one-row `s` is empty
-- otherwise (a condition on the scalar subquery alone would be checked on
-- every row of the scan).
CREATE VIEW cpq_at_risk_totals AS
SELECT t.tenant AS tenant, COUNT(*) AS at_risk_count, SUM(v.value) AS at_risk_value,
       )SQL" + threshold + R"SQL( AS at_risk_days
FROM cpq_pipeline_daily t CROSS JOIN cpq_pipeline_values v
WHERE )SQL" + threshold + R"SQL( BETWEEN 0 AND 300000
  AND t.status = 'open' AND t.day = ''
  AND v.tenant = t.tenant AND v.status = 'open'
  AND )SQL" + v_day + R"SQL( <= julianday('now') - ()SQL" + threshold + R"SQL( + 1)
GROUP BY t.tenant
UNION ALL
SELECT i.tenant, COUNT(*), SUM(i.value), s.at_risk_days
FROM (SELECT )SQL" + threshold + R"SQL( AS at_risk_days) s CROSS JOIN cpq_pipeline_items i
WHERE s.at_risk_days NOT BETWEEN 0 AND 300000
  AND i.status = 'open' AND i.age_days > s.at_risk_days
GROUP BY i.tenant
ORDER BY tenant;
)SQL";
}

}  // namespace

const char* schema_at_risk() {
  static const std::string sql = build_at_risk_sql();
  return sql.c_str();
}

}  // namespace cwsync::storage::detail
