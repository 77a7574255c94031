// Schema v9: a psa item without a linked latest quote version is worth its
// stored value (Autotask's amount), and a source-quotes item whose latest
// live version is both accepted and lost is won. These tests fill a seeded
// random cache at version 8 (ConnectWise-like psa rows with a NULL value,
// Autotask-like ones with an amount, linked, relinked and tombstoned quote
// versions, accepted-and-lost quotes stored as lost), migrate it to 9 and
// check that:
// - no view changes its definition, and the summary triggers change only in
//   the value expression (so columns, rows and order follow the version-8
//   definitions, with the new rule as the only difference);
// - the summaries equal a from-scratch computation from the tables, and
//   every view equals the schema-v1 definition with the version-9 rule
//   (tests/storage/psa_value_rule.h), also after further writes;
// - exactly the accepted-and-lost quotes move from lost to won, with their
//   closed_date, and nothing else changes; ConnectWise rows keep their value.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/schema_sql.h"
#include "psa_value_rule.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

const char* const kV9Views[] = {"cpq_quote_latest", "cpq_pipeline_items", "cpq_pipeline",
                              "cpq_backlog",      "cpq_at_risk",        "cpq_recent_wins"};
const char* const kV9ViewNames = "cpq_quote_latest|cpq_pipeline_items|cpq_pipeline|cpq_backlog|"
                               "cpq_at_risk|cpq_recent_wins|psa_post_history";

// A cache file migrated to `version`.
class VersionedDb {
 public:
  VersionedDb(const testing::TempDir& dir, const std::string& name, int version) {
    auto db = Database::open(dir.file(name));
    if (!db.ok()) throw std::runtime_error(db.error().describe());
    db_.emplace(std::move(*db));
    auto st = migrate_to(*db_, version);
    if (!st.ok()) throw std::runtime_error(st.error().describe());
  }
  SQLite::Database& handle() { return db_->handle(); }
  Database& db() { return *db_; }

 private:
  std::optional<Database> db_;
};

std::string dump(SQLite::Database& db, const std::string& sql, bool sorted) {
  return testing::dump_rows(db, sql, sorted);
}

// The schema-v1 views with the version-9 value rule, as TEMP views ref_<name>.
std::string reference_views() {
  std::string sql = testing::with_v9_psa_value(detail::kSchemaV1Views);
  if (sql.empty()) return "";
  sql = std::regex_replace(sql, std::regex("CREATE VIEW"), "CREATE TEMP VIEW");
  return std::regex_replace(sql, std::regex(std::string("\\b(") + kV9ViewNames + ")\\b"), "ref_$1");
}

std::string collapse_spaces(const std::string& s) {
  return std::regex_replace(s, std::regex("\\s+"), " ");
}

