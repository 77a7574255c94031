// The Autotask ticket cache against cwsim's Autotask personality: the
// Tickets/query pull (window, picklist labels, company and contact names,
// idle cost, ties at one lastActivityDate across a page boundary) and the
// count check and reconcile of deleted tickets with the mass-delete guard.
#include <gtest/gtest.h>

#include "sync/autotask/at_tickets.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

class AutotaskTicketPullTest : public PullTest {
 protected:
  void SetUp() override { start_with(120); }
  void start_with(int tickets) {
    auto o = pull_sim_options(5, 5);
    o.tickets = tickets;
    start(o);
    tenant_.cpq.reset();
    tenant_.psa = sim_autotask(*sim_, sim_->options());
    tenant_.tickets.enabled = true;
    tenant_.tickets.closed_for_days = 90;
    rebuild_clients();
  }
  std::map<std::int64_t, json> upstream() {
    return sim_->with_store([](cwsim::Store& s) { return s.at.tickets; });
  }
  json close(std::int64_t id, const std::string& completed) {
    return mutate({{"entity", "autotask_tickets"},
                   {"ids", {id}},
                   {"fields", {{"status", kAutotaskTicketComplete}, {"completedDate", completed}}},
                   {"timestamp", "2026-11-20T00:00:00Z"}});
  }
};

TEST_F(AutotaskTicketPullTest, InitialPullTakesTheWindowWithNamesAndAnIdleCycleIsCheap) {
  close(1001, "2026-03-01T00:00:00.000Z");  // completed before the window
  close(1002, "2026-11-10T00:00:00.000Z");
  auto r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.upserted, 119);
  EXPECT_EQ(live_tickets(), 119);
  EXPECT_FALSE(cached(1001));
  ASSERT_TRUE(cached(1002));
  EXPECT_TRUE(cached(1002)->row.closed);
  EXPECT_EQ(cached(1002)->row.status, "Complete");
  EXPECT_EQ(cached(1002)->row.closed_at, *parse_iso8601("2026-11-10T00:00:00Z"));

  const auto companies = sim_->with_store([](cwsim::Store& s) {
    std::map<std::int64_t, std::string> co;
    for (std::size_t k = 0; k < s.accounts.size(); ++k) {
      co[200 + static_cast<std::int64_t>(k)] = s.accounts[k].name;
    }
    return co;
  });
  // Resources are the PSA members: their names are the tickets' owners.
  const auto people = sim_->with_store([](cwsim::Store& s) {
    std::map<std::int64_t, std::string> by_id;
    for (const auto& m : s.members) {
      by_id[m["id"].get<std::int64_t>()] =
          m["firstName"].get<std::string>() + " " + m["lastName"].get<std::string>();
    }
    return by_id;
  });
  int owned = 0;
  for (const auto& [id, t] : upstream()) {
    if (id == 1001) continue;
    auto row = cached(id);
    ASSERT_TRUE(row) << id;
    EXPECT_EQ(row->row.provider, "autotask");
    EXPECT_EQ(row->row.number, t["ticketNumber"].get<std::string>());
    EXPECT_EQ(row->row.summary, t["title"].get<std::string>());
    EXPECT_EQ(row->row.company, companies.at(t["companyID"].get<std::int64_t>())) << id;
    EXPECT_TRUE(row->row.contact.has_value()) << id;
    if (t["assignedResourceID"].is_null()) {
      EXPECT_FALSE(row->row.owner_identifier) << id;
      EXPECT_FALSE(row->row.owner) << id;
    } else {
      const auto resource = t["assignedResourceID"].get<std::int64_t>();
      EXPECT_EQ(row->row.owner_identifier, std::to_string(resource)) << id;
      EXPECT_EQ(row->row.owner, people.at(resource)) << id;
      ++owned;
    }
    EXPECT_TRUE(row->row.priority.has_value()) << id;
    EXPECT_EQ(row->row.board, t["queueID"] == 8 ? "Level I Support" : "Level II Support");
    EXPECT_EQ(row->row.updated_at, upstream_time(t["lastActivityDate"]));
    EXPECT_EQ(json::parse(row->row.raw_json), t) << "the server's bytes";
  }
  EXPECT_GT(owned, 50) << "most tickets have an assigned resource";
  auto first = requests_to("Tickets/query");
  ASSERT_EQ(first.size(), 1u) << "120 rows fit one page of 500";
  EXPECT_NE(first[0]["body"].dump().find("completedDate"), std::string::npos);
  EXPECT_EQ(requests_to("Companies/query").size(), 1u) << "one `in` query per page";
  EXPECT_EQ(requests_to("Contacts/query").size(), 1u);
  EXPECT_EQ(requests_to("Resources/query").size(), 1u);

  clear_requests();
  r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.upserted, 0);
  auto idle = requests();
  // The picklists were read by the first pull (connection_state_test has when
  // they are read again).
  ASSERT_EQ(idle.size(), 1u) << "one query: " << idle.dump();
  EXPECT_NE(idle[0]["body"].dump().find("lastActivityDate"), std::string::npos);
}

