#include "sim_fixture.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>

#include <chrono>

namespace cwsim::testing {
namespace {

using cwsync::test::HttpConnection;
using cwsync::test::basic_auth;
using cwsync::test::http_request;

class FaultsTest : public SimTest {
 protected:
  int add(const Json& rule) {
    ControlResult r = sim_->control("POST", "/_sim/faults", rule);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("id", 0);
  }
  Json rule(int id) {
    Json all = control("GET", "/_sim/faults");
    for (const Json& f : all["faults"]) {
      if (f["id"] == id) return f;
    }
    return Json();
  }
  Json log() { return control("GET", "/_sim/requests")["requests"]; }
};

TEST_F(FaultsTest, StatusWithRetryAfterSecondsFiresExactlyCountTimes) {
  int id = add({{"kind", "status"}, {"status", 429}, {"retry_after", 7}, {"path", "/api/quotes"}, {"count", 2}});
  std::vector<int> seen;
  for (int k = 0; k < 4; ++k) {
    HttpReply r = cpq("/api/quotes?pageSize=1");
    seen.push_back(r.status);
    if (r.status == 429) {
      EXPECT_EQ(r.header("Retry-After"), "7");
    }
  }
  EXPECT_EQ(seen, (std::vector<int>{429, 429, 200, 200}));
  EXPECT_EQ(rule(id)["fired"], 2);
  EXPECT_EQ(rule(id)["matched"], 4);
  Json entries = log();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0]["fault"], "status");
  EXPECT_TRUE(entries[2]["fault"].is_null());
}

TEST_F(FaultsTest, RetryAfterAsHttpDate) {
  add({{"status", 503}, {"retry_after", 30}, {"retry_after_http_date", true}, {"api", "psa"}});
  HttpReply r = psa("GET", "/system/members");
  ASSERT_EQ(r.status, 503);
  int tzd = 0;
  Poco::DateTime when = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, r.header("Retry-After"), tzd);
  double delta = static_cast<double>(when.timestamp().epochTime() - std::time(nullptr));
  EXPECT_NEAR(delta, 30, 3);
  EXPECT_EQ(json(r)["code"], "UnexpectedError");  // PSA error shape
}

TEST_F(FaultsTest, EachServerErrorStatus) {
  for (int status : {500, 502, 503, 504}) {
    add({{"status", status}, {"path", "/api/*"}});
    HttpReply r = cpq("/api/quotes");
    EXPECT_EQ(r.status, status);
    EXPECT_TRUE(json(r).contains("message"));
  }
  EXPECT_EQ(cpq("/api/quotes").status, 200);
}

TEST_F(FaultsTest, PatternsMethodsAndAfter) {
  add({{"status", 500}, {"path", "/api/quoteItems"}, {"count", -1}});
  add({{"status", 502}, {"path", "^/v[0-9_]+/apis/3\\.0/service/tickets/[0-9]+/notes$"}, {"regex", true},
       {"method", "POST"}, {"count", -1}});
  add({{"status", 503}, {"path", "/api/quotes"}, {"after", 2}, {"count", 1}});
  EXPECT_EQ(cpq("/api/quoteItems").status, 500);
  EXPECT_EQ(psa("GET", "/service/tickets/1001/notes").status, 200);  // method filter
  EXPECT_EQ(psa("POST", "/service/tickets/1001/notes", R"({"text":"x","resolutionFlag":true})").status, 502);
  std::vector<int> seen;
  for (int k = 0; k < 4; ++k) seen.push_back(cpq("/api/quotes?pageSize=1").status);
  EXPECT_EQ(seen, (std::vector<int>{200, 200, 503, 200}));
  // Nothing was stored by the failed POST.
  EXPECT_EQ(control("GET", "/_sim/store/notes?ticket=1001")["notes"].size(), 1u);
}

