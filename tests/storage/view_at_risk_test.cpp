// Schema v8 adds cpq_at_risk_totals (the at-risk count and value per tenant
// from an index range) and redefines cpq_backlog with a cheaper age. These
// tests fill a seeded random cache (several tenants, items exactly and
// almost exactly 44 to 47 days old, fractional times of day, future dates,
// very old and far-future days, NULL, "now"-like and unparseable dates,
// tombstones) and check, for many at_risk_days settings, that:
// - cpq_at_risk_totals equals the count and sum over cpq_at_risk (the
//   contract view) per tenant, row for row;
// - cpq_backlog, cpq_at_risk and the backlog example equal the version-7
//   definitions, kept as TEMP views `v7_*`, row for row and in order.
// Each comparison is one statement: SQLite's clock is the same for all of
// it, so an item crossing a day boundary between two reads cannot fail it.
// Sums compare exactly because every value is a multiple of 0.25.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/migrations.h"
#include "storage/schema_sql.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

const char* const kAtRiskViews = "cpq_quote_latest|cpq_pipeline_items|cpq_pipeline|cpq_backlog|"
                               "cpq_at_risk|cpq_recent_wins|psa_post_history";

// The example of docs/schema.md and the aggregate it stands for.
const char* const kTotals = "SELECT * FROM cpq_at_risk_totals";
const char* const kReference =
    "SELECT tenant, COUNT(*), SUM(value), at_risk_days FROM cpq_at_risk GROUP BY tenant "
    "ORDER BY tenant";

std::string v7(const std::string& sql) {
  return std::regex_replace(sql, std::regex(std::string("\\b(") + kAtRiskViews + ")\\b"), "v7_$1");
}

// The views as of schema version 7 (v1's text, then migrations 5 and 7) as
// TEMP views v7_<name>.
std::string version7_views() {
  const std::string summary = detail::schema_pipeline_summary();
  const std::string ages = detail::schema_view_ages();
  const auto v5 = summary.find("DROP VIEW cpq_quote_latest;");
  const auto v7 = ages.find("DROP VIEW cpq_pipeline_items;");
  if (v5 == std::string::npos || v7 == std::string::npos) return "";
  std::string sql = std::string(detail::kSchemaV1Views) + summary.substr(v5) + ages.substr(v7);
  return std::regex_replace(sql, std::regex("CREATE VIEW"), "CREATE TEMP VIEW");
}

// A subquery that returns the rows of `sql` as one text value, in the order
// `sql` gives them (an aggregate keeps the order of its ordered subquery).
std::string as_text(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement st(db, sql);
  std::string row;
  for (int c = 0; c < st.getColumnCount(); ++c) {
    row += std::string(c == 0 ? "" : " || '|' || ") + "quote(\"" + st.getColumnName(c) + "\")";
  }
  return "(SELECT group_concat(r, char(10)) FROM (SELECT " + row + " AS r FROM (" + sql + ")))";
}

class ViewAtRiskTest : public testing::DbTest {
 protected:
  void SetUp() override {
    const std::string views = version7_views();
    ASSERT_FALSE(views.empty());
    exec(v7(views));
  }

  void exec(const std::string& sql) { db().handle().exec(sql); }

  // `a` and `b` as text, read in one statement (one clock).
  std::pair<std::string, std::string> both(const std::string& a, const std::string& b) {
    SQLite::Statement st(db().handle(),
                         "SELECT " + as_text(db().handle(), a) + ", " + as_text(db().handle(), b));
    st.executeStep();
    auto get = [&](int c) {
      return st.getColumn(c).isNull() ? std::string("(none)") : st.getColumn(c).getString();
    };
    return {get(0), get(1)};
  }

  void expect_same(const std::string& a, const std::string& b, const std::string& what) {
    const auto [x, y] = both(a, b);
    EXPECT_EQ(x, y) << a << "\nvs " << b << "\nwith " << what;
  }

  void expect_consistent(const std::string& what) {
    expect_same(kTotals, kReference, what);
    for (const char* v : {"cpq_backlog", "cpq_at_risk"}) {
      const std::string sql = std::string("SELECT * FROM ") + v;
      expect_same(sql, v7(sql), what);
    }
    for (const char* t : {"a", "b", "c", "d", "e"}) {
      const std::string top = std::string("SELECT name, client_name, value, age_days FROM "
                                          "cpq_backlog WHERE tenant = '") +
                              t + "' ORDER BY age_days DESC LIMIT 20";
      expect_same(top, v7(top), what);
      const std::string one = std::string(kTotals) + " WHERE tenant = '" + t + "'";
      const std::string ref = std::string("SELECT tenant, COUNT(*), SUM(value), at_risk_days "
                                          "FROM cpq_at_risk WHERE tenant = '") +
                              t + "' GROUP BY tenant";
      expect_same(one, ref, what);
    }
  }

