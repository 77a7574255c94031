#include "storage/cache_store.h"

#include <stdexcept>

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::at;

QuoteRow quote(std::string id, std::int64_t number, int version, double total,
               const char* modified = "2026-11-01T10:00:00Z") {
  QuoteRow q;
  q.id = std::move(id);
  q.quote_number = number;
  q.quote_version = version;
  q.name = "Quote " + std::to_string(number);
  q.quote_total = total;
  q.modify_date = at(modified);
  q.raw_json = R"({"id":")" + q.id + R"(","quoteTotal":)" + std::to_string(total) + "}";
  return q;
}

QuoteItemRow item(std::string id, std::string quote_id, std::int64_t sort) {
  QuoteItemRow i;
  i.id = std::move(id);
  i.quote_id = std::move(quote_id);
  i.sort_order = sort;
  i.quantity = 2;
  i.price = 10.5;
  i.is_optional = false;
  i.raw_json = "{}";
  return i;
}

class CacheStoreTest : public testing::DbTest {
 protected:
  CacheStore cache{db()};
  const TimePoint t0 = at("2026-11-23T10:00:00Z");

  void write_quotes(std::vector<QuoteRow> rows, TimePoint now) {
    auto page = cache.begin_page("acme", now);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    for (const auto& q : rows) ASSERT_TRUE(page->upsert_quote(q).ok());
    ASSERT_TRUE(page->commit().ok());
  }
};

TEST_F(CacheStoreTest, UpsertUpdatesInPlaceAndKeepsOneRow) {
  write_quotes({quote("q1", 100, 1, 10.0)}, t0);
  auto changed = quote("q1", 100, 1, 25.0, "2026-11-02T10:00:00Z");
  changed.crm_opportunity_id = "77";
  write_quotes({changed}, t0 + std::chrono::minutes(5));

  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes"), 1);
  auto got = cache.get_quote("acme", "q1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->quote_total, 25.0);
  EXPECT_EQ((*got)->crm_opportunity_id, "77");
  EXPECT_EQ(format_iso8601(*(*got)->modify_date), "2026-11-02T10:00:00Z");
  EXPECT_EQ((*got)->raw_json, changed.raw_json);
  EXPECT_EQ(text("SELECT synced_at FROM cpq_quotes"), "2026-11-23T10:05:00Z");
  // Another tenant with the same id is another row.
  auto page = cache.begin_page("other", t0);
  ASSERT_TRUE(page->upsert_quote(changed).ok());
  ASSERT_TRUE(page->commit().ok());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes"), 2);
}

TEST_F(CacheStoreTest, FailedStatementMidPageLeavesRowsAndCursorUnchanged) {
  write_quotes({quote("q1", 100, 1, 10.0)}, t0);
  {
    auto page = cache.begin_page("acme", t0);
    ASSERT_TRUE(page->advance_cursor(Entity::kQuotes, {at("2026-11-01T00:00:00Z"), "q1"}).ok());
    ASSERT_TRUE(page->commit().ok());
  }
  auto page = cache.begin_page("acme", t0 + std::chrono::minutes(1));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->upsert_quote(quote("q1", 100, 1, 99.0)).ok());
  EXPECT_TRUE(page->upsert_quote(quote("q2", 101, 1, 5.0)).ok());
  EXPECT_TRUE(page->advance_cursor(Entity::kQuotes, {at("2026-11-05T00:00:00Z"), "q2"}).ok());
  const auto bad = page->upsert_quote(quote("", 102, 1, 1.0));  // violates CHECK (id <> '')
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kDatabase);
  // Poisoned: later steps and commit fail, nothing lands.
  EXPECT_FALSE(page->upsert_quote(quote("q3", 103, 1, 1.0)).ok());
  EXPECT_FALSE(page->commit().ok());

  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes"), 1);
  EXPECT_EQ(scalar("SELECT quote_total FROM cpq_quotes WHERE id = 'q1'"), 10);
  auto cursor = cache.cursor("acme", Entity::kQuotes);
  ASSERT_TRUE(cursor.ok());
  ASSERT_TRUE(cursor->has_value());
  EXPECT_EQ((*cursor)->id, "q1");
  EXPECT_EQ(format_iso8601((*cursor)->modified_at), "2026-11-01T00:00:00Z");
  // The write lock was released: another writer gets through at once.
  auto again = cache.begin_page("acme", t0);
  EXPECT_TRUE(again.ok());
}

