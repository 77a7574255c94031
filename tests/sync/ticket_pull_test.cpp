// The ConnectWise ticket cache against cwsim: the incremental pull (closed
// window, ties at one lastUpdated across a page boundary, idle cost), the
// count drift check and the reconcile of deleted tickets with the
// mass-delete guard, and the search index following the pulled rows.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include "sync/connectwise/ticket_puller.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

class TicketPullTest : public PullTest {
 protected:
  void SetUp() override {
    auto o = pull_sim_options(20, 10);
    o.tickets = 120;
    start(o);
    tenant_.tickets.enabled = true;
    tenant_.tickets.closed_for_days = 90;
  }
  // Every upstream ticket inside the window equals its live cached row.
  void expect_window_matches_upstream() {
    const TimePoint cutoff = SystemClock::instance().now() - std::chrono::hours(24 * 90);
    json tickets = sim_->control("GET", "/_sim/store/tickets").body["tickets"];
    std::int64_t in_window = 0;
    for (const json& t : tickets) {
      const bool closed = t.value("closedFlag", false);
      if (closed && !(upstream_time(t["closedDate"]) > cutoff)) continue;
      ++in_window;
      auto row = cached(t["id"].get<std::int64_t>());
      ASSERT_TRUE(row) << "ticket " << t["id"] << " missing";
      EXPECT_FALSE(row->deleted_at) << t["id"];
      EXPECT_EQ(row->row.summary, t["summary"].get<std::string>());
      EXPECT_EQ(row->row.status, t["status"]["name"].get<std::string>());
      EXPECT_EQ(row->row.company, t["company"]["name"].get<std::string>());
      EXPECT_EQ(row->row.contact, t["contact"]["name"].get<std::string>());
      EXPECT_EQ(row->row.closed, closed);
      EXPECT_EQ(row->row.updated_at, upstream_time(t["_info"]["lastUpdated"]));
    }
    EXPECT_EQ(live_tickets(), in_window);
  }
  std::int64_t closed_status() {
    const json statuses = sim_->control("GET", "/_sim/store/boards").body["statuses"];
    for (const json& s : statuses) {
      if (s["closedStatus"].get<bool>()) return s["id"].get<std::int64_t>();
    }
    return 0;
  }
  std::vector<json> ticket_requests() { return requests_to("/service/tickets"); }
};

TEST_F(TicketPullTest, InitialPullTakesTheWindowAndAnIdleCycleIsOneRequest) {
  const std::int64_t closed = closed_status();
  ASSERT_NE(closed, 0);
  mutate({{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1001}},
          {"fields", {{"status", {{"id", closed}}}}}, {"timestamp", "2026-03-01T00:00:00Z"}});
  mutate({{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1002}},
          {"fields", {{"status", {{"id", closed}}}}}, {"timestamp", "2026-11-10T00:00:00Z"}});
  auto r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.upserted, 119);
  EXPECT_EQ(r.stats.pages, 3);  // page size 50
  expect_window_matches_upstream();
  EXPECT_FALSE(cached(1001));  // closed before the window: never fetched
  ASSERT_TRUE(cached(1002));
  EXPECT_TRUE(cached(1002)->row.closed);
  EXPECT_EQ(cached(1002)->row.closed_at, *parse_iso8601("2026-11-10T00:00:00Z"));
  auto first = ticket_requests();
  ASSERT_FALSE(first.empty());
  const std::string q = first[0]["query"].get<std::string>();
  EXPECT_NE(q.find("closedFlag"), std::string::npos) << q;
  EXPECT_NE(q.find("orderBy"), std::string::npos) << q;

  clear_requests();
  r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok());
  auto idle = ticket_requests();
  ASSERT_EQ(idle.size(), 1u) << json(idle).dump();
  EXPECT_NE(idle[0]["query"].get<std::string>().find("lastUpdated"), std::string::npos);
  EXPECT_EQ(r.stats.upserted, 0);
}

