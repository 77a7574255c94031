// Runs the real `cwsync` binary: exit codes, check-config output, and the
// daemon's contract with systemd (READY/WATCHDOG/STOPPING on a NOTIFY_SOCKET
// the test owns), signals (SIGTERM, SIGINT, SIGHUP reload) and the loopback
// health/metrics listener.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "http_client.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kSecret = "Tq9-very-private-key-77xZ";

// Generous bounds: the ASan build starts slower, but the daemon's own promise
// (exit within 10 s of SIGTERM) is asserted separately.
constexpr auto kStartTimeout = 20s;

struct ConfigOptions {
  std::string queue_interval = "10s";
  std::string http_listen = "127.0.0.1:0";
  std::string extra;  // appended at top level
};

class ProcessTest : public ::testing::Test {
 protected:
  std::string config_text(const ConfigOptions& o = {}) {
    return "database: " + dir_.file("cache.db").string() + "\n"
           "log: { level: info, format: json }\n"
           "http_listen: " + o.http_listen + "\n"
           "defaults:\n"
           "  intervals: { quotes: 5m, opportunities: 5m, reconcile: 24h, queue: " +
           o.queue_interval + " }\n"
           "tenants:\n"
           "  - name: acme\n"
           "    cpq:\n"
           "      base_url: http://127.0.0.1:1\n"
           "      access_key: acme\n"
           "      public_key: pub123\n"
           "      private_key: " + kSecret + "\n" + o.extra;
  }
  std::string write_config(const ConfigOptions& o = {}) {
    write_private_file(config_path(), config_text(o));
    return config_path();
  }
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }

  // Starts `cwsync run` and waits for daemon_ready.
  std::unique_ptr<ChildProcess> start(const std::map<std::string, std::string>& env = {}) {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{"run", "--config", config_path()}, dir_.path(), env);
    auto ready = child->wait_for_line({"\"event\":\"daemon_ready\""}, kStartTimeout);
    EXPECT_TRUE(ready.has_value()) << "stdout:\n" << child->out() << "\nstderr:\n" << child->err();
    return child;
  }

  // SIGTERM and expect exit 0 within the 10 s promise.
  void stop(ChildProcess& child, int signo = SIGTERM) {
    auto t0 = std::chrono::steady_clock::now();
    child.signal(signo);
    auto code = child.wait(15s);
    ASSERT_TRUE(code.has_value()) << "did not exit after signal";
    EXPECT_EQ(*code, 0) << child.out() << child.err();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
    EXPECT_TRUE(child.wait_for_line({"\"event\":\"daemon_stopped\""}, 1s).has_value());
  }

  TempDir dir_{"cwsync-daemon-"};
};