TEST_F(CacheStoreTest, ExceptionMidPageRollsBackEverything) {
  try {
    auto page = cache.begin_page("acme", t0);
    ASSERT_TRUE(page.ok());
    ASSERT_TRUE(page->upsert_quote(quote("q1", 100, 1, 10.0)).ok());
    ASSERT_TRUE(page->advance_cursor(Entity::kQuotes, {t0, "q1"}).ok());
    throw std::runtime_error("mapper blew up");  // e.g. the caller's JSON mapping
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes"), 0);
  auto cursor = cache.cursor("acme", Entity::kQuotes);
  ASSERT_TRUE(cursor.ok());
  EXPECT_FALSE(cursor->has_value());
}

TEST_F(CacheStoreTest, CursorOnlyMovesForwardUntilReset) {
  auto advance = [&](const char* when, const char* id) {
    auto page = cache.begin_page("acme", t0);
    EXPECT_TRUE(page->advance_cursor(Entity::kQuotes, {at(when), id}).ok());
    auto stats = page->commit();
    EXPECT_TRUE(stats.ok());
    return stats->cursor_advanced;
  };
  EXPECT_TRUE(advance("2026-11-02T00:00:00Z", "b"));
  EXPECT_FALSE(advance("2026-11-01T00:00:00Z", "z"));   // older
  EXPECT_FALSE(advance("2026-11-02T00:00:00Z", "a"));   // same time, smaller id
  EXPECT_TRUE(advance("2026-11-02T00:00:00Z", "c"));    // same time, larger id
  EXPECT_EQ((*cache.cursor("acme", Entity::kQuotes))->id, "c");
  EXPECT_FALSE(cache.cursor("acme", Entity::kOpportunities)->has_value());
  ASSERT_TRUE(cache.reset_cursor("acme", Entity::kQuotes, t0).ok());
  EXPECT_FALSE(cache.cursor("acme", Entity::kQuotes)->has_value());
  EXPECT_TRUE(advance("2026-10-01T00:00:00Z", "a"));
}

TEST_F(CacheStoreTest, ReplaceItemsUpsertsAndTombstonesTheRest) {
  write_quotes({quote("q1", 100, 1, 10.0)}, t0);
  auto page = cache.begin_page("acme", t0);
  ASSERT_TRUE(page->replace_items("q1", {item("i1", "q1", 2), item("i2", "q1", 1),
                                         item("i3", "q1", 3)}).ok());
  ASSERT_TRUE(page->commit().ok());
  page = cache.begin_page("acme", t0 + std::chrono::hours(1));
  ASSERT_TRUE(page->replace_items("q1", {item("i1", "q1", 2), item("i2", "q1", 1)}).ok());
  auto stats = page->commit();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->items, 2);
  EXPECT_EQ(stats->items_tombstoned, 1);

  auto items = cache.quote_items("acme", "q1");
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].id, "i2");  // sort order
  EXPECT_EQ((*items)[0].price, 10.5);
  EXPECT_EQ((*items)[0].is_optional, false);
  EXPECT_EQ((*items)[0].is_selected, std::nullopt);
  EXPECT_EQ(text("SELECT deleted_at FROM cpq_quote_items WHERE id = 'i3'"), "2026-11-23T11:00:00Z");

  // An item of another quote is refused and poisons the page.
  page = cache.begin_page("acme", t0);
  const auto st = page->replace_items("q1", {item("i9", "q2", 1)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalidInput);
  EXPECT_FALSE(page->commit().ok());
}

