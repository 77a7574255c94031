#include "sim_fixture.h"

#include <set>

namespace cwsim::testing {
namespace {

using cwsync::test::basic_auth;
using cwsync::test::http_request;

class CpqTest : public SimTest {};

TEST_F(CpqTest, AuthFailuresMapToTheTroubleshootingTable) {
  const Options& o = sim_->options();
  auto get = [&](const std::string& user, const std::string& pass) {
    return http_request(port_, "GET", "/api/quotes?pageSize=1", {{"Authorization", basic_auth(user, pass)}});
  };
  EXPECT_EQ(http_request(port_, "GET", "/api/quotes").status, 401);
  EXPECT_EQ(get(o.access_key + "+" + o.public_key, "wrong").status, 401);
  EXPECT_EQ(get(o.access_key + "+wrong", o.private_key).status, 401);
  EXPECT_EQ(get(o.access_key, o.private_key).status, 401);  // no '+'
  HttpReply unknown = get("nosuchtenant+" + o.public_key, o.private_key);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(json(unknown).contains("message"));
  EXPECT_EQ(get(o.no_license_access_key + "+" + o.public_key, o.private_key).status, 403);
  EXPECT_EQ(get(o.access_key + "+" + o.public_key, o.private_key).status, 200);
}

TEST_F(CpqTest, PagingEndsOnTheFirstShortPage) {
  EXPECT_EQ(json(cpq("/api/quotes")).size(), 50u);  // default pageSize
  std::set<std::string> ids;
  std::vector<size_t> sizes;
  for (int page = 1; page <= 10; ++page) {
    HttpReply r = cpq("/api/quotes?pageSize=50&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200);
    Json rows = json(r);
    ASSERT_TRUE(rows.is_array());  // bare array, no envelope
    sizes.push_back(rows.size());
    for (const Json& q : rows) ids.insert(q["id"].get<std::string>());
    if (rows.size() < 50) break;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 50, 20}));
  EXPECT_EQ(ids.size(), 120u);
  EXPECT_EQ(json(cpq("/api/quotes?pageSize=50&page=4")).size(), 0u);
}

TEST_F(CpqTest, BadPagingIs400) {
  EXPECT_EQ(cpq("/api/quotes?pageSize=1001").status, 400);
  EXPECT_EQ(cpq("/api/quotes?pageSize=1000").status, 200);
  EXPECT_EQ(cpq("/api/quotes?pageSize=0").status, 400);
  EXPECT_EQ(cpq("/api/quotes?page=0").status, 400);
  EXPECT_EQ(cpq("/api/quotes?page=abc").status, 400);
}

TEST_F(CpqTest, ConditionsFilterLikeTheGroundTruth) {
  Json truth = control("GET", "/_sim/store/quotes?visible=true")["quotes"];
  auto count_where = [&](auto pred) {
    size_t n = 0;
    for (const Json& q : truth) n += pred(q) ? 1 : 0;
    return n;
  };
  Json lost = json(cpq("/api/quotes?pageSize=1000&conditions=" + enc("isLost = True")));
  EXPECT_EQ(lost.size(), count_where([](const Json& q) { return q["isLost"].get<bool>(); }));
  EXPECT_GT(lost.size(), 0u);
  for (const Json& q : lost) EXPECT_TRUE(q["isLost"].get<bool>());

  Json recent = json(cpq("/api/quotes?pageSize=1000&conditions=" + enc("modifyDate >= [2026-09-01] and quoteTotal > 100")));
  size_t expect = count_where([](const Json& q) {
    return q["modifyDate"].get<std::string>() >= "2026-09-01" && q["quoteTotal"].get<double>() > 100;
  });
  EXPECT_EQ(recent.size(), expect);
  EXPECT_GT(expect, 0u);

  std::string acct = truth[0]["accountName"].get<std::string>();
  Json by_acct = json(cpq("/api/quotes?pageSize=1000&conditions=" + enc("accountName = \"" + acct + "\"")));
  EXPECT_EQ(by_acct.size(), count_where([&](const Json& q) { return q["accountName"] == acct; }));
}

TEST_F(CpqTest, InvalidConditionsAre400) {
  HttpReply with_time = cpq("/api/quotes?conditions=" + enc("modifyDate > [2026-01-01T00:00:00Z]"));
  EXPECT_EQ(with_time.status, 400);
  EXPECT_NE(json(with_time)["message"].get<std::string>().find("yyyy-MM-dd"), std::string::npos);
  EXPECT_EQ(cpq("/api/quotes?conditions=" + enc("noSuchField = 1")).status, 400);
  EXPECT_EQ(cpq("/api/quotes?conditions=" + enc("isLost = ")).status, 400);
  EXPECT_EQ(cpq("/api/quotes?conditions=" + enc("(isLost = True")).status, 400);
  EXPECT_EQ(cpq("/api/quotes?showAllVersions=maybe").status, 400);
}

TEST_F(CpqTest, IncludeFieldsReturnsOnlyThoseFields) {
  Json rows = json(cpq("/api/quotes?pageSize=10&includeFields=" + enc("id,quoteNumber,modifyDate,bogus")));
  ASSERT_EQ(rows.size(), 10u);
  for (const Json& q : rows) {
    EXPECT_EQ(q.size(), 3u) << q.dump();
    EXPECT_TRUE(q.contains("id") && q.contains("quoteNumber") && q.contains("modifyDate"));
  }
  // Full rows carry the QuoteView fields the cache needs, with real types.
  Json full = json(cpq("/api/quotes?pageSize=1"))[0];
  for (const char* f : {"id", "quoteNumber", "quoteVersion", "name", "quoteStatus", "quoteType", "accountName",
                        "customer", "isAccepted", "isSent", "isArchive", "isLost", "lostReason", "wonOrLostDate",
                        "quoteTotal", "subtotal", "tax", "grossMargin", "probability", "createDate", "modifyDate",
                        "expirationDate", "expectedCloseDate", "crmOpportunityId", "primaryRep", "insideRep"}) {
    EXPECT_TRUE(full.contains(f)) << f;
  }
  EXPECT_TRUE(full["quoteNumber"].is_number_integer());
  EXPECT_TRUE(full["crmOpportunityId"].is_string() || full["crmOpportunityId"].is_null());
}

TEST_F(CpqTest, ShowAllVersionsAddsOldVersionsAndArchived) {
  Json latest = json(cpq("/api/quotes?pageSize=1000"));
  Json all = json(cpq("/api/quotes?pageSize=1000&showAllVersions=true"));
  ASSERT_EQ(latest.size(), 120u);
  EXPECT_GT(all.size(), latest.size());
  std::set<int64_t> numbers;
  for (const Json& q : latest) {
    EXPECT_TRUE(numbers.insert(q["quoteNumber"].get<int64_t>()).second) << "duplicate quote number";
    EXPECT_FALSE(q["isArchive"].get<bool>());
  }
  bool archived = false, multi = false;
  std::map<int64_t, int> versions;
  for (const Json& q : all) {
    archived = archived || q["isArchive"].get<bool>();
    multi = multi || ++versions[q["quoteNumber"].get<int64_t>()] > 1;
  }
  EXPECT_TRUE(archived);
  EXPECT_TRUE(multi);
}

TEST_F(CpqTest, QuoteByIdVersionsAndItems) {
  Json first = json(cpq("/api/quotes?pageSize=1"))[0];
  std::string id = first["id"].get<std::string>();
  HttpReply one = cpq("/api/quotes/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(json(one)["id"], id);
  EXPECT_EQ(cpq("/api/quotes/00000000-0000-4000-8000-000000000000").status, 404);

  Json versions = json(cpq("/api/quotes/" + std::to_string(first["quoteNumber"].get<int64_t>()) + "/versions"));
  ASSERT_GE(versions.size(), 1u);
  EXPECT_EQ(versions.back()["quoteVersion"], first["quoteVersion"]);

  Json items = json(cpq("/api/quoteItems?pageSize=1000&conditions=" + enc("idQuote = \"" + id + "\"")));
  ASSERT_GE(items.size(), 1u);
  for (const Json& it : items) EXPECT_EQ(it["idQuote"], id);
  std::string id2 = json(cpq("/api/quotes?pageSize=1&page=2"))[0]["id"].get<std::string>();
  Json both = json(cpq("/api/quoteItems?pageSize=1000&conditions=" + enc("idQuote in (\"" + id + "\",\"" + id2 + "\")")));
  EXPECT_GT(both.size(), items.size());
  // The same request twice gives the same items (they are derived, not random).
  EXPECT_EQ(json(cpq("/api/quoteItems?pageSize=1000&conditions=" + enc("idQuote = \"" + id + "\""))), items);
}

TEST_F(CpqTest, SameSeedGivesIdenticalBytes) {
  Simulator other(small_options());
  int other_port = other.start();
  HttpReply a = cpq("/api/quotes?pageSize=100");
  HttpReply b = http_request(other_port, "GET", "/api/quotes?pageSize=100", cpq_headers());
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, b.body);
  Options changed = small_options();
  changed.seed = 43;
  Simulator third(changed);
  int third_port = third.start();
  EXPECT_NE(http_request(third_port, "GET", "/api/quotes?pageSize=100", cpq_headers()).body, a.body);
}

TEST_F(CpqTest, GzipResponsesDecode) {
  auto h = cpq_headers();
  h["Accept-Encoding"] = "gzip";
  HttpReply z = http_request(port_, "GET", "/api/quotes?pageSize=200", h);
  HttpReply plain = cpq("/api/quotes?pageSize=200");
  EXPECT_EQ(z.header("Content-Encoding"), "gzip");
  EXPECT_LT(z.raw_body.size(), plain.body.size());
  EXPECT_EQ(z.body, plain.body);
}

TEST_F(CpqTest, MutationsShowUpInListings) {
  Json mod = control("POST", "/_sim/mutate",
                     {{"entity", "quotes"}, {"kind", "modify"}, {"count", 5}, {"timestamp", "2026-11-20T08:00:00Z"}});
  ASSERT_EQ(mod["affected"].size(), 5u);
  Json recent = json(cpq("/api/quotes?pageSize=1000&conditions=" + enc("modifyDate >= [2026-11-20]")));
  ASSERT_EQ(recent.size(), 5u);
  for (const Json& q : recent) EXPECT_EQ(q["modifyDate"], "2026-11-20T08:00:00.000Z");  // one shared timestamp

  std::string victim = mod["affected"][0].get<std::string>();
  control("POST", "/_sim/mutate", {{"entity", "quotes"}, {"kind", "delete"}, {"ids", {victim}}});
  EXPECT_EQ(cpq("/api/quotes/" + victim).status, 404);
  EXPECT_EQ(json(cpq("/api/quotes?pageSize=1000")).size(), 119u);
  Json truth = control("GET", "/_sim/store/quotes");
  bool tombstoned = false;
  for (const Json& d : truth["deleted"]) tombstoned = tombstoned || d["id"] == victim;
  EXPECT_TRUE(tombstoned);

  std::string old_id = mod["affected"][1].get<std::string>();
  Json bump = control("POST", "/_sim/mutate", {{"entity", "quotes"}, {"kind", "bump_version"}, {"ids", {old_id}}});
  std::string new_id = bump["affected"][0].get<std::string>();
  Json listed = json(cpq("/api/quotes?pageSize=1000&includeFields=id,quoteVersion"));
  bool has_old = false, has_new = false;
  for (const Json& q : listed) {
    has_old = has_old || q["id"] == old_id;
    has_new = has_new || q["id"] == new_id;
  }
  EXPECT_FALSE(has_old);
  EXPECT_TRUE(has_new);
  EXPECT_EQ(listed.size(), 119u);
}

// Everything a seed decides, read through the control API and over HTTP:
// quotes (all versions), line items, PSA records, and the effect of a scripted
// run of seeded random mutations and probabilistic faults.
Json seeded_snapshot(Simulator& sim) {
  const Options& o = sim.options();
  std::map<std::string, std::string> cpq_auth = {
      {"Authorization", basic_auth(o.access_key + "+" + o.public_key, o.private_key)}};
  std::map<std::string, std::string> psa_auth = {
      {"Authorization", basic_auth(o.company + "+" + o.public_key, o.private_key)}, {"clientId", o.client_id}};
  std::string psa = "/" + o.codebase + "apis/3.0";
  auto view = [&](const std::string& what) { return sim.control("GET", "/_sim/store/" + what).body; };
  auto get = [&](const std::string& target, const std::map<std::string, std::string>& h) {
    HttpReply r = http_request(sim.port(), "GET", target, h);
    EXPECT_EQ(r.status, 200) << target << " " << r.body;
    return r.body;
  };
  Json snap;
  for (const char* what : {"quotes", "opportunities", "tickets", "notes", "members", "boards", "opportunity-statuses"}) {
    snap[what] = view(what);
  }
  snap["items"] = get("/api/quoteItems?pageSize=1000", cpq_auth);
  snap["versions"] = get("/api/quotes?pageSize=1000&showAllVersions=true", cpq_auth);
  snap["psa_opportunities"] = get(psa + "/sales/opportunities?pageSize=1000&orderBy=" + enc("_info/lastUpdated desc"), psa_auth);
  // Seeded random targets: no ids given, so the store's mutation stream picks.
  Json script = Json::array();
  for (const char* kind : {"modify", "create", "bump_version", "archive", "delete"}) {
    script.push_back({{"entity", "quotes"}, {"kind", kind}, {"count", 3}, {"timestamp", "2026-11-05T12:00:00Z"}});
  }
  for (const char* kind : {"modify", "create", "delete"}) {
    script.push_back({{"entity", "opportunities"}, {"kind", kind}, {"count", 2}, {"timestamp", "2026-11-05T12:00:00Z"}});
  }
  ControlResult m = sim.control("POST", "/_sim/mutate", script);
  EXPECT_EQ(m.status, 200) << m.body.dump();
  snap["mutations"] = m.body;
  snap["after_quotes"] = view("quotes");
  snap["after_opportunities"] = view("opportunities");
  // A probabilistic fault draws from the seeded stream: same seed, same pattern.
  EXPECT_EQ(sim.control("POST", "/_sim/faults",
                        {{"kind", "status"}, {"status", 503}, {"path", "/api/quotes"}, {"count", -1}, {"probability", 0.5}})
                .status,
            200);
  std::string pattern;
  for (int k = 0; k < 24; ++k) {
    pattern += std::to_string(http_request(sim.port(), "GET", "/api/quotes?pageSize=1", cpq_auth).status) + " ";
  }
  snap["fault_pattern"] = pattern;
  return snap;
}

TEST(CwsimDeterminismTest, SameSeedSameDataMutationsAndFaultDraws) {
  Options o = small_options();
  Simulator a(o), b(o);
  a.start();
  b.start();
  Json sa = seeded_snapshot(a), sb = seeded_snapshot(b);
  ASSERT_FALSE(sa["quotes"]["quotes"].empty());
  ASSERT_FALSE(sa["opportunities"]["opportunities"].empty());
  ASSERT_FALSE(sa["tickets"]["tickets"].empty());
  ASSERT_EQ(sa["mutations"]["mutations"].size(), 8u);
  // Both outcomes occur, so the pattern comparison below means something.
  std::string pattern = sa["fault_pattern"].get<std::string>();
  EXPECT_NE(pattern.find("200"), std::string::npos);
  EXPECT_NE(pattern.find("503"), std::string::npos);
  for (const auto& [key, value] : sa.items()) EXPECT_EQ(value, sb[key]) << "differs for the same seed: " << key;

  o.seed += 1;
  Simulator c(o);
  c.start();
  Json sc = seeded_snapshot(c);
  for (const char* key : {"quotes", "items", "opportunities", "tickets", "notes", "mutations", "fault_pattern"}) {
    EXPECT_NE(sa[key], sc[key]) << "same for different seeds: " << key;
  }
}

TEST(CwsimOptionsTest, OutOfRangeOptionsAreRejectedUpFront) {
  auto bad = [](auto change) {
    Options o = small_options();
    change(o);
    EXPECT_THROW(Simulator{o}, std::invalid_argument);
  };
  bad([](Options& o) { o.port = 70000; });
  bad([](Options& o) { o.threads = 0; });
  bad([](Options& o) { o.gzip_level = 0; });
  bad([](Options& o) { o.gzip_level = 10; });
  bad([](Options& o) { o.mutate_every_ms = -1; });
  bad([](Options& o) { o.cpq_rate_limit = "25 per 5s"; });
  bad([](Options& o) { o.now = "yesterday"; });
  bad([](Options& o) { o.codebase = "v2025_1"; });
  Options fine = small_options();
  fine.gzip_level = 9;
  fine.threads = 1;
  EXPECT_NO_THROW(Simulator{fine});
}

}  // namespace
}  // namespace cwsim::testing