  std::string plan(const std::string& sql) {
    SQLite::Statement st(db().handle(), "EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (st.executeStep()) out += st.getColumn(3).getString() + "\n";
    return out;
  }
};

// date_entered for an item about `days` old: exactly (to the millisecond),
// a millisecond or a few microseconds either side, or at a random time of
// that day, in one of the formats julianday() reads; or a value it reads
// oddly.
std::string entered_sql(std::mt19937& rng, double days) {
  const double offsets[] = {0.0, 1.0 / 86400000, -1.0 / 86400000, 1e-7, -1e-7,
                            0.05 + 0.9 * (rng() % 1000) / 1000.0};
  char jd[96];
  std::snprintf(jd, sizeof jd, "julianday('now') - %.17g - (%.17g)", days, offsets[rng() % 6]);
  switch (rng() % 20) {
    case 0: return "NULL";
    case 1: return "'now'";
    case 2: return "'NOW'";
    case 3: return "'nowhere'";
    case 4: return "' now'";
    case 5: return "'not a date'";
    case 6: return "'0500-06-01T12:00:00Z'";  // before the year 1029: julian day < 2^21
    case 7: return "'12.5'";                  // a julian day number
    case 8: return "'9000-01-01'";            // julian day > 2^22
    case 9: return std::string("printf('%.10f', ") + jd + ")";
    case 10: return std::string("strftime('%Y-%m-%d %H:%M:%S', ") + jd + ")";
    case 11: return std::string("strftime('%Y-%m-%dT%H:%M:%S+02:00', ") + jd + " + 2.0 / 24)";
    default: return std::string("strftime('%Y-%m-%dT%H:%M:%fZ', ") + jd + ")";
  }
}

void fill(SQLite::Database& db, unsigned seed, int steps) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* statuses[] = {"open", "open", "open", "won", "lost"};
  const double ages[] = {-2, -1, 0, 1, 44, 45, 46, 47, 90, 400, 299999, 300001};
  for (int step = 0; step < steps; ++step) {
    // d: closed items only; e: open items, all young.
    const std::string tenant(1, static_cast<char>('a' + pick(5)));
    const std::string id = std::to_string(pick(200));
    if (pick(12) == 0) {
      db.exec("UPDATE cpq_opportunities SET deleted_at = 'x' WHERE tenant = '" + tenant +
              "' AND id = '" + id + "'");
      continue;
    }
    std::string status = statuses[pick(5)];
    if (tenant == "d") status = pick(2) ? "won" : "lost";
    const std::string entered =
        tenant == "e" ? "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - " +
                            std::to_string(pick(40)) + ".5)"
                      : entered_sql(rng, ages[pick(12)]);
    const std::string closed = status == "open" ? "NULL" : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
    db.exec("INSERT INTO cpq_opportunities (tenant, id, source, name, client_name, status, "
            "value, date_entered, closed_date, raw_json, synced_at) VALUES ('" + tenant + "', '" +
            id + "', 'quotes', 'n" + id + "', 'c" + std::to_string(pick(7)) + "', '" + status +
            "', " + std::to_string(pick(100000)) + ".25, " + entered + ", " + closed +
            ", '{}', 'x') ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status, "
            "value = excluded.value, date_entered = excluded.date_entered, "
            "closed_date = excluded.closed_date, deleted_at = NULL");
  }
}

TEST_F(ViewAtRiskTest, TotalsAndBacklogMatchTheContractOnARandomCache) {
  fill(db().handle(), 8, 3000);
  ASSERT_GT(scalar("SELECT COUNT(*) FROM cpq_at_risk"), 100);
  ASSERT_GT(scalar("SELECT COUNT(DISTINCT tenant) FROM cpq_at_risk"), 2);
  ASSERT_EQ(scalar("SELECT COUNT(*) FROM cpq_at_risk WHERE tenant IN ('d', 'e')"), 0);
  expect_consistent("the default settings");
  // Thresholds around the boundary rows, the fast range's limits (0 and
  // 300000) and beyond them, where the view counts row by row.
  for (const char* risk : {"0", "1", "44", "45", "46", "47", "299999", "300000", "300001", "-1",
                           "-2", "-3", "-400000", "9000000000", "", "abc", "46.9"}) {
    exec(std::string("UPDATE settings SET value = '") + risk + "' WHERE key = 'at_risk_days'");
    expect_consistent(std::string("at_risk_days '") + risk + "'");
    if (HasFailure()) return;
  }
  exec("DELETE FROM settings");
  expect_consistent("no settings rows");
}

