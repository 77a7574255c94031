// One daemon, two PSA providers: a ConnectWise tenant and an Autotask tenant
// in one config, served by one cwsim process (it answers as both). `cwsync
// enqueue` picks each tenant's provider; `cwsync run` delivers every kind of
// post to each, once, and pulls both tenants' opportunities; `queue list`,
// `history`, `status` and `pipeline` read both. A SIGKILL while an Autotask
// note is in flight, then a restart, still leaves one note per post (found
// by its marker). Bounded: a few seconds each.
#include <signal.h>

#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "http_client.h"
#include "sim_control.h"
#include "sync/note_marker.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kBusyMs = 5000;

class TwoProvidersTest : public ::testing::Test {
 protected:
  TwoProvidersTest() : sim_({"--tickets", "6", "--seed", "9", "--opportunities", "20"}),
                       control_(sim_.port()) {}

  void write_config() {
    write_private_file(config_path(),
        "database: " + db_path() + "\n"
        "log: { level: info, format: json }\n"
        "http_listen: 127.0.0.1:0\n"
        "defaults:\n"
        "  intervals: { quotes: 5m, opportunities: 300ms, reconcile: 24h, queue: 200ms }\n"
        "  backoff: { base: 100ms, cap: 1s }\n"
        "  http: { connect_timeout: 1s, read_timeout: 2s }\n"
        "tenants:\n"
        "  - name: acme\n"
        "    psa:\n"
        "      site: " + sim_.base_url() + "\n"
        "      company_id: cwsim\n"
        "      public_key: cwsim-public\n"
        "      private_key: cwsim-private\n"
        "      client_id: 00000000-0000-0000-0000-000000000000\n"
        "    queue: { lease: 1s, settle: 500ms }\n"
        "  - name: contoso\n"
        "    psa:\n"
        "      provider: autotask\n"
        "      username: apiuser@msp.example.com\n"
        "      secret: cwsim-secret\n"
        "      integration_code: CWSIMINTEGRATIONCODE\n"
        "      zone_lookup_url: " + sim_.base_url() + "/ATServicesRest/\n"
        "    queue: { lease: 1s, settle: 500ms }\n"
        "    tickets: { enabled: true }\n");
  }
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }
  std::string db_path() const { return dir_.file("cache.db").string(); }

  RunResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_path()});
    return run_cwsync(args, dir_.path());
  }
  std::string enqueue(const std::string& tenant, std::vector<std::string> args) {
    args.insert(args.begin(), "enqueue");
    args.insert(args.begin() + 2, {"--tenant", tenant});
    args.push_back("--json");
    RunResult r = cli(args);
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("idempotency_key", std::string()) : std::string();
  }
  int count(const std::string& sql) {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    return db.execAndGet(sql).getInt();
  }
  int with_marker(const std::string& view, const char* list, const char* field,
                  const std::string& key) {
    const std::string marker = format_marker("[cwsync:{marker}]", key);
    int n = 0;
    const json all = control_.store(view);  // by value: [list] of a temporary would dangle
    for (const auto& x : all.value(list, json::array())) {
      n += x.value(field, std::string()).find(marker) != std::string::npos;
    }
    return n;
  }
  TempDir dir_{"cwsync-twoproviders-"};
  CwsimProcess sim_;
  SimControl control_;
};

