// The dashboard views on hand-inserted rows (plain SQL, as any program could
// write them), and the C++ read helpers against the same rows. Views use the
// real clock, so rows are placed relative to now, half a day off any day
// boundary.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/cache_store.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::days_ago;

class ViewsTest : public testing::DbTest {
 protected:
  CacheStore cache{db()};
  const TimePoint now = SysClock::now();

  void opp(const std::string& tenant, const std::string& id, const char* source,
           const char* status, std::optional<double> value, std::optional<double> entered_days,
           std::optional<double> closed_days, bool deleted = false) {
    SQLite::Statement st(db().handle(),
        "INSERT INTO cpq_opportunities (tenant, id, source, name, client_name, status, "
        "stage_name, value, date_entered, closed_date, last_updated, raw_json, synced_at, "
        "deleted_at) VALUES (?, ?, ?, ?, 'Client ' || ?2, ?, 'Stage', ?, ?, ?, ?, '{}', ?, ?)");
    st.bind(1, tenant);
    st.bind(2, id);
    st.bind(3, source);
    st.bind(4, "Opp " + id);
    st.bind(5, status);
    if (value) st.bind(6, *value); else st.bind(6);
    if (entered_days) st.bind(7, format_iso8601(days_ago(*entered_days, now))); else st.bind(7);
    if (closed_days) st.bind(8, format_iso8601(days_ago(*closed_days, now))); else st.bind(8);
    st.bind(9, format_iso8601(days_ago(closed_days.value_or(entered_days.value_or(0)), now)));
    st.bind(10, format_iso8601(now));
    if (deleted) st.bind(11, format_iso8601(now)); else st.bind(11);
    st.exec();
  }

  void quote(const std::string& id, int number, int version, double total, const char* opp_id,
             bool deleted = false) {
    SQLite::Statement st(db().handle(),
        "INSERT INTO cpq_quotes (tenant, id, quote_number, quote_version, quote_total, "
        "crm_opportunity_id, raw_json, synced_at, deleted_at) "
        "VALUES ('acme', ?, ?, ?, ?, ?, '{}', '2026-01-01T00:00:00Z', ?)");
    st.bind(1, id);
    st.bind(2, number);
    st.bind(3, version);
    st.bind(4, total);
    st.bind(5, opp_id);
    if (deleted) st.bind(6, "2026-01-02T00:00:00Z"); else st.bind(6);
    st.exec();
  }

  // The standard mix for tenant acme (source quotes).
  void seed_quotes_source() {
    opp("acme", "A", "quotes", "open", 100, 10.5, {});
    opp("acme", "B", "quotes", "open", 50, 60.5, {});
    opp("acme", "C", "quotes", "won", 200, 90.5, 5.5);
    opp("acme", "D", "quotes", "won", 300, 90.5, 40.5);   // closed outside 30 days
    opp("acme", "E", "quotes", "lost", 70, 90.5, 10.5);
    opp("acme", "F", "quotes", "open", 1000, 200.5, {}, /*deleted=*/true);
    opp("acme", "G", "quotes", "won", 400, 90.5, 2.5, /*deleted=*/true);
  }

  std::string col(const std::string& sql) { return text(sql); }
  double real(const std::string& sql) { return db().handle().execAndGet(sql).getDouble(); }
};

TEST_F(ViewsTest, PipelineCountsOpenAlwaysAndClosedWithinTheWindow) {
  seed_quotes_source();
  auto get = [&](const char* c) {
    return real("SELECT " + std::string(c) + " FROM cpq_pipeline WHERE tenant = 'acme'");
  };
  EXPECT_EQ(get("window_days"), 30);
  EXPECT_EQ(get("total_count"), 4);      // A B C E
  EXPECT_EQ(get("total_value"), 420);
  EXPECT_EQ(get("open_count"), 2);
  EXPECT_EQ(get("open_value"), 150);
  EXPECT_EQ(get("won_count"), 1);
  EXPECT_EQ(get("won_value"), 200);
  EXPECT_EQ(get("lost_count"), 1);
  EXPECT_EQ(get("lost_value"), 70);
  EXPECT_DOUBLE_EQ(get("win_rate"), 0.5);

  // The window comes from the settings table.
  db().handle().exec("UPDATE settings SET value = '45' WHERE key = 'pipeline_window_days'");
  EXPECT_EQ(get("won_count"), 2);
  EXPECT_EQ(get("won_value"), 500);
  EXPECT_DOUBLE_EQ(get("win_rate"), 2.0 / 3.0);
}