TEST_F(ViewAtRiskTest, TotalsFollowWritesAndTombstones) {
  auto insert = [&](const std::string& id, const char* status, const char* entered) {
    exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, date_entered, "
         "raw_json, synced_at) VALUES ('a', '" + id + "', 'quotes', '" + status + "', 10.5, " +
         entered + ", '{}', 'x') ON CONFLICT (tenant, id) DO UPDATE SET status = "
         "excluded.status, date_entered = excluded.date_entered");
  };
  EXPECT_EQ(text("SELECT COUNT(*) FROM cpq_at_risk_totals"), "0");
  insert("1", "open", "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 46.2)");
  insert("2", "open", "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 45.8)");  // 45: not
  insert("3", "won", "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 90)");
  insert("4", "open", "'Now'");
  EXPECT_EQ(text("SELECT tenant || ' ' || at_risk_count || ' ' || at_risk_value || ' ' || "
                 "at_risk_days FROM cpq_at_risk_totals"),
            "a 1 10.5 45");
  insert("2", "open", "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 100)");
  EXPECT_EQ(text("SELECT at_risk_count FROM cpq_at_risk_totals"), "2");
  exec("UPDATE cpq_opportunities SET status = 'lost' WHERE id = '1'");
  EXPECT_EQ(text("SELECT at_risk_count FROM cpq_at_risk_totals"), "1");
  exec("UPDATE settings SET value = '-1' WHERE key = 'at_risk_days'");
  EXPECT_EQ(text("SELECT at_risk_count || ' ' || at_risk_days FROM cpq_at_risk_totals"), "2 -1");
  exec("UPDATE settings SET value = '45' WHERE key = 'at_risk_days'");
  exec("UPDATE cpq_opportunities SET deleted_at = 'x' WHERE id = '2'");
  EXPECT_EQ(text("SELECT COUNT(*) FROM cpq_at_risk_totals"), "0");
}

// The view's range `E <= N - (T + 1)` and cpq_at_risk's `CAST(N - E AS
// INTEGER) > T`, both in SQLite's arithmetic, for clocks N on whole
// milliseconds and days E at and next to the boundary (the last bits of the
// double either side, a millisecond either side) and far from it.
TEST_F(ViewAtRiskTest, TheRangeIsTheAgeConditionAtTheBoundary) {
  SQLite::Statement st(db().handle(),
                       "SELECT CAST(?1 - ?2 AS INTEGER) > ?3, ?2 <= ?1 - (?3 + 1)");
  auto check = [&](double n, double e, long long t) {
    st.reset();
    st.bind(1, n);
    st.bind(2, e);
    st.bind(3, static_cast<int64_t>(t));
    ASSERT_TRUE(st.executeStep());
    EXPECT_EQ(st.getColumn(0).getInt(), st.getColumn(1).getInt())
        << std::hexfloat << "N " << n << " E " << e << " T " << t;
  };
  std::mt19937_64 rng(8);
  const long long ms_per_day = 86400000;
  const long long from = 2415020LL * ms_per_day;  // 1900
  const long long to = 2524594LL * ms_per_day;    // 2200
  for (int k = 0; k < 2000 && !HasFailure(); ++k) {
    const long long ijd = from + static_cast<long long>(rng() % static_cast<unsigned long long>(to - from));
    const double n = static_cast<double>(ijd) / ms_per_day;
    for (long long t : {0LL, 1LL, 45LL, 46LL, 1000LL, 299999LL, 300000LL}) {
      const double b = n - static_cast<double>(t + 1);
      double lo = b, hi = b;
      check(n, b, t);
      for (int u = 0; u < 3; ++u) {
        lo = std::nextafter(lo, 0.0);
        hi = std::nextafter(hi, 1e9);
        check(n, lo, t);
        check(n, hi, t);
      }
      check(n, static_cast<double>(ijd - (t + 1) * ms_per_day - 1) / ms_per_day, t);
      check(n, static_cast<double>(ijd - (t + 1) * ms_per_day) / ms_per_day, t);
      check(n, static_cast<double>(ijd - (t + 1) * ms_per_day + 1) / ms_per_day, t);
      for (double e : {0.0, 12.5, 1721059.5, 2097151.999, 2097152.0, 5373484.4}) check(n, e, t);
    }
  }
}

