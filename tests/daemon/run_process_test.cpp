// `cwsync run` against a real cwsim process: /healthz follows upstream
// reachability, /metrics is valid Prometheus text, SIGTERM in the middle of a
// slow sync still exits 0 within the 10 s promise, and a reconcile waiting
// for the tenant's pulls is a deferral, not a failure.
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "cwsim_process.h"
#include "http_client.h"
#include "sim_control.h"
#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.h"
#include "storage/db_lock.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class RunTest : public ::testing::Test {
 protected:
  void write_config(const std::string& interval, const std::string& read_timeout = "30s") {
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "http_listen: 127.0.0.1:0\n"
                       "defaults:\n"
                       "  intervals: { quotes: " + interval + ", opportunities: " + interval +
                       ", reconcile: 24h, queue: 10s }\n"
                       "  backoff: { base: 100ms, cap: 300ms, max_attempts: 2 }\n"
                       "  http: { connect_timeout: 1s, read_timeout: " + read_timeout + " }\n"
                       "tenants:\n"
                       "  - name: acme\n"
                       "    cpq:\n"
                       "      base_url: " + sim_->base_url() + "\n"
                       "      access_key: cwsim\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: cwsim-private\n"
                       "    psa:\n"
                       "      site: " + sim_->base_url() + "\n"
                       "      company_id: cwsim\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: cwsim-private\n"
                       "      client_id: 00000000-0000-0000-0000-000000000000\n");
  }

  std::unique_ptr<ChildProcess> start() {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{"run", "--config", dir_.file("cwsync.yaml").string()},
        dir_.path());
    auto line = child->wait_for_line({"\"event\":\"http_listening\""}, 20s);
    EXPECT_TRUE(line.has_value()) << child->out() << child->err();
    if (line) http_port_ = json::parse(*line)["port"].get<int>();
    return child;
  }

  // Polls /healthz until it answers `want` (bounded). Returns the last reply.
  HttpReply wait_health(int want, std::chrono::seconds limit) {
    HttpReply r;
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      r = http_request(http_port_, "GET", "/healthz");
      if (r.status == want) break;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  std::unique_ptr<CwsimProcess> sim_ = std::make_unique<CwsimProcess>(
      std::vector<std::string>{"--quotes", "30", "--opportunities", "10", "--tickets", "2"});
  TempDir dir_{"cwsync-run-"};
  int http_port_ = 0;
};

// Every sample line of the Prometheus text format 0.0.4: name{labels} value.
void expect_prometheus_text(const std::string& body) {
  static const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::istringstream in(body);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      EXPECT_TRUE(std::regex_match(line, comment)) << "bad comment line: " << line;
    } else {
      EXPECT_TRUE(std::regex_match(line, sample)) << "bad sample line: " << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 0);
}