TEST_F(AutotaskTicketPullTest, TiesAtOneLastActivityDateAcrossAPageBoundaryAreNeverLost) {
  start_with(620);
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  // 510 tickets share one second: two pages of 500 hold them.
  json ids = json::array();
  for (int k = 0; k < 510; ++k) ids.push_back(1010 + k);
  mutate({{"entity", "autotask_tickets"},
          {"ids", ids},
          {"fields", {{"title", "Tied update"}}},
          {"timestamp", "2026-11-26T08:00:00Z"}});
  clear_requests();
  auto r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  EXPECT_EQ(r.stats.upserted, 510);
  EXPECT_EQ(requests_to("Tickets/query").size(), 2u);
  // More rows land in that same second (ids above the cursor's): still read.
  mutate({{"entity", "autotask_tickets"},
          {"ids", {1600, 1601}},
          {"fields", {{"title", "Late tie"}}},
          {"timestamp", "2026-11-26T08:00:00Z"}});
  r = pass(PassEntity::kTickets);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.upserted, 2);  // the 510 already stored are skipped
  EXPECT_EQ(cached(1601)->row.summary, "Late tie");
  EXPECT_EQ(cached(1519)->row.summary, "Tied update");
  expect_ticket_cursor("2026-11-26T08:00:00Z");
}

TEST_F(AutotaskTicketPullTest, ReconcileChecksTheCountAndTombstonesDeletedTickets) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  expect_count_checked_ticket_reconcile(
      "Tickets/query", "Tickets/query/count",
      {{"entity", "autotask_tickets"}, {"kind", "delete"}, {"ids", {1003, 1004, 1005}}},
      [](const json& e) { return e["body"].dump().find("IncludeFields") != std::string::npos; });
}

TEST_F(AutotaskTicketPullTest, MassDeleteIsRefusedAndATicketLeavingTheWindowIsKept) {
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  json ids = json::array();
  for (int k = 0; k < 80; ++k) ids.push_back(1020 + k);
  mutate({{"entity", "autotask_tickets"}, {"kind", "delete"}, {"ids", ids}});
  LogCapture logs;
  auto r = pass(PassEntity::kReconcile);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(live_tickets(), 120);
  ASSERT_EQ(logs.events("reconcile_refused").size(), 1u);
  EXPECT_EQ(logs.events("reconcile_refused")[0]["would_delete"], 80);

  // Completed long ago (updated now): the pull no longer lists it, nor does
  // the window listing; the confirming `id in` query finds it, so it is kept
  // and stored completed, while the 80 deleted are tombstoned.
  close(1007, "2026-01-05T00:00:00.000Z");
  ASSERT_TRUE(pass(PassEntity::kTickets).status.ok());
  EXPECT_FALSE(cached(1007)->row.closed);
  tenant_.tickets.closed_for_days = 0;  // only open tickets: the window the 80 left too
  defaults_.reconcile_max_delete_ratio = 1.0;
  rebuild_clients();
  ASSERT_TRUE(pass(PassEntity::kReconcile).status.ok());
  EXPECT_FALSE(cached(1007)->deleted_at);
  EXPECT_TRUE(cached(1007)->row.closed);
  EXPECT_TRUE(cached(1020)->deleted_at);
  EXPECT_EQ(live_tickets(), 40);
  // Nothing changed since: the reconcile is the count alone.
  clear_requests();
  ASSERT_TRUE(pass(PassEntity::kReconcile).status.ok());
  EXPECT_EQ(requests_to("Tickets/query").size(), 1u);
}

}  // namespace
}  // namespace cwsync::test