// A seeded cache: tenants "cw" (ConnectWise: psa rows, value NULL), "at"
// (Autotask: psa rows with an amount) and "cpq" (source quotes, with quote
// versions whose flags decide the items). Returns the ids (tenant/id) of the
// quotes items that are stored lost and whose latest live version is both
// accepted and lost: the ones version 9 must turn won.
std::set<std::string> fill(SQLite::Database& db, unsigned seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto ago = [&](int days) {
    return "strftime('%Y-%m-%dT%H:%M:%SZ', julianday('now') - " + std::to_string(days) + ".5)";
  };
  const char* statuses[] = {"open", "open", "won", "lost"};
  const int days[] = {1, 10, 29, 31, 46, 90};
  auto opp = [&](const std::string& tenant, int id, const char* source, const std::string& status,
                 const std::string& value, bool deleted) {
    const std::string closed = status == "open" ? "NULL" : ago(days[pick(6)]);
    db.exec("INSERT INTO cpq_opportunities (tenant, id, source, name, client_name, status, "
            "stage_name, value, date_entered, closed_date, raw_json, synced_at, deleted_at) "
            "VALUES ('" + tenant + "', '" + std::to_string(id) + "', '" + source + "', 'n" +
            std::to_string(id) + "', 'c', '" + status + "', 's" + std::to_string(pick(3)) +
            "', " + value + ", " + ago(days[pick(6)]) + ", " + closed + ", '{}', 'x', " +
            (deleted ? "'x'" : "NULL") + ")");
  };
  // Quotes of the psa tenants: some linked to items, some relinked by a newer
  // version, some only through a tombstoned version, one with no total.
  auto quote = [&](const std::string& tenant, int number, int version, const std::string& total,
                   const std::string& opp_id, bool accepted, bool lost, bool deleted) {
    db.exec("INSERT INTO cpq_quotes (tenant, id, quote_number, quote_version, quote_total, "
            "crm_opportunity_id, is_accepted, is_lost, raw_json, synced_at, deleted_at) VALUES ('" +
            tenant + "', 'q" + std::to_string(number) + "v" + std::to_string(version) + "', " +
            std::to_string(number) + ", " + std::to_string(version) + ", " + total + ", " +
            opp_id + ", " + (accepted ? "1" : "0") + ", " + (lost ? "1" : "0") + ", '{}', 'x', " +
            (deleted ? "'x'" : "NULL") + ")");
  };
  for (const char* tenant : {"cw", "at"}) {
    const bool at = std::string(tenant) == "at";
    for (int id = 1; id <= 40; ++id) {
      const std::string value =
          at ? (pick(8) == 0 ? "NULL" : std::to_string(pick(100000)) + ".25") : "NULL";
      opp(tenant, id, "psa", statuses[pick(4)], value, pick(10) == 0);
    }
    for (int number = 1; number <= 30; ++number) {
      const int versions = 1 + pick(3);
      for (int v = 1; v <= versions; ++v) {
        const std::string link = pick(4) == 0 ? "NULL" : "'" + std::to_string(1 + pick(45)) + "'";
        const std::string total = pick(15) == 0 ? "NULL" : std::to_string(pick(5000)) + ".5";
        quote(tenant, number, v, total, link, false, false, pick(5) == 0);
      }
    }
  }
  // Source quotes: the item follows the mapper of version 8 (lost first).
  std::set<std::string> to_win;
  for (int number = 1; number <= 120; ++number) {
    const int versions = 1 + pick(3);
    bool latest_accepted = false, latest_lost = false, any_live = false;
    for (int v = 1; v <= versions; ++v) {
      const bool accepted = pick(2) == 0, lost = pick(2) == 0, deleted = pick(6) == 0;
      quote("cpq", number, v, std::to_string(pick(9000)) + ".75", "NULL", accepted, lost, deleted);
      if (!deleted) {
        any_live = true;
        latest_accepted = accepted;
        latest_lost = lost;
      }
    }
    // Mostly as the old mapper stored it; sometimes another status (an item
    // from an older sync), which version 9 must leave alone unless it is lost.
    std::string status = !any_live         ? statuses[pick(4)]
                         : latest_lost     ? "lost"
                         : latest_accepted ? "won"
                                           : "open";
    if (pick(8) == 0) status = statuses[pick(4)];
    const bool deleted = pick(12) == 0;
    opp("cpq", number, "quotes", status, std::to_string(pick(9000)) + ".75", deleted);
    if (status == "lost" && any_live && latest_accepted && latest_lost) {
      to_win.insert("cpq/" + std::to_string(number));
    }
  }
  return to_win;
}

// The summaries as migration 5 defines them, computed from the tables with
// the version-9 value, against the maintained ones.
void expect_summaries_exact(SQLite::Database& db, const std::string& when) {
  const std::string items = testing::with_v9_psa_value(
      "SELECT o.tenant, o.id, o.status, CASE o.source WHEN 'psa' THEN "
      "COALESCE((SELECT SUM(l.quote_total) FROM cpq_quote_latest l "
      "WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id), 0.0) "
      "ELSE COALESCE(o.value, 0.0) END AS value, "
      "CASE WHEN o.status = 'open' THEN '' WHEN o.closed_date IS NULL THEN '-' "
      "ELSE substr(o.closed_date, 1, 10) END AS day "
      "FROM cpq_opportunities o WHERE o.deleted_at IS NULL");
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(dump(db, "SELECT tenant, id, status, value, day FROM cpq_pipeline_values", true),
            dump(db, items, true))
      << when;
  EXPECT_EQ(dump(db, "SELECT tenant, status, day, n, value FROM cpq_pipeline_daily", true),
            dump(db, "SELECT tenant, status, day, COUNT(*) AS n, TOTAL(value) AS value FROM (" +
                         items + ") GROUP BY tenant, status, day", true))
      << when;
}