TEST_F(RunTest, HealthzFlipsTo503WhenUpstreamIsDownPastThreeIntervals) {
  write_config("1s");
  auto child = start();
  ASSERT_GT(http_port_, 0);
  ASSERT_TRUE(child->wait_for_line({"\"entity\":\"quotes\",\"event\":\"sync_finished\""}, 20s))
      << child->out();
  HttpReply up = wait_health(200, 10s);
  ASSERT_EQ(up.status, 200) << up.body;

  // The success is recorded when the job returns, just after its
  // sync_finished line: poll for it (bounded) instead of racing it.
  const std::string success_metric =
      "cwsync_last_success_timestamp_seconds{tenant=\"acme\",entity=\"quotes\"}";
  HttpReply m;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    m = http_request(http_port_, "GET", "/metrics");
    if (m.status == 200 && m.body.find(success_metric) != std::string::npos) break;
  }
  ASSERT_EQ(m.status, 200);
  expect_prometheus_text(m.body);
  EXPECT_NE(m.body.find(success_metric), std::string::npos) << m.body;

  sim_->stop();  // upstream gone: every sync now fails
  HttpReply down = wait_health(503, 20s);
  ASSERT_EQ(down.status, 503) << down.body;
  json body = json::parse(down.body);
  EXPECT_EQ(body["status"], "unhealthy");
  EXPECT_FALSE(body["reasons"].empty());
  EXPECT_NE(down.body.find("quotes"), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find("cwsim-private"), std::string::npos);

  child->signal(SIGTERM);
  auto code = child->wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(RunTest, SigtermDuringASlowSyncExitsZeroWithinTenSeconds) {
  SimControl ctl(sim_->port());
  // Every quotes page hangs for 30 s: the sync is certainly mid-request.
  ctl.add_fault({{"kind", "delay"}, {"api", "cpq"}, {"path", "/api/quotes"}, {"delay_ms", 30000},
                 {"count", 100}});
  write_config("1m", "60s");
  auto child = start();
  // Wait until the quotes request is in flight at the simulator.
  bool in_flight = false;
  for (int i = 0; i < 100 && !in_flight; ++i) {
    for (const auto& r : ctl.requests()) {
      if (r.value("path", "") == "/api/quotes") in_flight = true;
    }
    if (!in_flight) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(in_flight) << "the daemon never asked for quotes:\n" << child->out();

  auto t0 = std::chrono::steady_clock::now();
  child->signal(SIGTERM);
  auto code = child->wait(15s);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(code.has_value()) << "no exit after SIGTERM";
  EXPECT_EQ(*code, 0) << child->out();
  EXPECT_LT(took, 10s);
  EXPECT_TRUE(child->wait_for_line({"\"event\":\"daemon_stopped\""}, 1s).has_value()) << child->out();
  // The stuck request outlived the grace period, so its run was abandoned;
  // its sync_runs row no longer says 'running' (no process runs it).
  ASSERT_TRUE(child->wait_for_line({"\"event\":\"shutdown_abandoned\""}, 1s).has_value())
      << child->out();
  {
    storage::OpenOptions ro;
    ro.read_only = true;
    auto db = storage::Database::open(dir_.file("cache.db").string(), ro);
    ASSERT_TRUE(db.ok()) << db.error().describe();
    auto& sql = db->handle();
    EXPECT_EQ(sql.execAndGet("SELECT count(*) FROM sync_runs WHERE status = 'running'").getInt(), 0);
    EXPECT_GE(sql.execAndGet("SELECT count(*) FROM sync_runs WHERE status = 'failed' AND "
                             "error LIKE 'interrupted%'").getInt(),
              1);
  }

  // The interrupted page committed nothing, and the DB is readable.
  RunResult st = run_cwsync({"--config", dir_.file("cwsync.yaml").string(), "status", "--json"},
                            dir_.path());
  ASSERT_EQ(st.code, 0) << st.err;
  json status = json::parse(st.out);
  for (const auto& e : status["tenants"][0]["entities"]) {
    if (e["entity"] == "quotes") {
      EXPECT_TRUE(e["cursor"].is_null()) << e;
    }
  }
}

// At start every job of a tenant is due at once, and its reconcile must wait
// for its pulls (the tenant sync lock). That wait is scheduling: it must not
// log job_failed, count a failed run or record a failure state. The test
// holds the pulls' side of the lock itself, as a `cwsync sync --once` in
// another process would, so the clash is certain.
TEST_F(RunTest, AReconcileWaitingForThePullsIsDeferredNotFailed) {
  write_config("1h");
  auto held = storage::TenantSyncLock::try_acquire(dir_.file("cache.db").string(), "acme",
                                                   storage::TenantSyncRole::kPull);
  ASSERT_TRUE(held.ok() && held->has_value());
  auto child = start();
  ASSERT_GT(http_port_, 0);
  ASSERT_TRUE(child->wait_for_line({"\"event\":\"job_deferred\"", "pull_reconcile"}, 20s))
      << child->out();
  held->reset();
  ASSERT_TRUE(child->wait_for_line({"\"event\":\"sync_finished\"", "\"kind\":\"reconcile\""},
                                   20s))
      << child->out();
  HttpReply m = http_request(http_port_, "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("cwsync_job_runs_total{tenant=\"acme\",entity=\"reconcile\","
                        "outcome=\"deferred\"}"),
            std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find("outcome=\"failed\""), std::string::npos) << m.body;
  child->signal(SIGTERM);
  auto code = child->wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(child->out().find("\"event\":\"job_failed\""), std::string::npos) << child->out();
}

}  // namespace
}  // namespace cwsync::test
