#include "sim_fixture.h"

#include <regex>
#include <set>

namespace cwsim::testing {
namespace {

using cwsync::test::basic_auth;
using cwsync::test::http_request;

class PsaTest : public SimTest {};

TEST_F(PsaTest, CompanyInfoGivesTheCodebase) {
  HttpReply r = http_request(port_, "GET", "/login/companyinfo/" + sim_->options().company);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json(r)["Codebase"], "v2025_1/");
  EXPECT_EQ(http_request(port_, "GET", "/login/companyinfo/nobody").body, "null");
  // After an upgrade the old codebase is gone: 404, and the lookup says where.
  control("POST", "/_sim/codebase", {{"codebase", "v2025_2/"}});
  EXPECT_EQ(psa("GET", "/system/members").status, 404);
  EXPECT_EQ(json(http_request(port_, "GET", "/login/companyinfo/" + sim_->options().company))["Codebase"], "v2025_2/");
}

TEST_F(PsaTest, AuthAndClientIdAreRequired) {
  const Options& o = sim_->options();
  std::string url = psa_base() + "/system/members";
  EXPECT_EQ(http_request(port_, "GET", url, {{"clientId", o.client_id}}).status, 401);
  EXPECT_EQ(http_request(port_, "GET", url,
                         {{"clientId", o.client_id}, {"Authorization", basic_auth(o.company + "+" + o.public_key, "bad")}})
                .status,
            401);
  HttpReply no_client = http_request(port_, "GET", url, {{"Authorization", basic_auth(o.company + "+" + o.public_key, o.private_key)}});
  EXPECT_EQ(no_client.status, 401);
  Json body = json(no_client);
  EXPECT_TRUE(body.contains("code") && body.contains("message"));
  EXPECT_EQ(psa("GET", "/system/members").status, 200);
  EXPECT_EQ(psa("GET", "/system/members?pageSize=1001").status, 400);
}

TEST_F(PsaTest, NavigablePagingWithLinkHeader) {
  HttpReply p1 = psa("GET", "/sales/opportunities?pageSize=25");
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(json(p1).size(), 25u);
  EXPECT_NE(next_link(p1).find("page=2"), std::string::npos);
  EXPECT_NE(p1.header("Link").find("rel=\"last\""), std::string::npos);
  HttpReply p3 = psa("GET", "/sales/opportunities?pageSize=25&page=3");
  EXPECT_EQ(json(p3).size(), 10u);
  EXPECT_EQ(next_link(p3), "");
  EXPECT_EQ(json(psa("GET", "/sales/opportunities")).size(), 25u);  // Manage's default page size
}

TEST_F(PsaTest, ForwardOnlyPagingFollowsNextLinks) {
  std::vector<int64_t> ids;
  std::string target = psa_base() + "/sales/opportunities?pageSize=17&orderBy=" + enc("name desc");
  for (int guard = 0; guard < 20 && !target.empty(); ++guard) {
    auto h = psa_headers();
    h["pagination-type"] = "forward-only";
    HttpReply r = http_request(port_, "GET", target, h);
    ASSERT_EQ(r.status, 200);
    for (const Json& o : json(r)) ids.push_back(o["id"].get<int64_t>());
    std::string next = next_link(r);
    target = next.empty() ? "" : next.substr(next.find('/', 8));  // strip scheme://host
    if (!next.empty()) {
      EXPECT_NE(next.find("pageId="), std::string::npos);
    }
  }
  ASSERT_EQ(ids.size(), 60u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 60u);
}

TEST_F(PsaTest, ConditionsOrderByAndFields) {
  Json all = control("GET", "/_sim/store/opportunities")["opportunities"];
  std::string cut = "2026-06-01T00:00:00Z";
  size_t expect = 0;
  for (const Json& o : all) expect += o["_info"]["lastUpdated"].get<std::string>() > cut ? 1 : 0;
  HttpReply r = psa("GET", "/sales/opportunities?pageSize=1000&conditions=" + enc("lastUpdated > [" + cut + "]") +
                               "&orderBy=" + enc("_info/lastUpdated asc, id asc") + "&fields=" + enc("id,_info/lastUpdated"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json rows = json(r);
  EXPECT_EQ(rows.size(), expect);
  std::string prev;
  for (const Json& o : rows) {
    EXPECT_EQ(o.size(), 2u);
    std::string lu = o["_info"]["lastUpdated"].get<std::string>();
    EXPECT_GE(lu, prev);
    prev = lu;
  }
  Json won = json(psa("GET", "/sales/opportunities?pageSize=1000&conditions=" + enc("status/id in (2) and closedFlag = true")));
  for (const Json& o : won) EXPECT_EQ(o["status"]["name"], "Won");
  EXPECT_EQ(psa("GET", "/sales/opportunities?conditions=" + enc("nope = 1")).status, 400);
  EXPECT_EQ(psa("GET", "/sales/opportunities?conditions=" + enc("lastUpdated > [2026-99-01T00:00:00Z]")).status, 400);
  EXPECT_EQ(psa("GET", "/sales/opportunities?orderBy=" + enc("id sideways")).status, 400);
}

TEST_F(PsaTest, OpportunityStatusesCarryFlags) {
  Json st = json(psa("GET", "/sales/opportunities/statuses"));
  int won = 0, lost = 0;
  for (const Json& s : st) {
    won += s["wonFlag"].get<bool>();
    lost += s["lostFlag"].get<bool>();
    EXPECT_TRUE(s.contains("closedFlag"));
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(lost, 1);
}

TEST_F(PsaTest, NotesPostAndList) {
  HttpReply created = psa("POST", "/service/tickets/1001/notes",
                          R"({"text":"Session summary [cwsync:7f3a9c]","internalAnalysisFlag":true,"member":{"id":101}})");
  ASSERT_EQ(created.status, 201) << created.body;
  Json note = json(created);
  EXPECT_TRUE(note["id"].is_number_integer());
  EXPECT_EQ(note["member"]["identifier"], "asmith");
  Json recent = json(psa("GET", "/service/tickets/1001/notes?orderBy=" + enc("id desc") + "&pageSize=50"));
  ASSERT_GE(recent.size(), 2u);
  EXPECT_EQ(recent[0]["id"], note["id"]);
  HttpReply invalid = psa("POST", "/service/tickets/1001/notes", R"({"text":"no flags"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(json(invalid)["code"], "InvalidObject");
  EXPECT_EQ(psa("POST", "/service/tickets/999999/notes", R"({"text":"x","resolutionFlag":true})").status, 404);
  EXPECT_EQ(psa("POST", "/service/tickets/1001/notes", "{not json").status, 400);
}

TEST_F(PsaTest, StatusPatchRejectsAnotherBoardsStatus) {
  Json ticket = json(psa("GET", "/service/tickets/1001"));
  int64_t board = ticket["board"]["id"].get<int64_t>();
  Json own = json(psa("GET", "/service/boards/" + std::to_string(board) + "/statuses"));
  int64_t other_board = board == 1 ? 2 : 1;
  Json other = json(psa("GET", "/service/boards/" + std::to_string(other_board) + "/statuses"));
  ASSERT_FALSE(own.empty());
  ASSERT_FALSE(other.empty());

  std::string bad_body = R"([{"op":"replace","path":"status","value":{"id":)" + other[1]["id"].dump() + "}}]";
  HttpReply bad = psa("PATCH", "/service/tickets/1001", bad_body);
  ASSERT_EQ(bad.status, 400);
  Json err = json(bad);
  EXPECT_EQ(err["code"], "InvalidObject");
  EXPECT_TRUE(err["message"].is_string());
  ASSERT_EQ(err["errors"].size(), 1u);
  for (const char* k : {"code", "message", "resource", "field"}) EXPECT_TRUE(err["errors"][0].contains(k)) << k;
  EXPECT_EQ(err["errors"][0]["field"], "status");

  Json target = own.back();
  HttpReply good = psa("PATCH", "/service/tickets/1001",
                       R"([{"op":"replace","path":"status","value":{"id":)" + target["id"].dump() + "}}]");
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(json(good)["status"]["id"], target["id"]);
  Json tickets = control("GET", "/_sim/store/tickets")["tickets"];
  EXPECT_EQ(tickets[0]["status"]["id"], target["id"]);
}

TEST_F(PsaTest, TimeEntriesPostAndQuery) {
  std::string body = R"({"chargeToId":1002,"chargeToType":"ServiceTicket","member":{"id":102},
    "timeStart":"2026-11-02T09:00:00Z","timeEnd":"2026-11-02T09:30:00Z","billableOption":"Billable",
    "notes":"Remote session [cwsync:abc123]","addToInternalAnalysisFlag":true})";
  HttpReply created = psa("POST", "/time/entries", body);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_DOUBLE_EQ(json(created)["actualHours"].get<double>(), 0.5);
  std::string cond = "chargeToId = 1002 and member/id = 102 and timeStart = [2026-11-02T09:00:00Z]";
  Json found = json(psa("GET", "/time/entries?conditions=" + enc(cond)));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], json(created)["id"]);
  EXPECT_EQ(json(psa("GET", "/time/entries?conditions=" + enc("chargeToId = 1003"))).size(), 0u);
  EXPECT_EQ(psa("POST", "/time/entries", R"({"chargeToId":1002})").status, 400);
}

TEST_F(PsaTest, MembersHaveIdentifiersAndEmail) {
  Json members = json(psa("GET", "/system/members?conditions=" + enc("identifier = \"asmith\"")));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["id"], 101);
  EXPECT_TRUE(members[0]["primaryEmail"].is_string());
}

TEST_F(PsaTest, OpportunityMutationsShareOneLastUpdated) {
  Json m = control("POST", "/_sim/mutate",
                   {{"entity", "opportunities"}, {"kind", "modify"}, {"count", 4}, {"timestamp", "2026-11-21T00:00:00Z"}});
  Json rows = json(psa("GET", "/sales/opportunities?conditions=" + enc("lastUpdated >= [2026-11-21T00:00:00Z]")));
  ASSERT_EQ(rows.size(), 4u);
  for (const Json& o : rows) EXPECT_EQ(o["_info"]["lastUpdated"], "2026-11-21T00:00:00Z");
  int64_t gone = m["affected"][0].get<int64_t>();
  control("POST", "/_sim/mutate", {{"entity", "opportunities"}, {"kind", "delete"}, {"ids", {gone}}});
  EXPECT_EQ(psa("GET", "/sales/opportunities/" + std::to_string(gone)).status, 404);
  EXPECT_EQ(control("GET", "/_sim/store/opportunities")["deleted"][0]["id"], gone);
}

}  // namespace
}  // namespace cwsim::testing
