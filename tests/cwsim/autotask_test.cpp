// cwsim's Autotask personality: zone lookup, auth, queries (every filter
// operator, groups, MaxRecords, paging by nextPageUrl, counts) and entity
// information. Writes, limits and faults: autotask_writes_test.cpp.
#include <algorithm>
#include <set>

#include "sim_fixture.h"

namespace cwsim::testing {
namespace {

using cwsync::test::http_request;

class AutotaskTest : public SimTest {
 protected:
  // The ids every page of a query returns, following nextPageUrl (at most 20 pages).
  // (A vector, not a Json: `Json{item}` would copy the item, not wrap it.)
  std::vector<int64_t> ids(const std::string& entity, const std::vector<Json>& filter,
                           int max_records = 500) {
    std::vector<int64_t> out;
    Json body = {{"filter", filter}, {"MaxRecords", max_records}};
    std::string target = "/ATServicesRest/V1.0/" + entity + "/query";
    for (int page = 0; page < 20 && !target.empty(); ++page) {
      HttpReply r = http_request(port_, "POST", target, at_headers(), body.dump());
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      Json j = json(r);
      for (const Json& item : j["items"]) out.push_back(item["id"].get<int64_t>());
      target =
          j["pageDetails"]["nextPageUrl"].is_null() ? "" : path_of(j["pageDetails"]["nextPageUrl"]);
    }
    return out;
  }
  static std::string path_of(const Json& url) {
    std::string u = url.get<std::string>();
    return u.substr(u.find('/', u.find("//") + 2));
  }
  static Json item(const std::string& op, const std::string& field, const Json& value = Json()) {
    Json j = {{"op", op}, {"field", field}};
    if (!value.is_null()) j["value"] = value;
    return j;
  }
};

TEST_F(AutotaskTest, ZoneLookupPointsBackAtCwsim) {
  const std::string user = sim_->options().at_username;
  // The npm client asks in lower case: paths are case-insensitive.
  HttpReply r =
      http_request(port_, "GET", "/atservicesrest/v1.0/zoneInformation?user=" + enc(user));
  ASSERT_EQ(r.status, 200) << r.body;
  Json zone = json(r);
  EXPECT_EQ(zone["url"], "http://127.0.0.1:" + std::to_string(port_) + "/ATServicesRest/");
  EXPECT_TRUE(zone.contains("zoneName") && zone.contains("webUrl") && zone.contains("ci"));
  HttpReply bad =
      http_request(port_, "GET", "/ATServicesRest/V1.0/ZoneInformation?user=nobody%40example.com");
  EXPECT_EQ(bad.status, 500);
  EXPECT_EQ(at_error_text(bad), "Zone information could not be determined");
}

TEST_F(AutotaskTest, AZoneMoveServesTheNewRootAndTheOldOneAnswers404) {
  const std::string base = "http://127.0.0.1:" + std::to_string(port_);
  const std::string lookup =
      "/ATServicesRest/V1.0/ZoneInformation?user=" + enc(sim_->options().at_username);
  auto moved = sim_->control("POST", "/_sim/autotask/zone", {{"path_prefix", "/ws2"}});
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_EQ(moved.body["root"], "/ws2/ATServicesRest/");
  EXPECT_EQ(sim_->control("GET", "/_sim/autotask/zone").body["path_prefix"], "/ws2");
  // The lookup answers at the old root and names the new one.
  HttpReply zone = http_request(port_, "GET", lookup);
  ASSERT_EQ(zone.status, 200) << zone.body;
  EXPECT_EQ(json(zone)["url"], base + "/ws2/ATServicesRest/");
  // The old root no longer serves the database, before any auth; the new one does.
  HttpReply old_root = http_request(port_, "GET", "/ATServicesRest/V1.0/Tickets/1001", at_headers());
  EXPECT_EQ(old_root.status, 404);
  EXPECT_FALSE(at_error_text(old_root).empty());
  EXPECT_EQ(http_request(port_, "GET", "/ATServicesRest/V1.0/Tickets/1001").status, 404);
  HttpReply now = http_request(port_, "GET", "/WS2/atservicesrest/V1.0/Tickets/1001", at_headers());
  EXPECT_EQ(now.status, 200) << now.body;
  // Page links name the root the query came in under.
  Json body = {{"filter", {item("gte", "id", 0)}}, {"MaxRecords", 1}};
  HttpReply page = http_request(port_, "POST", "/ws2/ATServicesRest/V1.0/Tickets/query",
                                at_headers(), body.dump());
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(json(page)["pageDetails"]["nextPageUrl"].get<std::string>().rfind(
                base + "/ws2/ATServicesRest/V1.0/Tickets/query/next", 0),
            0u);
  // A bad prefix is refused and changes nothing; "" moves back.
  for (const char* bad : {"ws3", "/api", "/_sim", "/a/b", "/ATServicesRest"}) {
    EXPECT_EQ(sim_->control("POST", "/_sim/autotask/zone", {{"path_prefix", bad}}).status, 400)
        << bad;
  }
  EXPECT_EQ(sim_->control("GET", "/_sim/autotask/zone").body["path_prefix"], "/ws2");
  ASSERT_EQ(sim_->control("POST", "/_sim/autotask/zone", {{"path_prefix", ""}}).status, 200);
  EXPECT_EQ(json(http_request(port_, "GET", lookup))["url"], base + "/ATServicesRest/");
  EXPECT_EQ(http_request(port_, "GET", "/ws2/ATServicesRest/V1.0/Tickets/1001", at_headers()).status,
            404);
}

TEST_F(AutotaskTest, AuthHeadersAreCheckedOnEveryCall) {
  const Options& o = sim_->options();
  const std::string url = "/ATServicesRest/V1.0/Tickets/1001";
  EXPECT_EQ(http_request(port_, "GET", url).status, 401);
  HttpReply bad_secret = http_request(port_, "GET", url,
                                      {{"ApiIntegrationCode", o.at_integration_code},
                                       {"UserName", o.at_username},
                                       {"Secret", "x"}});
  EXPECT_EQ(bad_secret.status, 401);
  EXPECT_FALSE(at_error_text(bad_secret).empty());
  HttpReply bad_code = http_request(
      port_, "GET", url,
      {{"ApiIntegrationCode", "WRONG"}, {"UserName", o.at_username}, {"Secret", o.at_secret}});
  EXPECT_EQ(bad_code.status, 500);
  EXPECT_EQ(at_error_text(bad_code), "IntegrationCode is invalid.");
  // Header names are case-insensitive; the user name too.
  HttpReply lower = http_request(port_, "GET", url,
                                 {{"apiintegrationcode", o.at_integration_code},
                                  {"username", "APIUSER@msp.example.com"},
                                  {"secret", o.at_secret}});
  EXPECT_EQ(lower.status, 200) << lower.body;
  auto h = at_headers();
  h["ImpersonationResourceId"] = "999";
  EXPECT_EQ(http_request(port_, "GET", url, h).status, 500);
  h["ImpersonationResourceId"] = "102";
  EXPECT_EQ(http_request(port_, "GET", url, h).status, 200);
}

TEST_F(AutotaskTest, EveryFilterOperator) {
  // Tickets 1001..1006 (small_options), companies 0 and 200.., 60 opportunities.
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids("Tickets", {item("eq", "id", 1003)}), (V{1003}));
  EXPECT_EQ(ids("Tickets", {item("noteq", "id", 1003)}), (V{1001, 1002, 1004, 1005, 1006}));
  EXPECT_EQ(ids("Tickets", {item("gt", "id", 1004)}), (V{1005, 1006}));
  EXPECT_EQ(ids("Tickets", {item("gte", "id", 1004)}), (V{1004, 1005, 1006}));
  EXPECT_EQ(ids("Tickets", {item("lt", "id", 1002)}), (V{1001}));
  EXPECT_EQ(ids("Tickets", {item("lte", "ID", "1002")}),
            (V{1001, 1002}));  // names and numbers as text
  EXPECT_EQ(ids("Tickets", {item("in", "id", {1002, 1005, 4242})}), (V{1002, 1005}));
  EXPECT_EQ(ids("Tickets", {item("notIn", "id", {1002, 1005})}), (V{1001, 1003, 1004, 1006}));
  EXPECT_EQ(ids("Companies", {item("beginsWith", "companyName", "CWSIM simulated")}), (V{0}));
  EXPECT_EQ(ids("Companies", {item("endsWith", "CompanyName", "msp")}), (V{0}));
  EXPECT_EQ(ids("Companies", {item("contains", "companyName", "SIMULATED")}), (V{0}));
  // exist / notExist split the tickets by assignment.
  V assigned = ids("Tickets", {item("exist", "assignedResourceID")});
  V unassigned = ids("Tickets", {item("notExist", "assignedResourceID")});
  EXPECT_EQ(assigned.size() + unassigned.size(), 6u);
  std::set<int64_t> all(assigned.begin(), assigned.end());
  all.insert(unassigned.begin(), unassigned.end());
  EXPECT_EQ(all.size(), 6u);
  // Dates compare as instants.
  Json t = json(at("GET", "/Tickets/1003"))["item"];
  V later = ids("Tickets", {item("gt", "createDate", t["createDate"])});
  EXPECT_EQ(std::count(later.begin(), later.end(), 1003), 0);
  EXPECT_EQ(ids("Tickets", {item("eq", "createDate", t["createDate"]), item("eq", "id", 1003)}),
            (V{1003}));
}

TEST_F(AutotaskTest, OrAndGroupsNest) {
  using V = std::vector<int64_t>;
  Json either = {{"op", "or"}, {"items", {item("eq", "id", 1001), item("eq", "id", 1004)}}};
  EXPECT_EQ(ids("Tickets", {either}), (V{1001, 1004}));
  Json nested = {{"op", "or"},
                 {"items",
                  {item("eq", "id", 1006),
                   {{"op", "and"}, {"items", {item("gte", "id", 1002), item("lt", "id", 1004)}}}}}};
  EXPECT_EQ(ids("Tickets", {nested}), (V{1002, 1003, 1006}));
  // Top-level items all must hold.
  EXPECT_EQ(ids("Tickets", {either, item("gt", "id", 1002)}), (V{1004}));
}

TEST_F(AutotaskTest, BadQueriesAre500WithErrors) {
  auto post = [&](const Json& body) { return at("POST", "/Tickets/query", body); };
  for (const Json& body :
       {Json::object(), Json{{"filter", Json::array()}},
        Json{{"filter", {item("eq", "nosuchfield", 1)}}}, Json{{"filter", {item("like", "id", 1)}}},
        Json{{"filter", {item("in", "id", 1)}}},
        Json{{"filter", {item("gt", "createDate", "yesterday")}}},
        Json{{"filter", {{{"op", "or"}, {"items", Json::array()}}}}},
        Json{{"filter", {item("gte", "id", 0)}}, {"IncludeFields", {"nosuchfield"}}}}) {
    HttpReply r = post(body);
    EXPECT_EQ(r.status, 500) << body.dump();
    EXPECT_FALSE(at_error_text(r).empty()) << r.body;
  }
  EXPECT_NE(at_error_text(post({{"filter", {item("eq", "nosuchfield", 1)}}})).find("nosuchfield"),
            std::string::npos);
}

TEST_F(AutotaskTest, MaxRecordsIsOneTo500) {
  Json all = {item("gte", "id", 0)};
  for (const Json& bad : {Json(0), Json(501), Json(-1), Json("ten")}) {
    EXPECT_EQ(at("POST", "/Opportunities/query", {{"filter", all}, {"MaxRecords", bad}}).status,
              500)
        << bad;
  }
  Json one = json(at("POST", "/Opportunities/query", {{"filter", all}, {"MaxRecords", 1}}));
  EXPECT_EQ(one["items"].size(), 1u);
  EXPECT_EQ(one["pageDetails"]["requestCount"], 1);
  Json max = json(at("POST", "/Opportunities/query", {{"filter", all}, {"MaxRecords", 500}}));
  EXPECT_EQ(max["items"].size(), 60u);
  EXPECT_TRUE(max["pageDetails"]["nextPageUrl"].is_null());
  Json dflt = json(at("POST", "/Opportunities/query", {{"filter", all}}));
  EXPECT_EQ(dflt["pageDetails"]["requestCount"], 500);
}

TEST_F(AutotaskTest, NextPageUrlTakesTheSameBodyAndRefusesGet) {
  Json body = {{"filter", {item("gte", "id", 0)}}, {"MaxRecords", 25}};
  Json p1 = json(at("POST", "/Opportunities/query", body));
  ASSERT_EQ(p1["items"].size(), 25u);
  EXPECT_TRUE(p1["pageDetails"]["prevPageUrl"].is_null());
  const std::string next = path_of(p1["pageDetails"]["nextPageUrl"]);
  EXPECT_EQ(http_request(port_, "GET", next, at_headers()).status, 405);
  HttpReply r2 = http_request(port_, "POST", next, at_headers(), body.dump());
  ASSERT_EQ(r2.status, 200) << r2.body;
  Json p2 = json(r2);
  EXPECT_EQ(p2["items"].size(), 25u);
  EXPECT_EQ(p2["items"][0]["id"], 26);
  EXPECT_EQ(p2["pageDetails"]["count"], 25);
  // prevPageUrl leads back to page 1.
  Json back = json(http_request(port_, "POST", path_of(p2["pageDetails"]["prevPageUrl"]),
                                at_headers(), body.dump()));
  EXPECT_EQ(back["items"], p1["items"]);
  // All pages: every opportunity once, in id order.
  std::vector<int64_t> all = ids("Opportunities", body["filter"].get<std::vector<Json>>(), 25);
  ASSERT_EQ(all.size(), 60u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 60u);
}

TEST_F(AutotaskTest, GetQueryWithSearchPagesByGet) {
  Json search = {{"filter", {item("gte", "id", 0)}}, {"MaxRecords", 40}};
  HttpReply r = http_request(
      port_, "GET", "/ATServicesRest/V1.0/Opportunities/query?search=" + enc(search.dump()),
      at_headers());
  ASSERT_EQ(r.status, 200) << r.body;
  Json p1 = json(r);
  EXPECT_EQ(p1["items"].size(), 40u);
  HttpReply r2 =
      http_request(port_, "GET", path_of(p1["pageDetails"]["nextPageUrl"]), at_headers());
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(json(r2)["items"].size(), 20u);
  EXPECT_EQ(at("GET", "/Opportunities/query").status, 405);  // no search, nothing to run
}

TEST_F(AutotaskTest, CountMatchesTheQuery) {
  std::vector<Json> filter = {
      {{"op", "or"}, {"items", {item("eq", "status", 1), item("eq", "status", 3)}}}};
  HttpReply r = at("POST", "/Opportunities/query/count", {{"filter", filter}});
  ASSERT_EQ(r.status, 200) << r.body;
  const size_t n = ids("Opportunities", filter).size();
  EXPECT_GT(n, 0u);
  EXPECT_EQ(json(r)["queryCount"], n);
  EXPECT_EQ(
      json(
          at("POST", "/Companies/query/count", {{"filter", {item("gte", "id", 0)}}}))["queryCount"],
      json(at("POST", "/Companies/query", {{"filter", {item("gte", "id", 0)}}}))["items"].size());
  EXPECT_EQ(at("POST", "/Opportunities/query/count", Json::object()).status, 500);
}

TEST_F(AutotaskTest, IncludeFieldsKeepsIdAndUdfs) {
  Json r = json(at("POST", "/Tickets/query",
                   {{"filter", {item("eq", "id", 1001)}}, {"IncludeFields", {"Title", "status"}}}));
  ASSERT_EQ(r["items"].size(), 1u);
  const Json& t = r["items"][0];
  EXPECT_EQ(t.size(), 4u) << t.dump();
  EXPECT_TRUE(t.contains("id") && t.contains("title") && t.contains("status") &&
              t.contains("userDefinedFields"));
}

TEST_F(AutotaskTest, GetByIdAndNotFound) {
  HttpReply r = at("GET", "/Tickets/1001");
  ASSERT_EQ(r.status, 200);
  Json t = json(r)["item"];
  EXPECT_EQ(t["id"], 1001);
  EXPECT_EQ(t["ticketNumber"].get<std::string>().substr(0, 2), "T2");
  EXPECT_NE(t["ticketNumber"].get<std::string>().find('.'), std::string::npos);
  for (const char* f :
       {"title", "status", "priority", "queueID", "companyID", "contactID", "assignedResourceID",
        "createDate", "lastActivityDate", "lastTrackedModificationDateTime", "completedDate"}) {
    EXPECT_TRUE(t.contains(f)) << f;
  }
  EXPECT_EQ(at("GET", "/Tickets/999").status, 404);
  EXPECT_EQ(at("GET", "/NoSuchEntity/1").status, 404);
  Json opp = json(at("GET", "/Opportunities/1"))["item"];
  for (const char* f : {"title", "amount", "status", "stage", "probability", "projectedCloseDate",
                        "createDate", "lastActivity", "companyID", "closedDate"}) {
    EXPECT_TRUE(opp.contains(f)) << f;
  }
}

TEST_F(AutotaskTest, EntityInformationFieldsListPicklists) {
  HttpReply r = at("GET", "/Tickets/entityInformation/fields");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json info = json(r);
  const Json* status = nullptr;
  for (const Json& f : info["fields"]) {
    if (f["name"] == "status") status = &f;
  }
  ASSERT_NE(status, nullptr);
  EXPECT_EQ((*status)["isPickList"], true);
  bool inactive = false, in_progress = false;
  for (const Json& v : (*status)["picklistValues"]) {
    EXPECT_TRUE(v["value"].is_string());
    EXPECT_TRUE(v.contains("label") && v.contains("isActive") && v.contains("isDefaultValue") &&
                v.contains("sortOrder"));
    inactive = inactive || !v["isActive"].get<bool>();
    in_progress = in_progress || (v["value"] == "8" && v["label"] == "In Progress");
  }
  EXPECT_TRUE(inactive && in_progress);
  EXPECT_EQ(json(at("GET", "/TicketNotes/entityInformation"))["info"]["canCreate"], true);
  EXPECT_EQ(at("GET", "/TicketNotes/entityInformation/userDefinedFields").status, 200);
}

TEST_F(AutotaskTest, ResourcesAndRoles) {
  Json bob = json(at("POST", "/Resources/query",
                     {{"filter", {item("eq", "email2", "bob.jones@msp.example.com")}}}));
  ASSERT_EQ(bob["items"].size(), 1u);
  EXPECT_EQ(bob["items"][0]["userName"], "bjones");
  Json roles = json(at("GET", "/Resources/102/Roles"))["items"];
  ASSERT_FALSE(roles.empty());
  int defaults = 0;
  for (const Json& rr : roles) defaults += rr["isDefault"].get<bool>() ? 1 : 0;
  EXPECT_EQ(defaults, 1);
  Json by_query = json(
      at("POST", "/ResourceRoles/query", {{"filter", {item("eq", "resourceID", 102)}}}))["items"];
  EXPECT_EQ(by_query, roles);
}

TEST_F(AutotaskTest, SameSeedSameAutotaskBytes) {
  Simulator other(small_options());
  const int other_port = other.start();
  for (const char* e :
       {"Tickets", "TicketNotes", "Opportunities", "Companies", "Contacts", "ResourceRoles"}) {
    const std::string target = std::string("/ATServicesRest/V1.0/") + e + "/query";
    const std::string body = Json{{"filter", {item("gte", "id", 0)}}}.dump();
    EXPECT_EQ(http_request(port_, "POST", target, at_headers(), body).body,
              http_request(other_port, "POST", target, at_headers(), body).body)
        << e;
  }
}

TEST_F(AutotaskTest, OpportunityMutationsShowInAutotask) {
  control("POST", "/_sim/mutate",
          {{"entity", "opportunities"},
           {"kind", "modify"},
           {"ids", {7}},
           {"timestamp", "2026-11-02T10:00:00Z"},
           {"fields", {{"status", {{"id", 3}}}}}});
  Json opp = json(at("GET", "/Opportunities/7"))["item"];
  EXPECT_EQ(opp["lastActivity"], "2026-11-02T10:00:00.000Z");
  EXPECT_EQ(opp["status"], 2);  // Lost
  EXPECT_EQ(ids("Opportunities", {item("gt", "lastActivity", "2026-11-01T00:00:00Z")}),
            (std::vector<int64_t>{7}));
  // Whatever shape a mutation leaves, the Autotask view still serves it.
  control("POST", "/_sim/mutate",
          {{"entity", "opportunities"},
           {"kind", "modify"},
           {"ids", {8}},
           {"fields", {{"status", "odd"}, {"probability", nullptr}, {"company", 3}}}});
  Json odd = json(at("GET", "/Opportunities/8"))["item"];
  EXPECT_EQ(odd["status"], 1);
  EXPECT_TRUE(odd["companyID"].is_null());
}

}  // namespace
}  // namespace cwsim::testing