TEST_F(TicketPullTest, TiesAtOneLastUpdatedAcrossAPageBoundaryAreNeverLost) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  // 75 tickets share one second: two pages of 50 hold them.
  json ids = json::array();
  for (int k = 0; k < 75; ++k) ids.push_back(1010 + k);
  mutate({{"entity", "tickets"}, {"kind", "modify"}, {"ids", ids},
          {"fields", {{"summary", "Tied update"}}}, {"timestamp", "2026-11-26T08:00:00Z"}});
  auto r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.upserted, 75);
  // More rows land in that same second (ids above the cursor's): still read.
  auto created = mutate({{"entity", "tickets"}, {"kind", "create"}, {"count", 3},
                         {"timestamp", "2026-11-26T08:00:00Z"}});
  r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.upserted, 3);  // the 75 already stored are skipped
  for (const json& id : created["affected"]) EXPECT_TRUE(cached(id.get<std::int64_t>())) << id;
  expect_window_matches_upstream();
  expect_ticket_cursor("2026-11-26T08:00:00Z");
}

TEST_F(TicketPullTest, ReconcileChecksTheCountAndTombstonesDeletedTickets) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  expect_count_checked_ticket_reconcile(
      "/service/tickets", "/service/tickets/count",
      {{"entity", "tickets"}, {"kind", "delete"}, {"ids", {1003, 1004, 1005}}},
      [](const json& e) {
        return e["query"].get<std::string>().find("fields=id") != std::string::npos;
      });
  // A deleted ticket is no longer found by search.
  auto gone = cache().search("\"1003\"", std::string("acme"), std::string("ticket"), 5);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->empty());
  EXPECT_EQ(db_->handle().execAndGet("SELECT COUNT(*) FROM search WHERE kind = 'ticket'").getInt64(),
            117);
}

TEST_F(TicketPullTest, MassDeleteIsRefusedAndChangesNothing) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  mutate({{"entity", "tickets"}, {"kind", "delete"}, {"count", 80}});
  LogCapture logs;
  auto r = pass(PassEntity::kReconcile);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(live_tickets(), 120);
  auto refused = logs.events("reconcile_refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["entity"], "tickets");
  EXPECT_EQ(refused[0]["would_delete"], 80);
}

TEST_F(TicketPullTest, ATicketLeavingTheWindowIsRefreshedNotTombstonedAndDisabledTenantsSkip) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  // Closed long ago (closedDate before the window, updated now): the pull
  // no longer lists it, and the window listing lacks it. It still exists, so
  // the reconcile keeps it, stored as upstream has it now (closed).
  mutate({{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1007}},
          {"fields", {{"closedFlag", true}, {"closedDate", "2026-01-05T00:00:00Z"}}},
          {"timestamp", "2026-11-27T00:00:00Z"}});
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  EXPECT_FALSE(cached(1007)->row.closed);
  clear_requests();
  ASSERT_TRUE(pass(PassEntity::kReconcile).status.ok());
  EXPECT_FALSE(cached(1007)->deleted_at);
  EXPECT_TRUE(cached(1007)->row.closed);
  // The count, the window's id pages, and one `id in (1007)` listing.
  int confirms = 0;
  for (const json& e : ticket_requests()) {
    confirms += e["query"].get<std::string>().find("conditions=id%20in%20%281007%29") !=
                std::string::npos;
  }
  EXPECT_EQ(confirms, 1) << json(ticket_requests()).dump();
  // Refreshed, it left the local window too: the next reconcile is idle.
  clear_requests();
  ASSERT_TRUE(pass(PassEntity::kReconcile).status.ok());
  EXPECT_EQ(ticket_requests().size(), 1u) << json(ticket_requests()).dump();
  EXPECT_FALSE(cached(1007)->deleted_at);
  // A tenant without tickets: the pass does nothing.
  tenant_.tickets.enabled = false;
  clear_requests();
  auto r = pass(PassEntity::kTickets);
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(ticket_requests().empty());
}

}  // namespace
}  // namespace cwsync::test