TEST_F(FaultsTest, DelayAndDelayBeyondClientTimeout) {
  add({{"kind", "delay"}, {"delay_ms", 300}, {"path", "/api/quotes"}});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(cpq("/api/quotes?pageSize=1").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));

  add({{"kind", "delay"}, {"delay_ms", 1500}, {"path", "/api/quotes"}});
  HttpReply timed_out = http_request(port_, "GET", "/api/quotes?pageSize=1", cpq_headers(), "", 200);
  EXPECT_EQ(timed_out.status, 0);
  EXPECT_FALSE(timed_out.error.empty());
}

TEST_F(FaultsTest, ResetDropsTheConnectionWithoutResponse) {
  add({{"kind", "reset"}, {"path", "/api/quotes"}});
  HttpConnection conn(port_);
  HttpReply r = conn.request("GET", "/api/quotes", cpq_headers());
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(conn.request("GET", "/api/quotes", cpq_headers()).status, 200);  // reconnects
  Json entries = log();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["fault"], "reset");
  EXPECT_FALSE(entries[0]["responded"].get<bool>());
}

TEST_F(FaultsTest, TruncatedWrongTypeAndHtmlBodies) {
  std::string full = cpq("/api/quotes?pageSize=5").body;
  add({{"kind", "truncate"}, {"path", "/api/quotes"}});
  HttpReply cut = cpq("/api/quotes?pageSize=5");
  EXPECT_EQ(cut.status, 200);
  EXPECT_EQ(cut.body, full.substr(0, full.size() / 2));
  EXPECT_TRUE(Json::parse(cut.body, nullptr, false).is_discarded());

  add({{"kind", "wrong_type"}, {"path", "/api/quotes"}});
  Json wrong = json(cpq("/api/quotes?pageSize=5"));
  EXPECT_TRUE(wrong.is_object());

  add({{"kind", "html"}, {"path", "/api/quotes"}});
  HttpReply html = cpq("/api/quotes?pageSize=5");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST_F(FaultsTest, AppliedThenLostStoresExactlyOneNote) {
  add({{"kind", "applied_then_lost"}, {"method", "POST"}, {"path", "*/service/tickets/1003/notes"}});
  std::string text = "Call notes [cwsync:deadbe]";
  HttpReply r = psa("POST", "/service/tickets/1003/notes", Json({{"text", text}, {"internalAnalysisFlag", true}}).dump());
  EXPECT_EQ(r.status, 0);  // the client never sees a response
  Json notes = control("GET", "/_sim/store/notes?ticket=1003")["notes"];
  int matches = 0;
  for (const Json& n : notes) matches += n["text"] == text;
  EXPECT_EQ(matches, 1);
  // A careful client checks recent notes before re-posting, and finds it.
  Json recent = json(psa("GET", "/service/tickets/1003/notes?orderBy=" + enc("id desc")));
  EXPECT_EQ(recent[0]["text"], text);
  Json entries = log();
  EXPECT_EQ(entries[0]["fault"], "applied_then_lost");
  EXPECT_EQ(entries[0]["status"], 0);
}

TEST_F(FaultsTest, RateLimitTokenBucket) {
  control("POST", "/_sim/rate-limit", {{"api", "cpq"}, {"requests", 5}, {"window_ms", 10000}});
  int ok = 0, limited = 0;
  for (int k = 0; k < 9; ++k) {
    HttpReply r = cpq("/api/quotes?pageSize=1");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      EXPECT_GE(std::stoi(r.header("Retry-After")), 1);
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 4);
  EXPECT_EQ(psa("GET", "/system/members").status, 200);  // per-API buckets
  int from_log = 0;
  for (const Json& e : log()) from_log += e["fault"] == "rate_limit";
  EXPECT_EQ(from_log, 4);
}

TEST_F(FaultsTest, TenantsAndPerTenantRateLimits) {
  Options o = small_options();
  o.tenants = 3;
  o.rate_limit_per_tenant = true;
  o.cpq_rate_limit = "2/10s";
  o.psa_rate_limit = "1/10s";
  start(o);
  auto cpq_as = [&](const std::string& key) {
    return http_request(port_, "GET", "/api/quotes?pageSize=1",
                        {{"Authorization", basic_auth(key + "+" + o.public_key, o.private_key)}})
        .status;
  };
  // Each tenant has its own bucket of 2: tenant 1's third request is limited,
  // tenant 2's first two are not.
  EXPECT_EQ(cpq_as("cwsim-1"), 200);
  EXPECT_EQ(cpq_as("cwsim-1"), 200);
  EXPECT_EQ(cpq_as("cwsim-1"), 429);
  EXPECT_EQ(cpq_as("cwsim-2"), 200);
  EXPECT_EQ(cpq_as("cwsim-2"), 200);
  EXPECT_EQ(cpq_as("cwsim"), 200);
  EXPECT_EQ(cpq_as("cwsim-4"), 404);  // only 1..3 exist
  EXPECT_EQ(cpq_as("cwsim-01"), 404);
  // PSA: companies cwsim-1..3 look up the same codebase and authenticate.
  // (The lookup has no auth, so it uses the API's own bucket.)
  EXPECT_NE(http_request(port_, "GET", "/login/companyinfo/CWSIM-3").body, "null");
  auto psa_as = [&](const std::string& company) {
    return http_request(port_, "GET", "/" + o.codebase + "apis/3.0/system/members",
                        {{"Authorization", basic_auth(company + "+" + o.public_key, o.private_key)},
                         {"clientId", o.client_id}})
        .status;
  };
  EXPECT_EQ(psa_as("cwsim-3"), 200);
  EXPECT_EQ(psa_as("cwsim-3"), 429);
  EXPECT_EQ(psa_as("cwsim-1"), 200);
  Json limits = control("GET", "/_sim/rate-limit")["rate_limits"];
  EXPECT_EQ(limits["cpq"]["rejected"], 1);
  EXPECT_EQ(limits["cpq"]["tenants"]["cwsim-1"]["rejected"], 1);
}

TEST_F(FaultsTest, MutationTriggeredBetweenPages) {
  // Delete a row from page 1 right before page 3 is served: every later row
  // shifts left by one and a naive pager misses one quote.
  Json page1 = json(cpq("/api/quotes?pageSize=40&page=1&includeFields=id"));
  std::string victim = page1[0]["id"].get<std::string>();
  control("DELETE", "/_sim/requests");
  add({{"kind", "mutate"}, {"path", "/api/quotes"}, {"after", 2}, {"count", 1},
       {"mutation", {{"entity", "quotes"}, {"kind", "delete"}, {"ids", {victim}}}}});
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    for (const Json& q : json(cpq("/api/quotes?pageSize=40&includeFields=id&page=" + std::to_string(page)))) {
      seen.insert(q["id"].get<std::string>());
    }
  }
  EXPECT_EQ(seen.size(), 119u);  // 120 - 1 missed by the shift, victim was read before deletion
  EXPECT_TRUE(seen.count(victim));
  EXPECT_EQ(json(cpq("/api/quotes?pageSize=1000&includeFields=id")).size(), 119u);
}