TEST_F(ProcessTest, VersionHelpAndUsageErrors) {
  auto v = run_cwsync({"--version"}, dir_.path());
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("cwsync "), std::string::npos);
  EXPECT_EQ(run_cwsync({}, dir_.path()).code, 2);
  auto unknown = run_cwsync({"--config", "x.yaml", "no-such-command"}, dir_.path());
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'no-such-command'"), std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("check-config"), std::string::npos) << "lists the commands";
  write_config();
  EXPECT_EQ(run_cwsync({"pipeline", "--config", config_path(), "--days", "0"}, dir_.path()).code, 2);
  EXPECT_EQ(run_cwsync({"status", "--config", config_path(), "--tenant", "nope"}, dir_.path()).code, 2);
  auto help = run_cwsync({"--help"}, dir_.path());
  EXPECT_EQ(help.code, 0);
  for (const char* cmd : {"run", "check-config", "migrate", "status", "pipeline", "backlog"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST_F(ProcessTest, BadConfigExits78AndNamesKeyAndLine) {
  ConfigOptions o;
  o.extra = "    bogus_key: 1\n";  // line 13, inside tenants[0]
  write_config(o);
  auto r = run_cwsync({"check-config", "--config", config_path()}, dir_.path());
  EXPECT_EQ(r.code, 78);
  EXPECT_NE(r.err.find(config_path() + ":13:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bogus_key"), std::string::npos) << r.err;

  auto j = run_cwsync({"check-config", "--json", "--config", config_path()}, dir_.path());
  EXPECT_EQ(j.code, 78);
  json parsed = json::parse(j.out);
  EXPECT_EQ(parsed["ok"], false);
  EXPECT_EQ(parsed["problems"][0]["line"], 13);

  // The daemon refuses to start with the same exit code systemd will not restart.
  auto run = run_cwsync({"run", "--config", config_path()}, dir_.path());
  EXPECT_EQ(run.code, 78);
  EXPECT_NE(run.out.find("\"event\":\"config_invalid\""), std::string::npos) << run.out;

  auto missing = run_cwsync({"check-config", "--config", dir_.file("nope.yaml").string()}, dir_.path());
  EXPECT_EQ(missing.code, 78);
}

TEST_F(ProcessTest, CheckConfigPrintsSummaryWithSecretsMasked) {
  write_config();
  auto r = run_cwsync({"check-config", "--config", config_path()}, dir_.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("acme"), std::string::npos);
  EXPECT_NE(r.out.find("****"), std::string::npos);
  EXPECT_EQ(r.out.find(kSecret), std::string::npos) << "secret leaked:\n" << r.out;
  EXPECT_EQ(r.err.find(kSecret), std::string::npos);

  auto j = run_cwsync({"check-config", "--json", "--config", config_path()}, dir_.path());
  EXPECT_EQ(j.code, 0);
  EXPECT_EQ(j.out.find(kSecret), std::string::npos);
  json parsed = json::parse(j.out);
  EXPECT_EQ(parsed["ok"], true);
  EXPECT_EQ(parsed["tenants"][0]["name"], "acme");
  EXPECT_EQ(parsed["tenants"][0]["intervals"]["queue"], "10s");
}

TEST_F(ProcessTest, MigrateThenReadCommandsWork) {
  write_config();
  auto before = run_cwsync({"status", "--config", config_path()}, dir_.path());
  EXPECT_EQ(before.code, 1);
  EXPECT_NE(before.err.find("cwsync migrate"), std::string::npos) << before.err;

  auto m = run_cwsync({"migrate", "--json", "--config", config_path()}, dir_.path());
  ASSERT_EQ(m.code, 0) << m.err;
  json mj = json::parse(m.out);
  EXPECT_EQ(mj["from_version"], 0);
  EXPECT_GE(mj["to_version"].get<int>(), 1);
  EXPECT_EQ(run_cwsync({"migrate", "--config", config_path()}, dir_.path()).code, 0);

  auto st = run_cwsync({"status", "--json", "--config", config_path()}, dir_.path());
  ASSERT_EQ(st.code, 0) << st.err;
  EXPECT_EQ(json::parse(st.out)["tenants"][0]["tenant"], "acme");
  auto text = run_cwsync({"status", "--config", config_path()}, dir_.path());
  EXPECT_NE(text.out.find("0 pending"), std::string::npos) << text.out;

  auto p = run_cwsync({"pipeline", "--json", "--tenant", "acme", "--config", config_path()}, dir_.path());
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(json::parse(p.out)["open_opportunities"], 0);
  auto b = run_cwsync({"backlog", "--limit", "5", "--config", config_path()}, dir_.path());
  EXPECT_EQ(b.code, 0);
  EXPECT_NE(b.out.find("Pro Services backlog: acme"), std::string::npos) << b.out;
}

TEST_F(ProcessTest, RunNotifiesReadyPingsWatchdogAndStopsOnSigterm) {
  write_config();
  NotifySocket notify(dir_.file("notify.sock"));
  auto child = start({{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "1000000"}});
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.wait_for("READY=1", 5s, &seen));
  // Half of WATCHDOG_USEC: a ping every 500 ms while the loop makes progress.
  ASSERT_TRUE(notify.wait_for("WATCHDOG=1", 3s, &seen));
  ASSERT_TRUE(notify.wait_for("WATCHDOG=1", 3s, &seen));
  bool status = false;
  for (const auto& m : seen) status = status || m.rfind("STATUS=", 0) == 0;
  EXPECT_TRUE(status) << "no STATUS= before the pings";
  for (const auto& m : seen) EXPECT_EQ(m.find(kSecret), std::string::npos);

  child->signal(SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 10s));
  auto code = child->wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << child->err();
  EXPECT_EQ(child->out().find(kSecret), std::string::npos);
}

