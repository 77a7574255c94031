// The ticket cache table and the full-text index `search`: the triggers keep
// the index in step with upserts, renames and tombstones in the writer's own
// transaction; prefix search, the tenant and kind filters, bm25 order, and
// the cpq_clients view.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "storage/cache_store.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::at;

class SearchTest : public testing::DbTest {
 protected:
  CacheStore cache{db()};
  const TimePoint now = at("2026-11-20T10:00:00Z");

  static TicketRow ticket(const std::string& id, const std::string& summary,
                          const std::string& company, const std::string& contact = "Pat Customer") {
    TicketRow t;
    t.id = id;
    t.number = id;
    t.summary = summary;
    t.company = company;
    t.company_id = "C-" + company;
    t.contact = contact;
    t.status = "New";
    t.updated_at = at("2026-11-19T00:00:00Z");
    t.raw_json = "{}";
    return t;
  }
  static QuoteRow quote(const std::string& id, int number, int version, const std::string& name,
                        const std::string& account, double total) {
    QuoteRow q;
    q.id = id;
    q.quote_number = number;
    q.quote_version = version;
    q.name = name;
    q.account_name = account;
    q.quote_total = total;
    q.raw_json = "{}";
    return q;
  }
  template <typename F>
  void page(const std::string& tenant, F&& write) {
    auto w = cache.begin_page(tenant, now);
    ASSERT_TRUE(w.ok()) << w.error().describe();
    write(*w);
    auto c = w->commit();
    ASSERT_TRUE(c.ok()) << c.error().describe();
  }
  std::vector<SearchHit> find(const std::string& text, std::optional<std::string> tenant = {},
                              std::optional<std::string> kind = {}) {
    auto q = fts_query_from_text(text);
    EXPECT_TRUE(q.ok()) << text;
    if (!q.ok()) return {};
    auto hits = cache.search(*q, tenant, kind, 20);
    EXPECT_TRUE(hits.ok()) << hits.error().describe();
    return hits.ok() ? *hits : std::vector<SearchHit>{};
  }
  std::vector<std::string> ids(const std::vector<SearchHit>& hits) {
    std::vector<std::string> out;
    for (const auto& h : hits) out.push_back(h.kind + ":" + h.tenant + ":" + h.id);
    return out;
  }
  void tombstone_all_but(const std::string& tenant, Entity entity, std::vector<std::string> live) {
    auto rec = cache.begin_reconcile(tenant, entity);
    ASSERT_TRUE(rec.ok());
    ASSERT_TRUE(rec->add_live_ids(live).ok());
    auto applied = rec->apply(now);
    ASSERT_TRUE(applied.ok()) << applied.error().describe();
  }
};