void expect_views_match_reference(SQLite::Database& db, const std::string& when) {
  for (const char* v : kV9Views) {
    EXPECT_EQ(dump(db, std::string("SELECT * FROM ") + v, true),
              dump(db, std::string("SELECT * FROM ref_") + v, true))
        << v << " " << when;
  }
  // The ordered views in their order (ties broken by tenant, id in both).
  for (const char* v : {"cpq_backlog", "cpq_at_risk", "cpq_recent_wins"}) {
    EXPECT_EQ(dump(db, std::string("SELECT * FROM ") + v, false),
              dump(db, std::string("SELECT * FROM ref_") + v, false))
        << v << " in order " << when;
  }
  EXPECT_EQ(dump(db, "SELECT * FROM cpq_at_risk_totals", false),
            dump(db, "SELECT tenant, COUNT(*) AS at_risk_count, SUM(value) AS at_risk_value, "
                     "at_risk_days FROM ref_cpq_at_risk "
                     "GROUP BY tenant ORDER BY tenant", false))
      << when;
}

std::string schema_of(SQLite::Database& db, const char* type) {
  return dump(db, std::string("SELECT name, sql FROM sqlite_master WHERE type = '") + type +
                      "' ORDER BY name", false);
}

TEST(MigrationV9, ChangesNoViewAndOnlyTheValueInTheSummaryTriggers) {
  testing::TempDir dir;
  VersionedDb v8(dir, "v8.db", 8), v9(dir, "v9.db", 9);
  EXPECT_EQ(*v9.db().user_version(), 9);
  EXPECT_EQ(schema_of(v8.handle(), "view"), schema_of(v9.handle(), "view"));
  EXPECT_EQ(schema_of(v8.handle(), "index"), schema_of(v9.handle(), "index"));
  EXPECT_EQ(schema_of(v8.handle(), "table"), schema_of(v9.handle(), "table"));
  // Put v1's value back into the version-9 triggers: then they are version 8's.
  const std::string v9_value = collapse_spaces(
      "COALESCE((SELECT CASE WHEN COUNT(*) > 0 THEN COALESCE(SUM(l.quote_total), 0.0) END "
      "FROM cpq_quote_latest l WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id), "
      "o.value, 0.0)");
  const std::string v1_value =
      "COALESCE((SELECT SUM(l.quote_total) FROM cpq_quote_latest l WHERE l.tenant = o.tenant "
      "AND l.crm_opportunity_id = o.id), 0.0)";
  std::string triggers = collapse_spaces(schema_of(v9.handle(), "trigger"));
  int replaced = 0;
  for (auto at = triggers.find(v9_value); at != std::string::npos;
       at = triggers.find(v9_value, at + v1_value.size())) {
    triggers.replace(at, v9_value.size(), v1_value);
    ++replaced;
  }
  EXPECT_EQ(replaced, 3);  // on insert, on update, on rekey
  EXPECT_EQ(triggers, collapse_spaces(schema_of(v8.handle(), "trigger")));
}

