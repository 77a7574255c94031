// Schema v7 redefines cpq_pipeline_items and cpq_recent_wins and adds indexes
// for the documented example queries. These tests fill a seeded random cache
// (several tenants, ties within a day and identical timestamps, dates in
// other formats and in the future, NULL, "now" and unparseable dates,
// tombstones) and compare every view and every example query, row for row
// and in order, with the version-5 definitions kept as TEMP views `v5_*`.
// They also pin the query plans that make the examples fast.
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/schema_sql.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

const char* const kViewNames = "cpq_quote_latest|cpq_pipeline_items|cpq_pipeline|cpq_backlog|"
                               "cpq_at_risk|cpq_recent_wins|psa_post_history";

// The at-risk count per tenant on the unordered view (docs/schema.md).
const char* const kAtRiskCounts =
    "SELECT tenant, COUNT(*), SUM(value) FROM cpq_pipeline_items WHERE status = 'open' AND "
    "age_days > COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = "
    "'at_risk_days'), 45) GROUP BY tenant";

// The example queries of docs/schema.md for tenant `t`.
std::vector<std::string> examples(const std::string& t) {
  return {
      "SELECT name, client_name, value, age_days FROM cpq_backlog WHERE tenant = '" + t +
          "' ORDER BY age_days DESC LIMIT 20",
      "SELECT tenant, COUNT(*) AS at_risk, SUM(value) AS value_at_risk FROM cpq_at_risk "
      "GROUP BY tenant",
      "SELECT name, client_name, value, closed_date FROM cpq_recent_wins WHERE tenant = '" + t + "'",
      "SELECT stage_name, COUNT(*), SUM(value) FROM cpq_pipeline_items WHERE tenant = '" + t +
          "' AND status = 'open' GROUP BY stage_name",
      kAtRiskCounts,
  };
}

class ViewAgesTest : public testing::DbTest {
 protected:
  // The views as of schema version 5: v1's text, then migration 5's
  // redefinitions, all as TEMP views named v5_<name>.
  void SetUp() override {
    const std::string summary = detail::schema_pipeline_summary();
    const auto views = summary.find("DROP VIEW cpq_quote_latest;");
    ASSERT_NE(views, std::string::npos);
    std::string sql = std::string(detail::kSchemaV1Views) + summary.substr(views);
    sql = std::regex_replace(sql, std::regex("CREATE VIEW"), "CREATE TEMP VIEW");
    exec(v5(sql));
  }

  static std::string v5(const std::string& sql) {
    return std::regex_replace(sql, std::regex(std::string("\\b(") + kViewNames + ")\\b"), "v5_$1");
  }

  // Every row in the order the query returns it, as exact text.
  std::string dump(const std::string& sql) {
    SQLite::Statement st(db().handle(), sql);
    std::string out;
    while (st.executeStep()) {
      for (int c = 0; c < st.getColumnCount(); ++c) {
        const SQLite::Column col = st.getColumn(c);
        out += col.isNull() ? std::string("NULL") : col.getString();
        out += '|';
      }
      out += '\n';
    }
    return out;
  }

  void expect_same_as_v5(const std::string& what) {
    for (const char* v : {"cpq_backlog", "cpq_at_risk", "cpq_recent_wins"}) {
      const std::string sql = std::string("SELECT * FROM ") + v;
      EXPECT_EQ(dump(sql), dump(v5(sql))) << sql << " with " << what;
    }
    // cpq_pipeline_items promises no order.
    const std::string items = "SELECT * FROM cpq_pipeline_items ORDER BY tenant, id";
    EXPECT_EQ(dump(items), dump(v5(items))) << what;
    for (const char* t : {"a", "b", "c"}) {
      for (const std::string& sql : examples(t)) {
        EXPECT_EQ(dump(sql), dump(v5(sql))) << sql << " with " << what;
      }
    }
    // The v5_ views read the same indexes, so the order of ties under the
    // backlog example's LIMIT is checked against what version 5 gave (it
    // scanned the tenant by primary key): ties in (tenant, id) order.
    for (const char* t : {"a", "b", "c"}) {
      const std::string top = examples(t)[0];
      EXPECT_EQ(dump(top), dump(std::regex_replace(top, std::regex("DESC LIMIT"),
                                                   "DESC, tenant, id LIMIT")))
          << top << " with " << what;
    }
    // The documented shortcut counts the rows cpq_at_risk lists.
    EXPECT_EQ(dump("SELECT tenant, COUNT(*) FROM cpq_at_risk GROUP BY tenant"),
              dump(std::regex_replace(kAtRiskCounts, std::regex(", SUM\\(value\\)"), "")))
        << what;
  }