TEST_F(FaultsTest, ProbabilityIsSeededAndBounded) {
  add({{"status", 500}, {"probability", 0.5}, {"count", -1}, {"path", "/api/quotes"}});
  int failed = 0;
  for (int k = 0; k < 40; ++k) failed += cpq("/api/quotes?pageSize=1").status == 500;
  EXPECT_GT(failed, 5);
  EXPECT_LT(failed, 35);
}

TEST_F(FaultsTest, BadRulesAreRejected) {
  EXPECT_EQ(sim_->control("POST", "/_sim/faults", {{"kind", "explode"}}).status, 400);
  EXPECT_EQ(sim_->control("POST", "/_sim/faults", {{"kind", "delay"}}).status, 400);
  EXPECT_EQ(sim_->control("POST", "/_sim/faults", {{"path", "("}, {"regex", true}}).status, 400);
  EXPECT_EQ(sim_->control("POST", "/_sim/mutate", {{"entity", "widgets"}}).status, 400);
}

// Every body-level kind honours after/count exactly: request 1 passes
// (after=1), requests 2 and 3 are faulted (count=2), request 4 passes again.
TEST_F(FaultsTest, EveryKindFiresOnExactlyTheScriptedRequests) {
  const std::string target = "/api/quotes?pageSize=3";
  std::string normal = cpq(target).body;
  ASSERT_TRUE(Json::parse(normal).is_array());
  auto faulted = [&](const std::string& kind, const HttpReply& r) {
    if (kind == "reset") return r.status == 0;
    if (kind == "truncate") return r.status == 200 && r.body == normal.substr(0, normal.size() / 2);
    if (kind == "wrong_type") return r.status == 200 && Json::parse(r.body, nullptr, false).is_object();
    if (kind == "html") return r.header("Content-Type").find("text/html") != std::string::npos;
    if (kind == "status") return r.status == 502;
    return false;
  };
  for (const std::string kind : {"status", "truncate", "wrong_type", "html", "reset"}) {
    control("DELETE", "/_sim/faults");
    control("DELETE", "/_sim/requests");
    Json spec = {{"kind", kind}, {"path", "/api/quotes"}, {"after", 1}, {"count", 2}};
    if (kind == "status") spec["status"] = 502;
    int id = add(spec);
    std::vector<bool> pattern;
    for (int k = 0; k < 4; ++k) {
      HttpReply r = cpq(target);
      pattern.push_back(faulted(kind, r));
      if (!pattern.back()) {
        EXPECT_EQ(r.body, normal) << kind << " request " << k + 1;
      }
    }
    EXPECT_EQ(pattern, (std::vector<bool>{false, true, true, false})) << kind;
    Json r = rule(id);
    EXPECT_EQ(r["matched"], 4) << kind;
    EXPECT_EQ(r["fired"], 2) << kind;
    Json entries = log();
    ASSERT_EQ(entries.size(), 4u) << kind;
    EXPECT_TRUE(entries[0]["fault"].is_null()) << kind;
    EXPECT_EQ(entries[1]["fault"], kind) << kind;
    EXPECT_EQ(entries[2]["fault"], kind) << kind;
    EXPECT_TRUE(entries[3]["fault"].is_null()) << kind;
    for (const Json& e : entries) EXPECT_GE(e["duration_us"].get<int64_t>(), 0);
  }
}