TEST_F(ViewAtRiskTest, ExamplesReadTheirIndexes) {
  // One range of the narrow index per tenant with open items, grouped in
  // the order the tenants are scanned: no sort of the items.
  const std::string totals = plan("SELECT tenant, at_risk_count, at_risk_value FROM cpq_at_risk_totals");
  EXPECT_NE(totals.find("SCAN t\n"), std::string::npos) << totals;
  EXPECT_NE(totals.find("SEARCH v USING COVERING INDEX cpq_pipeline_values_open_by_day "
                        "(tenant=? AND <expr><?)"),
            std::string::npos)
      << totals;
  // Only the row-by-row fallback (the right side of the UNION ALL) sorts.
  const std::string left = totals.substr(0, totals.find("RIGHT\n"));
  EXPECT_EQ(left.find("GROUP BY"), std::string::npos) << totals;
  EXPECT_NE(left.find("SEARCH v USING"), std::string::npos) << totals;
  EXPECT_EQ(totals.find("cpq_pipeline_values_open\n"), std::string::npos) << totals;
  // The backlog's top 20 still reads the wide index in (tenant, id) order.
  const std::string top = plan("SELECT name, client_name, value, age_days FROM cpq_backlog "
                               "WHERE tenant = 'a' ORDER BY age_days DESC LIMIT 20");
  EXPECT_EQ(top, "SEARCH cpq_pipeline_values USING COVERING INDEX cpq_pipeline_values_open "
                 "(tenant=?)\nUSE TEMP B-TREE FOR ORDER BY\n");
}

TEST(ViewAtRiskUpgradeTest, Version7CacheUpgradesWithTheSameViewsAndTheNewTotals) {
  testing::TempDir dir;
  auto opened = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(opened.ok());
  Database& db = *opened;
  ASSERT_TRUE(migrate_to(db, 7).ok());
  SQLite::Database& h = db.handle();
  std::mt19937 rng(7);
  // Items written under version 7, half a day away from any age boundary so
  // that reads a moment apart agree.
  for (int k = 0; k < 300; ++k) {
    const int age = static_cast<int>(rng() % 120) - 5;
    const std::string entered =
        rng() % 10 == 0 ? "'now'"
                        : "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - " +
                              std::to_string(age) + ".5)";
    h.exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, date_entered, "
           "raw_json, synced_at) VALUES ('" + std::string(1, static_cast<char>('a' + k % 3)) +
           "', '" + std::to_string(k) + "', 'quotes', '" + (rng() % 4 == 0 ? "won" : "open") +
           "', " + std::to_string(rng() % 1000) + ".5, " + entered + ", '{}', 'x')");
  }
  auto dump = [&](const char* sql) {
    SQLite::Statement st(h, sql);
    std::string out;
    while (st.executeStep()) {
      for (int c = 0; c < st.getColumnCount(); ++c) {
        out += st.getColumn(c).isNull() ? std::string("NULL") : st.getColumn(c).getString();
        out += '|';
      }
      out += '\n';
    }
    return out;
  };
  const char* const reference =
      "SELECT tenant, COUNT(*), SUM(value), at_risk_days FROM cpq_at_risk GROUP BY tenant "
      "ORDER BY tenant";
  const std::string backlog = dump("SELECT * FROM cpq_backlog");
  const std::string at_risk = dump("SELECT * FROM cpq_at_risk");
  const std::string counts = dump(reference);
  ASSERT_GT(std::count(counts.begin(), counts.end(), '\n'), 2);
  ASSERT_TRUE(migrate(db).ok());
  EXPECT_EQ(h.execAndGet("PRAGMA user_version").getInt(), latest_schema_version());
  EXPECT_EQ(dump("SELECT * FROM cpq_backlog"), backlog);
  EXPECT_EQ(dump("SELECT * FROM cpq_at_risk"), at_risk);
  EXPECT_EQ(dump(kTotals), counts);
  EXPECT_EQ(h.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                         "name = 'cpq_pipeline_values_open_by_day'")
                .getInt(),
            1);
  // The index filled from the rows already cached, and follows new writes.
  h.exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, date_entered, "
         "raw_json, synced_at) VALUES ('a', 'new', 'quotes', 'open', 1.5, "
         "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - 300.5), '{}', 'x')");
  EXPECT_EQ(dump(kTotals), dump(reference));
  EXPECT_EQ(h.execAndGet("PRAGMA integrity_check").getString(), "ok");
}

}  // namespace
}  // namespace cwsync::storage