  std::string plan(const std::string& sql) {
    SQLite::Statement st(db().handle(), "EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (st.executeStep()) out += st.getColumn(3).getString() + "\n";
    return out;
  }

  void exec(const std::string& sql) { db().handle().exec(sql); }
};

// A date `days` before now (fractional part kept away from the whole days
// the views truncate to, so two statements a moment apart agree) in one of
// the formats julianday() reads, or one of the values it reads oddly.
std::string date_sql(std::mt19937& rng, int whole_days) {
  const double days = whole_days + 0.05 + 0.9 * (rng() % 1000) / 1000.0;
  const std::string jd = "julianday('now') - " + std::to_string(days);
  switch (rng() % 14) {
    case 0: return "NULL";
    case 1: return "'now'";
    case 2: return "'NOW'";
    case 3: return "'nowhere'";
    case 4: return "'not a date'";
    case 12: return "' now'";
    case 13: return "'nOw'";
    case 5: return "strftime('%Y-%m-%d %H:%M:%S', " + jd + ")";
    case 6: return "strftime('%Y-%m-%dT%H:%M:%S+02:00', " + jd + " + 2.0 / 24)";
    case 7: return "printf('%.8f', " + jd + ")";
    default: return "strftime('%Y-%m-%dT%H:%M:%SZ', " + jd + ")";
  }
}

TEST_F(ViewAgesTest, ViewsAndExamplesMatchVersion5OnARandomCache) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* statuses[] = {"open", "open", "won", "lost"};
  // Few distinct ages, so ages tie often, also at the LIMIT 20 boundary;
  // -1 and -2 are dates in the future (negative ages).
  const int ages[] = {-2, -1, 0, 1, 2, 29, 30, 31, 45, 46, 47, 90, 400};
  // Identical timestamps for some rows (half a day off the age boundaries).
  const std::string same =
      "'" + text("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 46.5)") + "'";
  for (int step = 0; step < 900; ++step) {
    const std::string tenant(1, static_cast<char>('a' + pick(3)));
    const std::string id = std::to_string(pick(120));
    if (pick(10) == 0) {
      exec("UPDATE cpq_opportunities SET deleted_at = 'x' WHERE tenant = '" + tenant +
           "' AND id = '" + id + "'");
      continue;
    }
    const std::string status = statuses[pick(4)];
    const std::string entered = pick(6) == 0 ? same : date_sql(rng, ages[pick(13)]);
    const std::string closed = status == "open" ? "NULL" : date_sql(rng, ages[pick(13)]);
    exec("INSERT INTO cpq_opportunities (tenant, id, source, name, client_name, status, "
         "stage_name, value, date_entered, closed_date, raw_json, synced_at) VALUES ('" +
         tenant + "', '" + id + "', '" + (pick(5) == 0 ? "psa" : "quotes") + "', 'n" + id +
         "', 'c" + std::to_string(pick(7)) + "', '" + status + "', " +
         (pick(4) == 0 ? std::string("NULL") : "'s" + std::to_string(pick(3)) + "'") + ", " +
         std::to_string(pick(100000)) + ".25, " + entered + ", " + closed +
         ", '{}', 'x') ON CONFLICT (tenant, id) DO UPDATE SET source = excluded.source, "
         "name = excluded.name, client_name = excluded.client_name, status = excluded.status, "
         "stage_name = excluded.stage_name, value = excluded.value, date_entered = "
         "excluded.date_entered, closed_date = excluded.closed_date, deleted_at = NULL");
  }
  ASSERT_GT(scalar("SELECT COUNT(*) FROM cpq_backlog"), 100);
  ASSERT_GT(scalar("SELECT COUNT(*) FROM cpq_recent_wins"), 10);
  expect_same_as_v5("the default settings");
  // Thresholds that take in the "now" rows (age 0) and the future ones.
  for (const char* risk : {"0", "-1", "-3", "400"}) {
    exec(std::string("UPDATE settings SET value = '") + risk + "' WHERE key = 'at_risk_days'");
    exec(std::string("UPDATE settings SET value = '") + (risk[0] == '-' ? "0" : "1") +
         "' WHERE key = 'pipeline_window_days'");
    expect_same_as_v5(std::string("at_risk_days ") + risk);
    if (HasFailure()) return;
  }
  exec("UPDATE settings SET value = '-2' WHERE key = 'pipeline_window_days'");
  expect_same_as_v5("a window of -2 days");
  exec("DELETE FROM settings");
  expect_same_as_v5("no settings rows");
}

