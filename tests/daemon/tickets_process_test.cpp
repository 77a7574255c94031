// `cwsync search` and `cwsync ticket` end to end: the real binary against a
// real cwsim process and a fresh SQLite file. Exit codes, the not-cached
// reasons, the --json shapes, and the search index following the pulls.
#include <set>

#include <gtest/gtest.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

class TicketsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string psa = "    psa:\n"
                      "      site: " + sim_.base_url() + "\n"
                      "      company_id: cwsim\n"
                      "      public_key: cwsim-public\n"
                      "      private_key: cwsim-private\n"
                      "      client_id: 00000000-0000-0000-0000-000000000000\n";
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "tenants:\n"
                       "  - name: acme\n"
                       "    cpq:\n"
                       "      base_url: " + sim_.base_url() + "\n"
                       "      access_key: cwsim\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: cwsim-private\n" + psa +
                       "    tickets: { enabled: true, closed_for_days: 90 }\n"
                       "  - name: globex\n" + psa);
  }
  RunResult cwsync(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", dir_.file("cwsync.yaml").string()});
    return run_cwsync(args, dir_.path());
  }
  json json_out(const RunResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  CwsimProcess sim_{{"--quotes", "30", "--opportunities", "10", "--tickets", "12"}};
  SimControl control_{sim_.port()};
  TempDir dir_{"cwsync-tickets-process-"};
};

TEST_F(TicketsProcessTest, TicketSaysWhyItIsNotCachedAndShowsTheContextOnceItIs) {
  ASSERT_EQ(cwsync({"migrate"}).code, 0);
  RunResult r = cwsync({"ticket", "1001", "--tenant", "acme"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("not been synced yet"), std::string::npos) << r.err;
  r = cwsync({"ticket", "1001", "--tenant", "globex", "--json"});
  EXPECT_EQ(r.code, 1);
  json j = json_out(r);
  EXPECT_EQ(j["cached"], false);
  EXPECT_NE(j["reason"].get<std::string>().find("not enabled"), std::string::npos) << j;
  EXPECT_EQ(cwsync({"ticket", "abc"}).code, 2);
  EXPECT_EQ(cwsync({"ticket", "1001", "--tenant", "nosuch"}).code, 2);

  r = cwsync({"sync", "--once", "--tenant", "acme"});  // quotes, opportunities, then tickets
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("acme tickets: ok"), std::string::npos) << r.out;
  ASSERT_EQ(cwsync({"enqueue", "note", "--tenant", "acme", "--ticket", "1001", "--text",
                    "Rebooted the firewall"}).code, 0);

  r = cwsync({"ticket", "1001", "--json"});  // only acme has it: no --tenant needed
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  j = json_out(r);
  json upstream = control_.store("tickets")["tickets"][0];
  EXPECT_EQ(j["cached"], true);
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["reason"], nullptr);
  EXPECT_EQ(j["ticket"]["summary"], upstream["summary"]);
  EXPECT_EQ(j["ticket"]["company"]["name"], upstream["company"]["name"]);
  EXPECT_EQ(j["ticket"]["status"]["name"], upstream["status"]["name"]);
  EXPECT_EQ(j["ticket"]["contact"]["name"], upstream["contact"]["name"]);
  EXPECT_TRUE(j["sync"]["last_incremental_at"].is_string()) << j;
  EXPECT_GE(j["age_seconds"].get<int>(), 0);
  ASSERT_EQ(j["posts"].size(), 1u);
  EXPECT_EQ(j["posts"][0]["kind"], "note");
  EXPECT_EQ(j["post_counts"]["queued"], 1);
  r = cwsync({"ticket", "1001"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find(upstream["summary"].get<std::string>()), std::string::npos) << r.out;

  r = cwsync({"ticket", "999999", "--tenant", "acme"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("closed more than 90 days ago"), std::string::npos) << r.err;

  control_.mutate({{"entity", "tickets"}, {"kind", "delete"}, {"ids", {1002}}});
  ASSERT_EQ(cwsync({"sync", "--once", "--tenant", "acme", "--entity", "reconcile"}).code, 0);
  r = cwsync({"ticket", "1002", "--json"});
  EXPECT_EQ(r.code, 1);
  j = json_out(r);
  EXPECT_EQ(j["cached"], false);
  EXPECT_NE(j["reason"].get<std::string>().find("deleted upstream"), std::string::npos) << j;
  EXPECT_TRUE(j["ticket"]["deleted_at"].is_string()) << j;
}

TEST_F(TicketsProcessTest, SearchFindsRankedHitsAndRejectsBadInputWithExit2) {
  ASSERT_EQ(cwsync({"sync", "--once", "--tenant", "acme"}).code, 0);
  json upstream = control_.store("tickets")["tickets"][0];
  const std::string word = upstream["summary"].get<std::string>().substr(0, 3);  // "VPN" / "Pri"
  RunResult r = cwsync({"search", word + "*", "--tenant", "acme", "--kind", "ticket", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  json j = json_out(r);
  EXPECT_EQ(j["match"], "\"" + word + "\"*");
  ASSERT_FALSE(j["hits"].empty()) << j;
  for (const json& h : j["hits"]) {
    EXPECT_EQ(h["kind"], "ticket");
    EXPECT_EQ(h["tenant"], "acme");
    for (const char* key : {"id", "number", "title", "body", "snippet", "rank"}) {
      EXPECT_TRUE(h.contains(key)) << key;
    }
  }
  // A company name finds quotes, opportunities and tickets alike.
  const std::string company = upstream["company"]["name"].get<std::string>();
  r = cwsync({"search", company, "--limit", "50", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::set<std::string> kinds;
  const json company_hits = json_out(r)["hits"];
  for (const json& h : company_hits) kinds.insert(h["kind"].get<std::string>());
  EXPECT_TRUE(kinds.count("ticket")) << company;

  r = cwsync({"search", "T-100", "network", "upgrade"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("no matches"), std::string::npos);
  r = cwsync({"search", "--fts", "\"unterminated"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not a valid full-text query"), std::string::npos) << r.err;
  EXPECT_EQ(cwsync({"search", "x", "--tenant", "nosuch"}).code, 2);
  EXPECT_EQ(cwsync({"search", "x", "--kind", "invoice"}).code, 2);
  EXPECT_EQ(cwsync({"search", "*"}).code, 2);

  // A renamed ticket is found by its new words only, after the next pull.
  control_.mutate({{"entity", "tickets"}, {"kind", "modify"}, {"ids", {1001}},
                   {"fields", {{"summary", "Quarantined mailbox"}}}});
  ASSERT_EQ(cwsync({"sync", "--once", "--tenant", "acme", "--entity", "tickets"}).code, 0);
  j = json_out(cwsync({"search", "quarantined", "--json"}));
  ASSERT_EQ(j["hits"].size(), 1u);
  EXPECT_EQ(j["hits"][0]["id"], "1001");
}

}  // namespace
}  // namespace cwsync::test