TEST_F(SearchTest, TicketsAreFoundByWordsPrefixNumberCompanyAndContact) {
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "VPN drops every hour", "Contoso Ltd")).ok());
    ASSERT_TRUE(w.upsert_ticket(ticket("1002", "Network upgrade for T-100 switches", "Fabrikam",
                                       "Jordan Lee")).ok());
  });
  EXPECT_EQ(ids(find("vpn")), std::vector<std::string>{"ticket:acme:1001"});
  EXPECT_EQ(ids(find("network upgrade")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_EQ(ids(find("T-100")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_EQ(ids(find("netw*")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_EQ(ids(find("1001")), std::vector<std::string>{"ticket:acme:1001"});
  EXPECT_EQ(ids(find("contoso")), std::vector<std::string>{"ticket:acme:1001"});
  EXPECT_EQ(ids(find("jordan")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_TRUE(find("netw").empty());  // a whole word unless it ends in *
  auto hit = find("upgrade");
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_NE(hit[0].snippet.find("[upgrade]"), std::string::npos) << hit[0].snippet;
}

TEST_F(SearchTest, RenamesAndTombstonesLeaveTheIndexInStep) {
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Printer offline", "Contoso")).ok());
    ASSERT_TRUE(w.upsert_ticket(ticket("1002", "Printer jammed", "Contoso")).ok());
  });
  EXPECT_EQ(find("printer").size(), 2u);
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Scanner offline", "Contoso")).ok());
  });
  EXPECT_EQ(ids(find("printer")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_EQ(ids(find("scanner")), std::vector<std::string>{"ticket:acme:1001"});
  tombstone_all_but("acme", Entity::kTickets, {"1001"});
  EXPECT_TRUE(find("printer").empty());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search"), 1);
  // It comes back upstream: the next upsert clears the tombstone and indexes it again.
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("1002", "Printer jammed again", "Contoso")).ok());
  });
  EXPECT_EQ(ids(find("jammed")), std::vector<std::string>{"ticket:acme:1002"});
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search"), scalar("SELECT COUNT(*) FROM psa_tickets WHERE deleted_at IS NULL"));
}

TEST_F(SearchTest, QuotesAreIndexedOncePerNumberFromTheLatestLiveVersion) {
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_quote(quote("q1v1", 10001, 1, "Firewall refresh", "Contoso", 100)).ok());
    ASSERT_TRUE(w.upsert_quote(quote("q1v2", 10001, 2, "Firewall and Wi-Fi refresh", "Contoso", 150)).ok());
  });
  auto hits = find("firewall");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, "quote");
  EXPECT_EQ(hits[0].id, "10001");
  EXPECT_EQ(hits[0].title, "Firewall and Wi-Fi refresh");
  EXPECT_EQ(ids(find("10001")), std::vector<std::string>{"quote:acme:10001"});
  // The latest version goes: the index falls back to version 1; all go: nothing.
  tombstone_all_but("acme", Entity::kQuotes, {"q1v1"});
  hits = find("firewall");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].title, "Firewall refresh");
  tombstone_all_but("acme", Entity::kQuotes, {});
  EXPECT_TRUE(find("firewall").empty());
}

TEST_F(SearchTest, TenantAndKindFiltersAndRank) {
  OpportunityRow o;
  o.id = "4711";
  o.name = "Contoso network upgrade";
  o.client_name = "Contoso";
  o.raw_json = "{}";
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_opportunity(o).ok());
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Upgrade the switch", "Contoso")).ok());
    ASSERT_TRUE(w.upsert_quote(quote("q", 10002, 1, "Network upgrade", "Contoso", 10)).ok());
  });
  page("globex", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Network upgrade", "Globex")).ok());
  });
  EXPECT_EQ(find("upgrade").size(), 4u);
  EXPECT_EQ(ids(find("upgrade", "globex")), std::vector<std::string>{"ticket:globex:1001"});
  EXPECT_EQ(ids(find("upgrade", "acme", "opportunity")),
            std::vector<std::string>{"opportunity:acme:4711"});
  // Two words in the title rank above one.
  auto ranked = find("network upgrade", "acme");
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_LE(ranked[0].rank, ranked[1].rank);
}

TEST_F(SearchTest, TooManyMatchesListTheNewestInsteadOfRankingThemAll) {
  page("acme", [&](PageWriter& w) {
    for (int i = 0; i <= kSearchRankLimit; ++i) {
      ASSERT_TRUE(w.upsert_ticket(ticket(std::to_string(5000 + i), "printer jam", "Contoso")).ok());
    }
  });
  auto many = find("printer");
  ASSERT_EQ(many.size(), 20u);
  EXPECT_FALSE(many[0].ranked);
  EXPECT_EQ(many[0].id, std::to_string(5000 + kSearchRankLimit));  // the newest first
  EXPECT_EQ(many[1].id, std::to_string(5000 + kSearchRankLimit - 1));
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_ticket(ticket("9", "printer toner", "Contoso")).ok());
  });
  auto few = find("toner");
  ASSERT_EQ(few.size(), 1u);
  EXPECT_TRUE(few[0].ranked);
}

