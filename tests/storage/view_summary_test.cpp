// Schema v5 answers the dashboard views from maintained summaries
// (cpq_pipeline_values, cpq_pipeline_daily). These tests drive a seeded mix
// of plain-SQL writes (inserts, upserts, status and value changes, closes on
// the window's first day, tombstones, revivals, new quote versions that move
// the latest slot between PSA opportunities, deletes) and after every step
// compare each view, row for row, with the schema-v1 definition evaluated on
// the same tables (kept as TEMP views), so the summaries can never drift from
// what the contract says the views mean. Since schema v9 the reference values
// psa items by the version-9 rule (psa_value_rule.h): v1's value, except that
// an item no latest quote version links to is worth its stored value.
#include <random>
#include <regex>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "psa_value_rule.h"
#include "storage/schema_sql.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

const char* const kViews = "cpq_quote_latest|cpq_pipeline_items|cpq_pipeline|cpq_backlog|"
                           "cpq_at_risk|cpq_recent_wins|psa_post_history";

class ViewSummaryTest : public testing::DbTest {
 protected:
  void SetUp() override {
    std::string sql = testing::with_v9_psa_value(detail::kSchemaV1Views);
    ASSERT_FALSE(sql.empty());
    sql = std::regex_replace(sql, std::regex("CREATE VIEW"), "CREATE TEMP VIEW");
    db().handle().exec(v1(sql));
  }

  static std::string v1(const std::string& sql) {
    return std::regex_replace(sql, std::regex(std::string("\\b(") + kViews + ")\\b"), "v1_$1");
  }

  // Every row of `view` in a fixed order, as text.
  std::string dump(const std::string& view) {
    return testing::dump_rows(db().handle(), "SELECT * FROM " + view, /*sorted=*/true);
  }

  void expect_same(const std::string& step) {
    for (const char* v : {"cpq_quote_latest", "cpq_pipeline_items", "cpq_pipeline", "cpq_backlog",
                          "cpq_at_risk", "cpq_recent_wins"}) {
      EXPECT_EQ(dump(v), dump(std::string("v1_") + v)) << v << " after " << step;
    }
  }

  void exec(const std::string& sql) { db().handle().exec(sql); }
};

// An ISO time `hours` before now.
std::string ago(double hours) {
  return format_iso8601(std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() - std::chrono::seconds(static_cast<long long>(hours * 3600))));
}

TEST_F(ViewSummaryTest, EveryViewMatchesItsV1DefinitionThroughASeededMixOfWrites) {
  std::mt19937 rng(11);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* statuses[] = {"open", "won", "lost"};
  // The window's first day (30 days back) is the interesting boundary.
  const double closed_hours[] = {1, 24 * 10, 24 * 29.9, 24 * 30 - 2, 24 * 30 + 2, 24 * 30.2,
                                 24 * 31, 24 * 200};
  auto upsert_opp = [&](const std::string& tenant, int id, const char* source) {
    const char* status = statuses[pick(3)];
    const bool closed = std::string(status) != "open" && pick(5) != 0;
    const std::string closed_at = closed ? "'" + ago(closed_hours[pick(8)]) + "'" : "NULL";
    exec("INSERT INTO cpq_opportunities (tenant, id, source, name, status, stage_name, value, "
         "date_entered, closed_date, raw_json, synced_at) VALUES ('" + tenant + "', '" +
         std::to_string(id) + "', '" + source + "', 'n" + std::to_string(pick(4)) + "', '" + status +
         "', 's" + std::to_string(pick(3)) + "', " +
         (pick(6) == 0 ? std::string("NULL") : std::to_string(pick(1000))) + ", '" +
         ago(24.0 * pick(90)) + "', " + closed_at + ", '{}', 'x') ON CONFLICT (tenant, id) DO "
         "UPDATE SET source = excluded.source, name = excluded.name, status = excluded.status, "
         "stage_name = excluded.stage_name, value = excluded.value, date_entered = "
         "excluded.date_entered, closed_date = excluded.closed_date, deleted_at = NULL");
  };
  auto upsert_quote = [&](int number, int version) {
    const std::string id = "q" + std::to_string(number) + "v" + std::to_string(version);
    const std::string opp = pick(4) == 0 ? "NULL" : "'" + std::to_string(1 + pick(12)) + "'";
    exec("INSERT INTO cpq_quotes (tenant, id, quote_number, quote_version, quote_total, "
         "crm_opportunity_id, raw_json, synced_at) VALUES ('psa-t', '" + id + "', " +
         std::to_string(number) + ", " + std::to_string(version) + ", " +
         std::to_string(pick(500)) + ".25, " + opp + ", '{}', 'x') ON CONFLICT (tenant, id) DO "
         "UPDATE SET quote_total = excluded.quote_total, crm_opportunity_id = "
         "excluded.crm_opportunity_id, deleted_at = NULL");
  };
  for (int step = 0; step < 400; ++step) {
    switch (pick(8)) {
      case 0: upsert_opp("quotes-t", 1 + pick(30), "quotes"); break;
      case 1: upsert_opp("psa-t", 1 + pick(12), "psa"); break;
      case 2: upsert_quote(1 + pick(15), 1 + pick(3)); break;
      case 3:
        exec("UPDATE cpq_opportunities SET deleted_at = 'x' WHERE id = '" +
             std::to_string(1 + pick(30)) + "'");
        break;
      case 4:
        exec("UPDATE cpq_quotes SET deleted_at = " + std::string(pick(2) ? "'x'" : "NULL") +
             " WHERE quote_number = " + std::to_string(1 + pick(15)));
        break;
      case 5:
        exec("UPDATE cpq_quotes SET crm_opportunity_id = '" + std::to_string(1 + pick(12)) +
             "' WHERE quote_number = " + std::to_string(1 + pick(15)));
        break;
      case 6: exec("DELETE FROM cpq_quotes WHERE quote_number = " + std::to_string(1 + pick(15))); break;
      default: exec("DELETE FROM cpq_opportunities WHERE id = '" + std::to_string(1 + pick(30)) + "'");
    }
    if (step % 20 == 19) expect_same("step " + std::to_string(step));
    if (HasFailure()) return;
  }
  exec("UPDATE settings SET value = '7' WHERE key = 'pipeline_window_days'");
  expect_same("a window of 7 days");
}

TEST_F(ViewSummaryTest, ATenantWithoutLiveItemsHasNoPipelineRow) {
  exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, raw_json, synced_at) "
       "VALUES ('a', '1', 'quotes', 'open', 5, '{}', 'x')");
  EXPECT_EQ(dump("cpq_pipeline"), dump("v1_cpq_pipeline"));
  exec("UPDATE cpq_opportunities SET deleted_at = 'x'");
  EXPECT_EQ(dump("cpq_pipeline"), "");
  EXPECT_EQ(text("SELECT COUNT(*) FROM cpq_pipeline_daily"), "0");
}

}  // namespace
}  // namespace cwsync::storage
