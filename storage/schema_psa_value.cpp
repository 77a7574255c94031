// Migration 9: two corrections to the pipeline items (docs/schema.md,
// cpq_opportunities), applied to the maintained summaries of migration 5 in
// the migration's one transaction.
//
// 1. The value of a source-psa item. It was the sum of the linked quotes'
//    latest totals, 0 when none, and the stored `value` was ignored. Autotask
//    opportunities store their `amount` there, so a tenant without CPQ quotes
//    saw a pipeline worth 0. Now: the sum of the latest totals when at least
//    one quote's latest live version links to the item, else the stored
//    value, else 0. ConnectWise PSA opportunities store NULL, so their value
//    does not change. The views read the value from cpq_pipeline_values; only
//    the triggers that fill it restate the expression, so they are re-created
//    with the new one, and both summaries are rebuilt from the tables.
// 2. A quote both accepted and lost: the contract (and cpq_clients) says
//    won, but the quote mapper said lost until this version. The source-
//    quotes items whose latest live quote version is accepted and lost, and
//    that are stored as lost, become won. closed_date stays: the mapper sets
//    it the same way for won and lost (wonOrLostDate, else modifyDate). This
//    runs after the rebuild, so the re-created update trigger moves each
//    item between the status buckets as any sync write would.
//
// The trigger statements restate migration 5's (schema_pipeline_summary.cpp)
// with only the value changed: released migrations are frozen.
// tests/storage/migration_v9_test.cpp checks the summaries and views against
// definitions computed from the tables, through the migration and after it.
#include <string>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// The linked latest totals' sum when a latest live version links to `o`
// (SUM is NULL when their totals all are; that is still "linked": 0), else
// NULL, so that COALESCE falls back to the stored value.
const char* const kPsaValue = R"SQL(
         CASE o.source
           WHEN 'psa' THEN COALESCE((SELECT CASE WHEN COUNT(*) > 0
                                                 THEN COALESCE(SUM(l.quote_total), 0.0) END
                                     FROM cpq_quote_latest l
                                     WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id),
                                    o.value, 0.0)
           ELSE COALESCE(o.value, 0.0)
         END,)SQL";

std::string item_select(const std::string& where) {
  return R"SQL(
  SELECT o.tenant, o.id, o.source, o.name, o.client_name, o.status, o.status_name, o.stage_name,
         o.probability,)SQL" +
         std::string(kPsaValue) + R"SQL(
         o.expected_close_date, o.closed_date, o.date_entered, o.last_updated,
         CASE WHEN o.status = 'open' THEN ''
              WHEN o.closed_date IS NULL THEN '-'
              ELSE substr(o.closed_date, 1, 10) END
  FROM cpq_opportunities o WHERE o.deleted_at IS NULL AND )SQL" + where;
}

// As migration 5: scalar lookups by primary key only (a row-value IN or an
// UPDATE ... FROM builds a temporary b-tree on every firing).
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

std::string build() {
  std::string sql = R"SQL(
DROP TRIGGER cpq_pipeline_on_insert;
DROP TRIGGER cpq_pipeline_on_update;
DROP TRIGGER cpq_pipeline_on_rekey;
)SQL";
  sql += "CREATE TRIGGER cpq_pipeline_on_insert AFTER INSERT ON cpq_opportunities BEGIN" +
         add_item("NEW.tenant", "NEW.id") + "END;\n";
  // A psa item is refreshed on every update: the quote triggers (migration 5,
  // unchanged) revalue it by touching it, and a change of its stored value
  // now matters too.
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
  sql += R"SQL(
DELETE FROM cpq_pipeline_daily;
DELETE FROM cpq_pipeline_values;
INSERT INTO cpq_pipeline_values )SQL" + item_select("1") + R"SQL(;
INSERT INTO cpq_pipeline_daily (tenant, status, day, n, value)
SELECT tenant, status, day, COUNT(*), TOTAL(value) FROM cpq_pipeline_values
GROUP BY tenant, status, day;

-- quote_number is an INTEGER column and id TEXT: the comparison converts id
-- to a number when it reads as one (ids are written as decimal numbers).
UPDATE cpq_opportunities SET status = 'won'
WHERE source = 'quotes' AND status = 'lost'
  AND EXISTS (SELECT 1 FROM cpq_quote_latest l
              WHERE l.tenant = cpq_opportunities.tenant
                AND l.quote_number = cpq_opportunities.id
                AND l.is_accepted = 1 AND l.is_lost = 1);
)SQL";
  return sql;
}

}  // namespace

const char* schema_psa_value() {
  static const std::string sql = build();
  return sql.c_str();
}

}  // namespace cwsync::storage::detail