TEST_F(ViewsTest, WinRateIsNullWithoutClosedItems) {
  opp("solo", "X", "quotes", "open", 10, 3.5, {});
  opp("solo", "Y", "quotes", "won", 10, 90.5, 80.5);  // closed long ago: not counted
  EXPECT_EQ(col("SELECT typeof(win_rate) FROM cpq_pipeline WHERE tenant = 'solo'"), "null");
  EXPECT_EQ(scalar("SELECT total_count FROM cpq_pipeline WHERE tenant = 'solo'"), 1);
  auto p = cache.pipeline("solo", 30, now);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->win_rate.has_value());
  // A tenant with no items at all has no row (and the helper returns zeros).
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_pipeline WHERE tenant = 'nobody'"), 0);
  auto empty = cache.pipeline("nobody", 30, now);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->total_count, 0);
  EXPECT_FALSE(empty->win_rate.has_value());
}

TEST_F(ViewsTest, PipelineHelperMatchesTheView) {
  seed_quotes_source();
  opp("acme", "H", "quotes", "lost", 5, 90.5, 29.5);
  auto p = cache.pipeline("acme", 30, now);
  ASSERT_TRUE(p.ok());
  SQLite::Statement v(db().handle(), "SELECT * FROM cpq_pipeline WHERE tenant = 'acme'");
  ASSERT_TRUE(v.executeStep());
  EXPECT_EQ(p->total_count, v.getColumn("total_count").getInt64());
  EXPECT_EQ(p->total_value, v.getColumn("total_value").getDouble());
  EXPECT_EQ(p->open_count, v.getColumn("open_count").getInt64());
  EXPECT_EQ(p->won_value, v.getColumn("won_value").getDouble());
  EXPECT_EQ(p->lost_count, v.getColumn("lost_count").getInt64());
  EXPECT_EQ(p->lost_value, v.getColumn("lost_value").getDouble());
  EXPECT_DOUBLE_EQ(*p->win_rate, v.getColumn("win_rate").getDouble());
  // And a different window through the parameter.
  auto wide = cache.pipeline("acme", 60, now);
  EXPECT_EQ(wide->won_count, 2);
  EXPECT_EQ(wide->window_days, 60);
}

TEST_F(ViewsTest, BacklogListsOpenItemsOldestFirstWithAge) {
  seed_quotes_source();
  opp("acme", "N", "quotes", "open", 1, {}, {});  // no date_entered: last
  SQLite::Statement st(db().handle(),
      "SELECT id, age_days, stage, client_name FROM cpq_backlog WHERE tenant = 'acme'");
  std::vector<std::pair<std::string, std::string>> rows;
  while (st.executeStep()) {
    rows.emplace_back(st.getColumn(0).getString(),
                      st.getColumn(1).isNull() ? "null" : st.getColumn(1).getString());
  }
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"B", "60"}, {"A", "10"}, {"N", "null"}};
  EXPECT_EQ(rows, expected);

  auto items = cache.backlog("acme", 10, now);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].id, "B");
  EXPECT_EQ((*items)[0].age_days, 60);
  EXPECT_EQ((*items)[0].client_name, "Client B");
  EXPECT_TRUE((*items)[0].at_risk);
  EXPECT_FALSE((*items)[1].at_risk);
  EXPECT_EQ(cache.backlog("acme", 1, now)->size(), 1u);
}

TEST_F(ViewsTest, AtRiskHonoursTheSettingsThreshold) {
  seed_quotes_source();
  auto ids = [&] { return col("SELECT group_concat(id) FROM cpq_at_risk WHERE tenant = 'acme'"); };
  EXPECT_EQ(ids(), "B");  // 60 > 45; A is 10; F (200) is tombstoned
  EXPECT_EQ(scalar("SELECT at_risk_days FROM cpq_at_risk"), 45);
  db().handle().exec("UPDATE settings SET value = '5' WHERE key = 'at_risk_days'");
  EXPECT_EQ(ids(), "B,A");
  db().handle().exec("UPDATE settings SET value = '60' WHERE key = 'at_risk_days'");
  EXPECT_EQ(ids(), "<null>");  // 60 is not more than 60
  EXPECT_FALSE((*cache.backlog("acme", 0, now))[0].at_risk);
  db().handle().exec("UPDATE settings SET value = '59' WHERE key = 'at_risk_days'");
  EXPECT_EQ(ids(), "B");
}

TEST_F(ViewsTest, RecentWinsNewestFirstWithinWindow) {
  seed_quotes_source();
  opp("acme", "W", "quotes", "won", 10, 50.5, 1.5);
  EXPECT_EQ(col("SELECT group_concat(id) FROM cpq_recent_wins WHERE tenant = 'acme'"), "W,C");
  EXPECT_EQ(scalar("SELECT days_since_close FROM cpq_recent_wins WHERE id = 'C'"), 5);
  auto wins = cache.recent_wins("acme", 60, 0, now);
  ASSERT_TRUE(wins.ok());
  ASSERT_EQ(wins->size(), 3u);
  EXPECT_EQ((*wins)[2].id, "D");
}