TEST(MigrationV9, RebuildsTheSummariesAndWinsAcceptedAndLostQuotes) {
  testing::TempDir dir;
  for (unsigned seed : {1u, 2u, 3u}) {
    VersionedDb db(dir, "cache" + std::to_string(seed) + ".db", 8);
    SQLite::Database& h = db.handle();
    const std::set<std::string> to_win = fill(h, seed);
    ASSERT_GE(to_win.size(), 3u) << "seed " << seed;
    const std::string opps_before = dump(
        h, "SELECT tenant, id, status, closed_date, value FROM cpq_opportunities ORDER BY 1, 2",
        false);
    const std::string cw_before =
        dump(h, "SELECT * FROM cpq_pipeline_items WHERE tenant = 'cw'", true);

    ASSERT_TRUE(migrate(db.db()).ok());
    const std::string refs = reference_views();
    ASSERT_FALSE(refs.empty());
    h.exec(refs);
    const std::string when = "after the migration, seed " + std::to_string(seed);
    expect_summaries_exact(h, when);
    expect_views_match_reference(h, when);

    // Exactly the accepted-and-lost items changed, and only their status.
    SQLite::Statement won(h, "SELECT tenant || '/' || id FROM cpq_opportunities o WHERE status = "
                             "'won' AND source = 'quotes' AND tenant || '/' || id IN (" +
                             [&] {
                               std::string in = "''";
                               for (const auto& k : to_win) in += ", '" + k + "'";
                               return in;
                             }() + ")");
    std::set<std::string> now_won;
    while (won.executeStep()) now_won.insert(won.getColumn(0).getString());
    EXPECT_EQ(now_won, to_win) << when;
    std::string expected = opps_before;
    for (const auto& k : to_win) {
      const std::string id = k.substr(k.find('/') + 1);
      const std::string from = "tenant=cpq id=" + id + " status=lost ";
      const auto at = expected.find(from);
      ASSERT_NE(at, std::string::npos) << k;
      expected.replace(at, from.size(), "tenant=cpq id=" + id + " status=won ");
    }
    EXPECT_EQ(dump(h, "SELECT tenant, id, status, closed_date, value FROM cpq_opportunities "
                      "ORDER BY 1, 2", false),
              expected)
        << when;
    // ConnectWise items (value NULL) are worth what they were at version 8.
    EXPECT_EQ(dump(h, "SELECT * FROM cpq_pipeline_items WHERE tenant = 'cw'", true), cw_before)
        << when;
    // An Autotask item without linked quotes is worth its amount now.
    EXPECT_GT(h.execAndGet("SELECT COUNT(*) FROM cpq_pipeline_items i JOIN cpq_opportunities o "
                           "USING (tenant, id) WHERE i.tenant = 'at' AND o.value > 0 AND "
                           "i.value = o.value AND NOT EXISTS (SELECT 1 FROM cpq_quote_latest l "
                           "WHERE l.tenant = 'at' AND l.crm_opportunity_id = o.id)")
                  .getInt(),
              0)
        << when;
  }
}

TEST(MigrationV9, TheTriggersKeepTheNewRuleThroughLaterWrites) {
  testing::TempDir dir;
  VersionedDb db(dir, "cache.db", 8);
  SQLite::Database& h = db.handle();
  fill(h, 5);
  ASSERT_TRUE(migrate(db.db()).ok());
  h.exec(reference_views());
  std::mt19937 rng(6);
  auto pick = [&](int n) { return std::to_string(rng() % static_cast<unsigned>(n)); };
  for (int step = 0; step < 300; ++step) {
    const std::string tenant = rng() % 2 ? "'at'" : "'cw'";
    switch (rng() % 6) {
      case 0:  // an Autotask amount changes, or goes away
        h.exec("UPDATE cpq_opportunities SET value = " +
               (rng() % 4 ? pick(90000) + ".25" : std::string("NULL")) +
               " WHERE tenant = 'at' AND id = '" + pick(45) + "'");
        break;
      case 1:  // a quote version is linked, relinked or unlinked
        h.exec("UPDATE cpq_quotes SET crm_opportunity_id = " +
               (rng() % 3 ? "'" + pick(45) + "'" : std::string("NULL")) + " WHERE tenant = " +
               tenant + " AND quote_number = " + pick(31) + " AND quote_version = " + pick(4));
        break;
      case 2:  // a version is tombstoned or revived
        h.exec("UPDATE cpq_quotes SET deleted_at = " + std::string(rng() % 2 ? "'x'" : "NULL") +
               " WHERE tenant = " + tenant + " AND quote_number = " + pick(31));
        break;
      case 3:  // a quote disappears
        h.exec("DELETE FROM cpq_quotes WHERE tenant = " + tenant + " AND quote_number = " +
               pick(31));
        break;
      case 4:  // an item is tombstoned or revived
        h.exec("UPDATE cpq_opportunities SET deleted_at = " +
               std::string(rng() % 2 ? "'x'" : "NULL") + " WHERE tenant = " + tenant +
               " AND id = '" + pick(45) + "'");
        break;
      default:  // a new item with an amount
        h.exec("INSERT INTO cpq_opportunities (tenant, id, source, status, value, raw_json, "
               "synced_at) VALUES (" + tenant + ", 'n" + pick(1000) + "', 'psa', 'open', " +
               pick(500) + ", '{}', 'x') ON CONFLICT DO NOTHING");
    }
    if (step % 25 == 24) {
      expect_summaries_exact(h, "step " + std::to_string(step));
      expect_views_match_reference(h, "step " + std::to_string(step));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace cwsync::storage