TEST_F(CacheStoreTest, ReplaceItemsSweepsEveryQuoteOfThePageAndOnlyThem) {
  write_quotes({quote("q1", 1, 1, 1), quote("q2", 2, 1, 1), quote("q3", 3, 1, 1)}, t0);
  auto page = cache.begin_page("acme", t0);
  ASSERT_TRUE(page->replace_items("q1", {item("a1", "q1", 1), item("a2", "q1", 2)}).ok());
  ASSERT_TRUE(page->replace_items("q2", {item("b1", "q2", 1), item("b2", "q2", 2)}).ok());
  ASSERT_TRUE(page->replace_items("q3", {item("c1", "q3", 1)}).ok());
  ASSERT_TRUE(page->commit().ok());

  page = cache.begin_page("acme", t0 + std::chrono::hours(1));
  ASSERT_TRUE(page->replace_items("q1", {item("a2", "q1", 2), item("a3", "q1", 3)}).ok());
  ASSERT_TRUE(page->replace_items("q2", {}).ok());  // every item removed upstream
  // q1 listed again in the same page: its last list is what stays live.
  ASSERT_TRUE(page->replace_items("q1", {item("a3", "q1", 3)}).ok());
  auto stats = page->commit();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->items, 3);
  EXPECT_EQ(stats->items_tombstoned, 4);  // a1, a2, b1, b2

  EXPECT_EQ(text("SELECT group_concat(id, ',') FROM (SELECT id FROM cpq_quote_items "
                 "WHERE deleted_at IS NULL ORDER BY id)"),
            "a3,c1");  // q3 was not in the page: untouched
  EXPECT_EQ(text("SELECT deleted_at FROM cpq_quote_items WHERE id = 'a2'"), "2026-11-23T11:00:00Z");
}

TEST_F(CacheStoreTest, ReconcileTombstonesMissingAndRevivesReappearing) {
  write_quotes({quote("q1", 1, 1, 1), quote("q2", 2, 1, 1), quote("q3", 3, 1, 1),
                quote("q4", 4, 1, 1)}, t0);
  auto page = cache.begin_page("acme", t0);
  ASSERT_TRUE(page->replace_items("q3", {item("i1", "q3", 1)}).ok());
  ASSERT_TRUE(page->commit().ok());

  auto rec = cache.begin_reconcile("acme", Entity::kQuotes);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(rec->add_live_ids({"q1", "q2", "q1"}).ok());
  auto counts = rec->count();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->live_ids, 2);
  EXPECT_EQ(counts->live_rows, 4);
  EXPECT_EQ(counts->missing, 2);
  EXPECT_DOUBLE_EQ(counts->delete_ratio(), 0.5);
  // Over the ratio: refused, nothing changes.
  auto refused = rec->apply(t0, 0.4);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes WHERE deleted_at IS NOT NULL"), 0);

  const TimePoint t1 = t0 + std::chrono::hours(24);
  auto applied = rec->apply(t1, 0.5);
  ASSERT_TRUE(applied.ok()) << applied.error().describe();
  EXPECT_EQ(applied->missing, 2);
  EXPECT_EQ(applied->items_tombstoned, 1);
  EXPECT_EQ(text("SELECT group_concat(id) FROM (SELECT id FROM cpq_quotes "
                 "WHERE deleted_at IS NOT NULL ORDER BY id)"), "q3,q4");
  EXPECT_EQ(text("SELECT deleted_at FROM cpq_quote_items WHERE id = 'i1'"), "2026-11-24T10:00:00Z");
  EXPECT_FALSE(cache.get_quote("acme", "q3")->has_value());
  EXPECT_EQ(format_iso8601(*(*cache.sync_states("acme"))[0].last_reconcile_at),
            "2026-11-24T10:00:00Z");

  // q4 reappears in the next reconcile; q3 comes back through an upsert.
  auto rec2 = cache.begin_reconcile("acme", Entity::kQuotes);
  ASSERT_TRUE(rec2->add_live_ids({"q1", "q2", "q4"}).ok());
  auto again = rec2->apply(t1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reappeared, 1);
  EXPECT_EQ(again->missing, 0);
  write_quotes({quote("q3", 3, 1, 1)}, t1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_quotes WHERE deleted_at IS NULL"), 4);
}