TEST_F(ViewsTest, PsaValueIsTheSumOfLatestLinkedQuoteVersions) {
  opp("acme", "77", "psa", "open", 9999, 3.5, {});  // linked quotes win over the stored value
  opp("acme", "88", "psa", "open", {}, 3.5, {});
  opp("acme", "55", "psa", "open", {}, 3.5, {});   // nothing linked: 0
  quote("n1v1", 1, 1, 100, "77");
  quote("n1v2", 1, 2, 150, "77");                  // latest of 1: 150
  quote("n2v1", 2, 1, 40, "77");                   // 40
  quote("n3v1", 3, 1, 1000, "88");                 // other opportunity
  quote("n4v1", 4, 1, 10, "77", /*deleted=*/true); // tombstoned
  quote("n5v1", 5, 1, 20, "77");                   // latest live version of 5: 20
  quote("n5v2", 5, 2, 25, "77", /*deleted=*/true);
  quote("n6v1", 6, 1, 500, "77");                  // relinked: latest points at 99
  quote("n6v2", 6, 2, 600, "99");
  auto value = [&](const char* id) {
    return real(std::string("SELECT value FROM cpq_backlog WHERE id = '") + id + "'");
  };
  EXPECT_EQ(value("77"), 210);
  EXPECT_EQ(value("88"), 1000);
  EXPECT_EQ(value("55"), 0);
  EXPECT_EQ(real("SELECT open_value FROM cpq_pipeline WHERE tenant = 'acme'"), 1210);
  auto items = cache.backlog("acme", 0, now);
  ASSERT_TRUE(items.ok());
  double sum = 0;
  for (const auto& i : *items) sum += i.value;
  EXPECT_EQ(sum, 1210);
}

// Since schema v9 a psa item that no latest live quote version links to is
// worth its stored value (Autotask's amount); a ConnectWise item stores NULL
// and stays at 0.
TEST_F(ViewsTest, PsaValueWithoutLinkedQuotesIsTheStoredValue) {
  opp("acme", "1", "psa", "open", 700, 3.5, {});   // nothing linked: 700
  opp("acme", "2", "psa", "open", {}, 3.5, {});    // ConnectWise: NULL, so 0
  opp("acme", "3", "psa", "open", 800, 3.5, {});   // only a tombstoned version links: 800
  opp("acme", "4", "psa", "open", 900, 3.5, {});   // an older version links, the latest not: 900
  opp("acme", "5", "psa", "open", 950, 3.5, {});   // linked with no total: the sum, 0
  opp("acme", "6", "psa", "won", 40, 3.5, 2);
  quote("n1v1", 1, 1, 10, "3", /*deleted=*/true);
  quote("n2v1", 2, 1, 20, "4");
  quote("n2v2", 2, 2, 30, "99");
  {
    SQLite::Statement st(db().handle(),
        "INSERT INTO cpq_quotes (tenant, id, quote_number, quote_version, crm_opportunity_id, "
        "raw_json, synced_at) VALUES ('acme', 'n3v1', 3, 1, '5', '{}', 'x')");
    st.exec();
  }
  auto value = [&](const char* id) {
    return real(std::string("SELECT value FROM cpq_pipeline_items WHERE id = '") + id + "'");
  };
  EXPECT_EQ(value("1"), 700);
  EXPECT_EQ(value("2"), 0);
  EXPECT_EQ(value("3"), 800);
  EXPECT_EQ(value("4"), 900);
  EXPECT_EQ(value("5"), 0);
  EXPECT_EQ(real("SELECT open_value FROM cpq_pipeline WHERE tenant = 'acme'"), 2400);
  EXPECT_EQ(real("SELECT won_value FROM cpq_pipeline WHERE tenant = 'acme'"), 40);
  // The amount changes, then a quote is linked: the linked total replaces it.
  db().handle().exec("UPDATE cpq_opportunities SET value = 750 WHERE id = '1'");
  EXPECT_EQ(value("1"), 750);
  quote("n4v1", 4, 1, 125, "1");
  EXPECT_EQ(value("1"), 125);
  EXPECT_EQ(real("SELECT open_value FROM cpq_pipeline WHERE tenant = 'acme'"), 1825);
  db().handle().exec("DELETE FROM cpq_quotes WHERE id = 'n4v1'");
  EXPECT_EQ(value("1"), 750);
}

TEST_F(ViewsTest, RecentOpportunitiesAndTombstonesExcluded) {
  seed_quotes_source();
  auto recent = cache.recent_opportunities("acme", 0, now);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 5u);  // F and G are tombstoned
  EXPECT_EQ((*recent)[0].id, "C");  // last_updated 5.5 days ago
  for (const char* view : {"cpq_pipeline_items", "cpq_backlog", "cpq_recent_wins"}) {
    EXPECT_EQ(scalar(std::string("SELECT COUNT(*) FROM ") + view + " WHERE id IN ('F', 'G')"), 0)
        << view;
  }
}

}  // namespace
}  // namespace cwsync::storage