TEST_F(SearchTest, AWordInNearlyEveryRecordIsLeftOutWhileRarerWordsRemain) {
  page("acme", [&](PageWriter& w) {
    for (int i = 0; i <= kSearchFrequentWord; ++i) {
      ASSERT_TRUE(w.upsert_ticket(ticket(std::to_string(100000 + i), "Printer", "Acme Ltd")).ok());
    }
    ASSERT_TRUE(w.upsert_ticket(ticket("7", "Toner low", "Contoso")).ok());
  });
  // "ltd" is in more than kSearchFrequentWord records: "toner ltd" runs as "toner".
  EXPECT_EQ(ids(find("toner ltd")), std::vector<std::string>{"ticket:acme:7"});
  // A raw FTS5 query (not built from typed words) runs as given.
  auto raw = cache.search("toner AND ltd", std::nullopt, std::nullopt, 5);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->empty());
  // Only frequent words: nothing to leave out.
  EXPECT_EQ(find("printer ltd").size(), 20u);
}

TEST_F(SearchTest, UserTextIsQuotedAndRawSyntaxErrorsAreExplained) {
  EXPECT_EQ(*fts_query_from_text("network upgrade"), "\"network\" \"upgrade\"");
  EXPECT_EQ(*fts_query_from_text("  T-100  netw* "), "\"T-100\" \"netw\"*");
  EXPECT_EQ(*fts_query_from_text("say \"hi\""), "\"say\" \"\"\"hi\"\"\"");
  EXPECT_EQ(*fts_query_from_text("AND OR ("), "\"AND\" \"OR\" \"(\"");
  EXPECT_EQ(fts_query_from_text("  * ").error().kind, ErrorKind::kInvalidInput);
  auto bad = cache.search("\"unterminated", std::nullopt, std::nullopt, 5);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message.find("not a valid full-text query"), std::string::npos);
  EXPECT_EQ(cache.search("AND", std::nullopt, std::nullopt, 5).error().kind, ErrorKind::kInvalidInput);
}

TEST_F(SearchTest, TicketRowsRoundTrip) {
  TicketRow t = ticket("1001", "VPN", "Contoso");
  t.closed = true;
  t.closed_at = at("2026-11-18T00:00:00Z");
  t.owner = "Ann Smith";
  page("acme", [&](PageWriter& w) { ASSERT_TRUE(w.upsert_ticket(t).ok()); });
  auto got = cache.get_ticket("acme", "1001");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->row.summary, "VPN");
  EXPECT_EQ((*got)->row.owner, "Ann Smith");
  EXPECT_TRUE((*got)->row.closed);
  EXPECT_EQ((*got)->row.closed_at, t.closed_at);
  EXPECT_EQ((*got)->synced_at, now);
  EXPECT_FALSE((*got)->deleted_at);
  EXPECT_EQ(*cache.live_ticket_count("acme"), 1);
  EXPECT_FALSE(*cache.get_ticket("acme", "999"));
  EXPECT_EQ(cache.counts("acme")->tickets, 1);
}

// ---- schema 6: the index is brought up to date once per transaction --------

TEST_F(SearchTest, ABigPageLeavesNothingNotedAndAnIndexThatPassesItsIntegrityCheck) {
  page("acme", [&](PageWriter& w) {
    for (int n = 1; n <= 1500; ++n) {
      // Two versions of every third number: the latest one is indexed.
      ASSERT_TRUE(w.upsert_quote(quote("q" + std::to_string(n), n, 1, "Router swap " + std::to_string(n),
                                       "Contoso", 10)).ok());
      if (n % 3 == 0) {
        ASSERT_TRUE(w.upsert_quote(quote("q" + std::to_string(n) + "b", n, 2, "Switch swap",
                                         "Contoso", 10)).ok());
      }
    }
    // Noted inside the page, indexed only at its commit.
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 2000);
  });
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 0);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search WHERE kind = 'quote'"), 1500);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search WHERE search MATCH 'switch'"), 500);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search WHERE search MATCH 'router'"), 1000);
  db().handle().exec("INSERT INTO search (search) VALUES ('integrity-check')");  // throws if not

  tombstone_all_but("acme", Entity::kQuotes, {"q1", "q2", "q3b"});
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 0);
  EXPECT_EQ(text("SELECT group_concat(id) FROM (SELECT id FROM search ORDER BY rowid)"), "1,2,3");
  db().handle().exec("INSERT INTO search (search) VALUES ('integrity-check')");
}