TEST_F(ProcessTest, SigintAlsoStopsCleanly) {
  write_config();
  auto child = start();
  stop(*child, SIGINT);
}

// Deleting the database under a running daemon used to go unnoticed: its
// open connections kept writing to the deleted file, and posts enqueued into
// the new file waited for a restart. It now stops with exit 1 (systemd's
// Restart=on-failure brings it back on the file at the path) and says why.
TEST_F(ProcessTest, ADeletedDatabaseStopsTheDaemonWithExitOneAndSaysWhy) {
  write_config();
  auto child = start();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_.file(std::string("cache.db") + suffix));
  }
  auto line = child->wait_for_line({"\"event\":\"db_replaced\""}, 10s);
  ASSERT_TRUE(line.has_value()) << child->out();
  // "deleted", or "replaced" when a job opened the path (and so created a new
  // file there) between the removal and the check: both are this mistake.
  EXPECT_TRUE(line->find("was deleted") != std::string::npos ||
              line->find("was replaced") != std::string::npos)
      << *line;
  auto code = child->wait(15s);
  ASSERT_TRUE(code.has_value()) << "still running after its database was deleted";
  EXPECT_EQ(*code, 1) << child->out();
}

TEST_F(ProcessTest, SighupWithBrokenConfigKeepsRunningAndGoodConfigApplies) {
  write_config();
  auto child = start();
  size_t mark = child->line_count();

  ConfigOptions broken;
  broken.extra = "    not_a_key: true\n";
  write_private_file(config_path(), config_text(broken));
  child->signal(SIGHUP);
  auto failed = child->wait_for_line({"\"event\":\"config_reload_failed\""}, 10s, mark);
  ASSERT_TRUE(failed.has_value()) << child->out();
  EXPECT_NE(failed->find("not_a_key"), std::string::npos) << *failed;
  EXPECT_FALSE(child->wait(300ms).has_value()) << "daemon exited on a bad reload";

  mark = child->line_count();
  ConfigOptions faster;
  faster.queue_interval = "20s";
  write_config(faster);
  child->signal(SIGHUP);
  auto ok = child->wait_for_line({"\"event\":\"config_reloaded\""}, 10s, mark);
  ASSERT_TRUE(ok.has_value()) << child->out();
  EXPECT_NE(ok->find("queue=20s"), std::string::npos) << *ok;
  EXPECT_EQ(child->out().find(kSecret), std::string::npos);
  stop(*child);
}

TEST_F(ProcessTest, HealthzAndMetricsOverLoopback) {
  write_config();
  auto child = start();
  auto line = child->wait_for_line({"\"event\":\"http_listening\""}, 5s);
  ASSERT_TRUE(line.has_value()) << child->out();
  int port = json::parse(*line)["port"].get<int>();
  ASSERT_GT(port, 0);

  auto h = http_request(port, "GET", "/healthz");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(json::parse(h.body)["status"], "ok");

  auto m = http_request(port, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE cwsync_queue_posts gauge"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("cwsync_queue_posts{tenant=\"acme\",status=\"pending\"} 0"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("cwsync_build_info{version=\""), std::string::npos);
  EXPECT_EQ(m.body.find(kSecret), std::string::npos);

  auto p = http_request(port, "GET", "/api/cpq/pipeline?tenant=acme");
  EXPECT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(json::parse(p.body)["open_opportunities"], 0);
  stop(*child);
}

TEST_F(ProcessTest, NonLoopbackListenerIsAConfigError) {
  ConfigOptions o;
  o.http_listen = "0.0.0.0:0";
  write_config(o);
  auto r = run_cwsync({"run", "--config", config_path()}, dir_.path());
  EXPECT_EQ(r.code, 78);
  EXPECT_NE(r.out.find("loopback"), std::string::npos) << r.out;
  // Refused before the database is created or migrated.
  EXPECT_FALSE(std::filesystem::exists(dir_.file("cache.db"))) << r.out;
}

}  // namespace
}  // namespace cwsync::test