TEST_F(FaultsTest, WrongTypeOnAnObjectEndpointIsAnArray) {
  std::string id = json(cpq("/api/quotes?pageSize=1&includeFields=id"))[0]["id"].get<std::string>();
  add({{"kind", "wrong_type"}, {"path", "/api/quotes/*"}});
  EXPECT_EQ(json(cpq("/api/quotes/" + id)), Json::array());
  EXPECT_TRUE(json(cpq("/api/quotes/" + id)).is_object());
}

TEST_F(FaultsTest, AppliedThenLostStoresExactlyOneTimeEntry) {
  add({{"kind", "applied_then_lost"}, {"method", "POST"}, {"path", "*/time/entries"}});
  Json entry = {{"chargeToId", 1002}, {"chargeToType", "ServiceTicket"}, {"member", {{"id", 101}}},
                {"timeStart", "2026-10-30T09:00:00Z"}, {"timeEnd", "2026-10-30T09:45:00Z"}, {"notes", "lost reply"}};
  EXPECT_EQ(psa("POST", "/time/entries", entry.dump()).status, 0);
  Json stored = control("GET", "/_sim/store/time-entries")["time_entries"];
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["chargeToId"], 1002);
  EXPECT_EQ(stored[0]["actualHours"], 0.75);
  // The documented lookup finds it, so a careful client does not post twice.
  Json found = json(psa("GET", "/time/entries?conditions=" +
                                   enc("chargeToId = 1002 and member/id = 101 and timeStart = [2026-10-30T09:00:00Z]")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], stored[0]["id"]);
  EXPECT_EQ(psa("POST", "/time/entries", entry.dump()).status, 201);  // count 1: the rule is spent
  EXPECT_EQ(control("GET", "/_sim/store/time-entries")["time_entries"].size(), 2u);
}

}  // namespace
}  // namespace cwsim::testing