TEST_F(CacheStoreTest, ReconcileOfAHundredThousandIdsIsFast) {
  std::vector<std::string> ids;
  ids.reserve(100000);
  for (int i = 0; i < 100000; ++i) ids.push_back("id-" + std::to_string(i));
  const auto started = std::chrono::steady_clock::now();
  auto rec = cache.begin_reconcile("acme", Entity::kOpportunities);
  ASSERT_TRUE(rec->add_live_ids(ids).ok());
  auto counts = rec->apply(t0);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->live_ids, 100000);
  // Generous bound (sanitizer builds); typically well under a second.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(CacheStoreTest, RunsUpdateSyncState) {
  auto run = cache.start_run("acme", Entity::kQuotes, RunKind::kIncremental, t0);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(cache.finish_run(*run, {RunStatus::kFailed, 2, 3, 0, 0, "HTTP 503"},
                               t0 + std::chrono::seconds(5)).ok());
  auto states = cache.sync_states();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].last_error, "HTTP 503");
  EXPECT_FALSE((*states)[0].last_incremental_at.has_value());

  auto ok_run = cache.start_run("acme", Entity::kQuotes, RunKind::kIncremental, t0);
  ASSERT_TRUE(cache.finish_run(*ok_run, {RunStatus::kOk, 4, 5, 100, 0, {}},
                               t0 + std::chrono::minutes(1)).ok());
  states = cache.sync_states("acme");
  EXPECT_FALSE((*states)[0].last_error.has_value());
  EXPECT_EQ(format_iso8601(*(*states)[0].last_incremental_at), "2026-11-23T10:01:00Z");

  auto runs = cache.recent_runs(std::nullopt, 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, *ok_run);
  EXPECT_EQ((*runs)[0].outcome.upserted, 100);
  EXPECT_EQ((*runs)[1].outcome.status, RunStatus::kFailed);
  EXPECT_EQ((*runs)[1].outcome.error, "HTTP 503");

  EXPECT_EQ(cache.finish_run(9999, {}, t0).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(cache.finish_run(*run, RunOutcome{RunStatus::kRunning, 0, 0, 0, 0, {}}, t0).error().kind,
            ErrorKind::kInvalidInput);
}

TEST_F(CacheStoreTest, MetaAndSettingsRoundTrip) {
  EXPECT_FALSE(cache.get_meta("acme", "statuses")->has_value());
  ASSERT_TRUE(cache.put_meta("acme", "statuses", R"([{"id":1,"wonFlag":true}])", t0).ok());
  ASSERT_TRUE(cache.put_meta("acme", "statuses", R"([{"id":2}])", t0).ok());
  EXPECT_EQ(**cache.get_meta("acme", "statuses"), R"([{"id":2}])");
  EXPECT_FALSE(cache.put_meta("acme", "bad", "{not json", t0).ok());

  EXPECT_EQ(*cache.setting_int("at_risk_days", 0), 45);
  ASSERT_TRUE(cache.set_setting("at_risk_days", "60").ok());
  EXPECT_EQ(*cache.setting_int("at_risk_days", 0), 60);
  ASSERT_TRUE(cache.set_setting("at_risk_days", "sixty").ok());
  EXPECT_EQ(*cache.setting_int("at_risk_days", 45), 45);
  EXPECT_EQ(*cache.setting_int("missing", 7), 7);
}

TEST_F(CacheStoreTest, CountsAndTenants) {
  write_quotes({quote("q1", 1, 1, 1), quote("q2", 2, 1, 1)}, t0);
  auto rec = cache.begin_reconcile("acme", Entity::kQuotes);
  ASSERT_TRUE(rec->add_live_ids({"q1"}).ok());
  ASSERT_TRUE(rec->apply(t0).ok());
  auto c = cache.counts("acme");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->quotes, 1);
  EXPECT_EQ(c->quotes_deleted, 1);
  EXPECT_EQ(*cache.tenants(), std::vector<std::string>{"acme"});
}

}  // namespace
}  // namespace cwsync::storage