TEST_F(ViewAgesTest, ARowDatedNowIsWrittenAndListed) {
  // julianday('now') may not be evaluated in an index: the indexes guard it.
  exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, date_entered, "
       "raw_json, synced_at) VALUES ('a', '1', 'quotes', 'open', 5, 'Now', '{}', 'x')");
  exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, date_entered, "
       "closed_date, raw_json, synced_at) VALUES ('a', '2', 'quotes', 'won', 7, 'now', 'now', "
       "'{}', 'x')");
  EXPECT_EQ(text("SELECT age_days FROM cpq_backlog WHERE id = '1'"), "0");
  EXPECT_EQ(text("SELECT days_since_close FROM cpq_recent_wins WHERE id = '2'"), "0");
  exec("UPDATE settings SET value = '-1' WHERE key = 'at_risk_days'");
  EXPECT_EQ(text("SELECT id FROM cpq_at_risk"), "1");
}

TEST_F(ViewAgesTest, ExamplesReadTheirIndexes) {
  const auto ex = examples("a");
  // A tenant's backlog is a range of the open items' index, read alone; the
  // sort by age keeps only the 20 oldest.
  EXPECT_NE(plan(ex[0]).find("SEARCH cpq_pipeline_values USING COVERING INDEX "
                             "cpq_pipeline_values_open (tenant=?)"),
            std::string::npos)
      << plan(ex[0]);
  // cpq_at_risk finds the open items by the same index, then sorts them by
  // age (its ORDER BY) before counting.
  EXPECT_NE(plan(ex[1]).find("SCAN cpq_pipeline_values USING COVERING INDEX "
                             "cpq_pipeline_values_open\nUSE TEMP B-TREE FOR ORDER BY"),
            std::string::npos)
      << plan(ex[1]);
  // A tenant's recent wins are a range of the closing day; all of them, one
  // pass over the won items' index.
  EXPECT_NE(plan(ex[2]).find("SEARCH i USING COVERING INDEX cpq_pipeline_values_won_by_close "
                             "(tenant=? AND <expr>>?)"),
            std::string::npos)
      << plan(ex[2]);
  const std::string all = plan("SELECT * FROM cpq_recent_wins");
  EXPECT_NE(all.find("SCAN i USING COVERING INDEX cpq_pipeline_values_won_by_close"),
            std::string::npos)
      << all;
  // The shortcut counts straight from an index of the open items, in tenant
  // order (since version 8 the narrower cpq_pipeline_values_open_by_day).
  EXPECT_EQ(plan(ex[4]).find("SCAN cpq_pipeline_values USING COVERING INDEX "
                             "cpq_pipeline_values_open"),
            0u)
      << plan(ex[4]);
  EXPECT_EQ(plan(ex[4]).find("TEMP B-TREE"), std::string::npos) << plan(ex[4]);
  // The stage breakdown groups in index order: no sort.
  EXPECT_EQ(plan(ex[3]), "SEARCH cpq_pipeline_values USING COVERING INDEX "
                         "cpq_pipeline_values_by_stage (tenant=? AND status=?)\n");
}

}  // namespace
}  // namespace cwsync::storage