TEST_F(TwoProvidersTest, OneDaemonDeliversAndPullsForAConnectWiseAndAnAutotaskTenant) {
  write_config();
  const std::string cw_note = enqueue("acme", {"note", "--ticket", "1001", "--text", "cw note"});
  const std::string cw_time =
      enqueue("acme", {"time", "--ticket", "1002", "--start", "2026-11-23T09:00:00Z", "--end",
                       "2026-11-23T09:20:00Z", "--rounding", "15m"});
  enqueue("acme", {"status", "--ticket", "1003", "--status", "Closed"});
  const std::string at_note = enqueue("contoso", {"note", "--ticket", "1001", "--text", "at note"});
  const std::string at_time =
      enqueue("contoso", {"time", "--ticket", "1002", "--start", "2026-11-23T09:00:00Z", "--end",
                          "2026-11-23T09:20:00Z", "--rounding", "15m", "--member",
                          "cgomez@msp.example.com"});
  enqueue("contoso", {"status", "--ticket", "1003", "--status", "Waiting Customer"});
  EXPECT_EQ(count("SELECT count(*) FROM psa_posts WHERE tenant = 'contoso' AND "
                  "provider = 'autotask'"), 3) << "enqueue picks the tenant's provider";

  ChildProcess daemon({"run", "--config", config_path()}, dir_.path());
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM psa_posts WHERE status = 'succeeded'") == 6;
  }, 15s)) << daemon.out() << daemon.err();
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM cpq_opportunities WHERE tenant = 'contoso'") == 20 &&
           count("SELECT count(*) FROM cpq_opportunities WHERE tenant = 'acme'") == 20;
  }, 15s)) << daemon.out();

  // Once each, where each provider keeps it.
  EXPECT_EQ(with_marker("notes", "notes", "text", cw_note), 1);
  EXPECT_EQ(with_marker("time-entries", "time_entries", "notes", cw_time), 1);
  EXPECT_EQ(with_marker("autotask-notes", "notes", "description", at_note), 1);
  EXPECT_EQ(with_marker("autotask-time-entries", "time_entries", "summaryNotes", at_time), 1);
  EXPECT_EQ(with_marker("notes", "notes", "text", at_note), 0) << "not sent to the other PSA";
  bool waiting_customer = false;
  const json tickets = control_.store("autotask-tickets");
  for (const auto& t : tickets.value("tickets", json::array())) {
    waiting_customer = waiting_customer || (t["id"] == 1003 && t["status"] == 7);
  }
  EXPECT_TRUE(waiting_customer);

  // The read commands work unchanged for the Autotask tenant.
  RunResult list = cli({"queue", "list", "--tenant", "contoso", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  json posts = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(posts.is_array()) << list.out;
  EXPECT_EQ(posts.size(), 3u);
  for (const auto& p : posts) EXPECT_EQ(p["provider"], "autotask") << p;
  RunResult history = cli({"history", "--ticket", "1001", "--tenant", "contoso", "--json"});
  EXPECT_EQ(history.code, 0) << history.err;
  EXPECT_NE(history.out.find("succeeded"), std::string::npos) << history.out;
  RunResult status = cli({"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  json report = json::parse(status.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << status.out;
  for (const auto& t : report["tenants"]) {
    if (t["tenant"] == "contoso") {
      EXPECT_EQ(t["upstream_usage"]["limit"], 10000) << t;
    } else {
      EXPECT_FALSE(t.contains("upstream_usage")) << t;
    }
  }
  auto listening = daemon.wait_for_line({"\"event\":\"http_listening\""}, 5s);
  ASSERT_TRUE(listening.has_value()) << daemon.out();
  const int port = json::parse(*listening)["port"].get<int>();
  HttpReply metrics = http_request(port, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("cwsync_upstream_request_limit{tenant=\"contoso\"} 10000"),
            std::string::npos) << metrics.body;
  RunResult pipeline = cli({"pipeline", "--json"});
  EXPECT_EQ(pipeline.code, 0) << pipeline.err;
  EXPECT_NE(pipeline.out.find("contoso"), std::string::npos) << pipeline.out;

  daemon.signal(SIGTERM);
  auto code = daemon.wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.err();

  // The Autotask tenant's ticket cache: `cwsync ticket` and `cwsync search`.
  RunResult pulled = cli({"sync", "--once", "--tenant", "contoso", "--entity", "tickets"});
  ASSERT_EQ(pulled.code, 0) << pulled.out << pulled.err;
  RunResult ticket = cli({"ticket", "1003", "--tenant", "contoso", "--json"});
  ASSERT_EQ(ticket.code, 0) << ticket.out << ticket.err;
  json t = json::parse(ticket.out, nullptr, false);
  ASSERT_TRUE(t.is_object()) << ticket.out;
  EXPECT_EQ(t["ticket"]["status"]["name"], "Waiting Customer") << t;
  EXPECT_EQ(t["ticket"]["number"].get<std::string>().rfind("T2026", 0), 0u) << t;
  EXPECT_TRUE(t["ticket"]["company"]["name"].is_string()) << t;
  const std::string title = t["ticket"]["summary"].get<std::string>();
  RunResult found = cli({"search", title.substr(0, 3) + "*", "--tenant", "contoso", "--kind",
                         "ticket", "--json"});
  ASSERT_EQ(found.code, 0) << found.err;
  json hits = json::parse(found.out, nullptr, false);
  ASSERT_TRUE(hits.is_object() && !hits["hits"].empty()) << found.out;
  for (const json& h : hits["hits"]) EXPECT_EQ(h["tenant"], "contoso") << h;

  // A pass over every tenant runs what the daemon would schedule: no quote
  // pull for the Autotask tenant, which has no CPQ connection.
  RunResult all = cli({"sync", "--once", "--full", "--json"});
  EXPECT_EQ(all.code, 0) << all.out << all.err;
  json passes = json::parse(all.out, nullptr, false);
  ASSERT_TRUE(passes.is_array()) << all.out;
  bool contoso_opportunities = false;
  for (const json& p : passes) {
    EXPECT_TRUE(p["ok"].get<bool>()) << p;
    EXPECT_FALSE(p["tenant"] == "contoso" && p["entity"] == "quotes") << p;
    contoso_opportunities |= p["tenant"] == "contoso" && p["entity"] == "opportunities";
  }
  EXPECT_TRUE(contoso_opportunities) << all.out;
}

TEST_F(TwoProvidersTest, SigkillWhileAnAutotaskNoteIsInFlightThenRestartDeliversEachOnce) {
  write_config();
  std::vector<std::string> keys;
  for (int k = 0; k < 8; ++k) {
    keys.push_back(enqueue("contoso", {"note", "--ticket", std::to_string(1001 + k % 4), "--text",
                                       "step " + std::to_string(k)}));
  }
  // Each note POST is applied at cwsim 300 ms after it arrives, so a kill
  // lands while one is in flight (sent, applied, the answer never read).
  control_.add_fault({{"kind", "delay"}, {"api", "autotask"}, {"method", "POST"},
                      {"path", "*/Notes"}, {"delay_ms", 300}, {"count", -1}});
  auto posts_seen = [&] {
    int n = 0;
    for (const auto& r : control_.requests()) {
      n += r.value("method", "") == "POST" && r.value("path", "").find("/Notes") != std::string::npos;
    }
    return n;
  };
  auto first = std::make_unique<ChildProcess>(
      std::vector<std::string>{"run", "--config", config_path()}, dir_.path());
  ASSERT_TRUE(eventually([&] { return posts_seen() >= 3; }, 10s)) << first->out();
  std::this_thread::sleep_for(100ms);  // into the next delayed POST
  first->signal(SIGKILL);
  ASSERT_TRUE(first->wait(5s).has_value());
  std::this_thread::sleep_for(400ms);  // let cwsim apply the orphaned POST
  control_.clear_faults();

  ChildProcess second({"run", "--config", config_path()}, dir_.path());
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM psa_posts WHERE tenant = 'contoso' AND "
                 "status = 'succeeded'") == 8;
  }, 15s)) << second.out() << second.err();
  second.signal(SIGTERM);
  ASSERT_TRUE(second.wait(10s).has_value());
  for (const auto& key : keys) {
    EXPECT_EQ(with_marker("autotask-notes", "notes", "description", key), 1) << key;
  }
  EXPECT_GE(count("SELECT count(*) FROM psa_activity_log WHERE event = 'deduplicated'"), 1)
      << "the orphaned POST must be found by its marker, not sent again";
}

}  // namespace
}  // namespace cwsync::test
