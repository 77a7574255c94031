// cwsim's /service/tickets for the ticket cache: fields, incremental
// conditions, forward-only paging, /count, and ticket mutations.
#include "sim_fixture.h"

namespace cwsim::testing {
namespace {

class TicketsTest : public SimTest {};

TEST_F(TicketsTest, ListHasTheCachedFields) {
  Json list = json(psa("GET", "/service/tickets?pageSize=10"));
  ASSERT_EQ(list.size(), 6u);
  for (const Json& t : list) {
    for (const char* key : {"id", "summary", "recordType", "board", "status", "priority", "company", "contact",
                            "owner", "closedFlag", "closedDate", "parentTicketId", "_info"}) {
      EXPECT_TRUE(t.contains(key)) << key;
    }
    EXPECT_TRUE(t["owner"].contains("identifier"));
    EXPECT_TRUE(t["_info"].contains("dateEntered"));
  }
  Json narrow = json(psa("GET", "/service/tickets?fields=id,summary,contact/name&pageSize=1"));
  ASSERT_EQ(narrow.size(), 1u);
  EXPECT_EQ(narrow[0].size(), 3u);
}

TEST_F(TicketsTest, CountFollowsConditionsAndDeletes) {
  EXPECT_EQ(json(psa("GET", "/service/tickets/count"))["count"], 6);
  control("POST", "/_sim/mutate",
          {{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1002, 1003}},
           {"timestamp", "2026-11-20T10:00:00Z"}, {"fields", {{"summary", "Firewall upgrade"}}}});
  std::string after = "/service/tickets/count?conditions=" + enc("lastUpdated > [2026-11-19T00:00:00Z]");
  EXPECT_EQ(json(psa("GET", after))["count"], 2);
  Json deleted = control("POST", "/_sim/mutate", {{"entity", "tickets"}, {"kind", "delete"}, {"ids", {1003}}});
  EXPECT_EQ(deleted["affected"], Json::array({1003}));
  EXPECT_EQ(json(psa("GET", after))["count"], 1);
  EXPECT_EQ(psa("GET", "/service/tickets/1003").status, 404);
  EXPECT_EQ(control("GET", "/_sim/store/tickets")["deleted"][0]["id"], 1003);
  EXPECT_EQ(psa("GET", "/service/tickets/count?conditions=" + enc("nonsense >")).status, 400);
}

TEST_F(TicketsTest, IncrementalForwardOnlyPagesWalkIdsWithTies) {
  Json created = control("POST", "/_sim/mutate",
                         {{"entity", "tickets"}, {"kind", "create"}, {"count", 5},
                          {"timestamp", "2026-11-25T08:00:00Z"}});
  ASSERT_EQ(created["affected"].size(), 5u);
  EXPECT_EQ(created["affected"][0], 1007);
  std::string target = "/service/tickets?pageSize=2&orderBy=" + enc("_info/lastUpdated asc, id asc") +
                       "&conditions=" + enc("lastUpdated > [2026-11-24T00:00:00Z]");
  std::vector<int64_t> ids;
  HttpReply page = psa("GET", target, "", {{"pagination-type", "forward-only"}});
  for (int guard = 0; guard < 10; ++guard) {
    ASSERT_EQ(page.status, 200);
    for (const Json& t : json(page)) {
      EXPECT_EQ(t["_info"]["lastUpdated"], "2026-11-25T08:00:00Z");
      ids.push_back(t["id"].get<int64_t>());
    }
    std::string next = next_link(page);
    if (next.empty()) break;
    page = cwsync::test::http_request(port_, "GET", next.substr(next.find('/', 8)), [&] {
      auto h = psa_headers();
      h["pagination-type"] = "forward-only";
      return h;
    }());
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{1007, 1008, 1009, 1010, 1011}));
}

TEST_F(TicketsTest, ClosingThroughAStatusSetsClosedDate) {
  // Status 16 is "Closed" on board 1, 26 on board 2, 34 on board 3: any closed one will do.
  Json boards = control("GET", "/_sim/store/boards");
  int64_t closed = 0;
  for (const Json& s : boards["statuses"]) {
    if (s["closedStatus"].get<bool>()) closed = s["id"].get<int64_t>();
  }
  ASSERT_NE(closed, 0);
  control("POST", "/_sim/mutate",
          {{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1001}}, {"timestamp", "2026-11-10T00:00:00Z"},
           {"fields", {{"status", {{"id", closed}}}}}});
  Json t = json(psa("GET", "/service/tickets/1001"));
  EXPECT_EQ(t["closedFlag"], true);
  EXPECT_EQ(t["closedDate"], "2026-11-10T00:00:00Z");
  std::string open = "/service/tickets/count?conditions=" +
                     enc("closedFlag = false or closedDate > [2026-11-15T00:00:00Z]");
  EXPECT_EQ(json(psa("GET", open))["count"], 5);
}

TEST_F(TicketsTest, StatusPatchStampsClosedDateAndReopenClearsIt) {
  Json ticket = json(psa("GET", "/service/tickets/1001"));
  ASSERT_EQ(ticket["closedFlag"], false);
  const std::string board = ticket["board"]["id"].dump();
  int64_t closed = 0, open = 0;
  for (const Json& s : json(psa("GET", "/service/boards/" + board + "/statuses"))) {
    (s["closedStatus"].get<bool>() ? closed : open) = s["id"].get<int64_t>();
  }
  ASSERT_NE(closed, 0);
  ASSERT_NE(open, 0);
  auto patch = [&](int64_t status) {
    HttpReply r = psa("PATCH", "/service/tickets/1001",
                      R"([{"op":"replace","path":"status","value":{"id":)" + std::to_string(status) + "}}]");
    EXPECT_EQ(r.status, 200) << r.body;
    return json(r);
  };
  Json done = patch(closed);
  EXPECT_EQ(done["closedFlag"], true);
  // Stamped with the PATCH's own clock reading, so it is the new lastUpdated.
  EXPECT_EQ(done["closedDate"], done["_info"]["lastUpdated"]);
  const std::string window = "/service/tickets?fields=id&conditions=" +
                             enc("id = 1001 and closedDate > [2000-01-01T00:00:00Z]");
  EXPECT_EQ(json(psa("GET", window)).size(), 1u);
  EXPECT_EQ(json(psa("GET", "/service/tickets/1001"))["closedDate"], done["closedDate"]);

  Json reopened = patch(open);
  EXPECT_EQ(reopened["closedFlag"], false);
  EXPECT_TRUE(reopened["closedDate"].is_null());
}

}  // namespace
}  // namespace cwsim::testing