TEST_F(SearchTest, APipelineItemDerivedFromAQuoteIsFoundOnceAsTheQuote) {
  OpportunityRow derived;
  derived.source = OpportunitySource::kQuotes;
  derived.id = "7";
  derived.name = "Firewall refresh";
  derived.client_name = "Contoso";
  derived.raw_json = "{}";
  OpportunityRow psa = derived;
  psa.source = OpportunitySource::kPsa;
  psa.id = "4711";
  psa.name = "Firewall support contract";
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_quote(quote("q1", 7, 1, "Firewall refresh", "Contoso", 10)).ok());
    ASSERT_TRUE(w.upsert_opportunity(derived).ok());
    ASSERT_TRUE(w.upsert_opportunity(psa).ok());
  });
  EXPECT_EQ(ids(find("firewall")),
            (std::vector<std::string>{"quote:acme:7", "opportunity:acme:4711"}));
  derived.name = "Firewall refresh, phase 2";  // a change to it notes nothing either
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_opportunity(derived).ok());
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 0);
  });
  EXPECT_TRUE(find("phase").empty());
}

TEST_F(SearchTest, RewritingAnUnchangedRowNotesNothing) {
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_quote(quote("q1", 7, 1, "Firewall", "Contoso", 10)).ok());
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Printer offline", "Contoso")).ok());
  });
  page("acme", [&](PageWriter& w) {
    QuoteRow same = quote("q1", 7, 1, "Firewall", "Contoso", 99);  // total is not indexed
    ASSERT_TRUE(w.upsert_quote(same).ok());
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Printer offline", "Contoso")).ok());
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 0);
    ASSERT_TRUE(w.upsert_ticket(ticket("1001", "Printer back online", "Contoso")).ok());
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 1);
  });
  EXPECT_EQ(ids(find("online")), std::vector<std::string>{"ticket:acme:1001"});
}

TEST_F(SearchTest, AHandEditIsIndexedByTheNextRunOfAnyTenantEvenAnIdleOne) {
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_quote(quote("q1", 7, 1, "Firewall", "Contoso", 10)).ok());
  });
  db().handle().exec("UPDATE cpq_quotes SET name = 'Zebra crossing' WHERE id = 'q1'");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 1);
  EXPECT_TRUE(find("zebra").empty());  // noted, not yet indexed
  // An idle run of another tenant writes no page, only its sync_runs row.
  auto run = cache.start_run("other", Entity::kTickets, RunKind::kIncremental, now);
  ASSERT_TRUE(run.ok());
  RunOutcome idle;
  idle.status = RunStatus::kOk;
  ASSERT_TRUE(cache.finish_run(*run, idle, now).ok());
  EXPECT_EQ(ids(find("zebra")), std::vector<std::string>{"quote:acme:7"});
  EXPECT_TRUE(find("firewall").empty());
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM search_pending"), 0);
}

TEST(SearchUpgradeTest, Version5IndexSurvivesTheUpgradeAndFollowsLaterWrites) {
  testing::TempDir dir;
  auto opened = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(opened.ok());
  Database& db = *opened;
  ASSERT_TRUE(migrate_to(db, 5).ok());
  // Rows written under version 5 (its row triggers index them at once).
  db.handle().exec(
      "INSERT INTO cpq_quotes (tenant, id, quote_number, name, account_name, raw_json, synced_at) "
      "VALUES ('acme', 'q1', 7, 'Firewall refresh', 'Contoso', '{}', '2026-11-20T00:00:00Z'), "
      "       ('acme', 'q2', 8, 'Wi-Fi survey', 'Fabrikam', '{}', '2026-11-20T00:00:00Z')");
  // Version 5 also indexed the pipeline item derived from quote 7.
  db.handle().exec(
      "INSERT INTO cpq_opportunities (tenant, id, source, name, status, raw_json, synced_at) "
      "VALUES ('acme', '7', 'quotes', 'Firewall refresh', 'open', '{}', '2026-11-20T00:00:00Z')");
  ASSERT_EQ(db.handle().execAndGet("SELECT COUNT(*) FROM search WHERE kind = 'opportunity'").getInt(), 1);
  ASSERT_TRUE(migrate(db).ok());
  EXPECT_EQ(db.handle().execAndGet("SELECT COUNT(*) FROM search WHERE kind = 'opportunity'").getInt(), 0);
  EXPECT_EQ(db.handle().execAndGet("PRAGMA user_version").getInt(), latest_schema_version());
  CacheStore cache(db);
  auto count = [&](const char* match) {
    SQLite::Statement st(db.handle(), "SELECT COUNT(*) FROM search WHERE search MATCH ?");
    st.bind(1, match);
    st.executeStep();
    return st.getColumn(0).getInt();
  };
  EXPECT_EQ(count("firewall"), 1);
  EXPECT_EQ(count("survey"), 1);
  auto w = cache.begin_page("acme", testing::at("2026-11-21T00:00:00Z"));
  ASSERT_TRUE(w.ok());
  QuoteRow renamed;
  renamed.id = "q1";
  renamed.quote_number = 7;
  renamed.quote_version = 1;
  renamed.name = "Firewall replacement";
  renamed.account_name = "Contoso";
  renamed.raw_json = "{}";
  ASSERT_TRUE(w->upsert_quote(renamed).ok());
  ASSERT_TRUE(w->commit().ok());
  EXPECT_EQ(count("refresh"), 0);
  EXPECT_EQ(count("replacement"), 1);
  EXPECT_EQ(count("survey"), 1);
  db.handle().exec("INSERT INTO search (search) VALUES ('integrity-check')");
}

TEST_F(SearchTest, ClientsViewSummarisesLatestLiveQuotesPerAccount) {
  QuoteRow won = quote("w", 1, 1, "A", "Contoso", 100);
  won.is_accepted = true;
  QuoteRow lost = quote("l", 2, 1, "B", "Contoso", 50);
  lost.is_lost = true;
  page("acme", [&](PageWriter& w) {
    ASSERT_TRUE(w.upsert_quote(won).ok());
    ASSERT_TRUE(w.upsert_quote(lost).ok());
    ASSERT_TRUE(w.upsert_quote(quote("o1", 3, 1, "C", "Contoso", 10)).ok());
    ASSERT_TRUE(w.upsert_quote(quote("o2", 3, 2, "C", "Contoso", 20)).ok());  // latest of 3
    ASSERT_TRUE(w.upsert_quote(quote("f", 4, 1, "D", "Fabrikam", 5)).ok());
  });
  SQLite::Statement st(db().handle(),
      "SELECT quote_count, open_count, won_count, lost_count, total_value, won_value "
      "FROM cpq_clients WHERE tenant = 'acme' AND account = 'Contoso'");
  ASSERT_TRUE(st.executeStep());
  EXPECT_EQ(st.getColumn(0).getInt(), 3);
  EXPECT_EQ(st.getColumn(1).getInt(), 1);
  EXPECT_EQ(st.getColumn(2).getInt(), 1);
  EXPECT_EQ(st.getColumn(3).getInt(), 1);
  EXPECT_DOUBLE_EQ(st.getColumn(4).getDouble(), 170);
  EXPECT_DOUBLE_EQ(st.getColumn(5).getDouble(), 100);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM cpq_clients"), 2);
}

}  // namespace
}  // namespace cwsync::storage
