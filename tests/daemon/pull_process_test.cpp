// The pull sync end to end: the real `cwsync` binary against a real cwsim
// process, into a fresh SQLite file. `sync --once` exit codes, and `cwsync
// run` filling the cache on its own schedule.
#include <signal.h>

#include <sstream>

#include <gtest/gtest.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPrivate = "cwsim-private";  // cwsim's default private key

class PullProcessTest : public ::testing::Test {
 protected:
  std::string write_config(const std::string& private_key = kPrivate) {
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + db_path() + "\n"
                       "log: { level: info, format: json }\n"
                       "defaults:\n"
                       "  page_size: 100\n"
                       "  intervals: { quotes: 5m, opportunities: 5m, reconcile: 24h }\n"
                       "tenants:\n"
                       "  - name: acme\n"
                       "    cpq:\n"
                       "      base_url: " + sim_.base_url() + "\n"
                       "      access_key: cwsim\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: " + private_key + "\n"
                       "    psa:\n"
                       "      site: " + sim_.base_url() + "\n"
                       "      company_id: cwsim\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: " + private_key + "\n"
                       "      client_id: 00000000-0000-0000-0000-000000000000\n");
    return dir_.file("cwsync.yaml").string();
  }
  std::string db_path() const { return dir_.file("cache.db").string(); }

  std::int64_t count(const std::string& table) const {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT count(*) FROM " + table +
                         " WHERE tenant = 'acme' AND deleted_at IS NULL")
        .getInt64();
  }
  std::int64_t upstream_quotes() const {
    return static_cast<std::int64_t>(control_.store("quotes?visible=1")["quotes"].size());
  }
  std::int64_t upstream_opportunities() const {
    return static_cast<std::int64_t>(control_.store("opportunities")["opportunities"].size());
  }

  CwsimProcess sim_{{"--quotes", "250", "--opportunities", "40", "--tickets", "2"}};
  SimControl control_{sim_.port()};
  TempDir dir_{"cwsync-pull-process-"};
};

TEST_F(PullProcessTest, SyncOnceFillsTheCacheAndExitsZero) {
  RunResult r = run_cwsync({"--config", write_config(), "sync", "--once", "--json"}, dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  nlohmann::json report;  // the --json report is the one line that is an array
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '[') report = nlohmann::json::parse(line, nullptr, false);
  }
  ASSERT_TRUE(report.is_array()) << r.out;
  ASSERT_EQ(report.size(), 2u);  // quotes, opportunities
  EXPECT_EQ(report[0]["entity"], "quotes");
  EXPECT_EQ(report[0]["ok"], true);
  EXPECT_EQ(count("cpq_quotes"), upstream_quotes());
  EXPECT_GT(count("cpq_quote_items"), 0);
  EXPECT_EQ(count("cpq_opportunities"), upstream_opportunities());

  // Idle: one request per entity (plus the PSA codebase lookup a new
  // process makes once).
  control_.clear_requests();
  r = run_cwsync({"--config", write_config(), "sync", "--once"}, dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  int api_requests = 0;
  for (const auto& e : control_.requests()) {
    if (e["path"].get<std::string>().rfind("/login/companyinfo/", 0) != 0) ++api_requests;
  }
  EXPECT_EQ(api_requests, 2) << control_.requests().dump();

  // Reconcile after deletes tombstones them.
  control_.mutate({{"entity", "quotes"}, {"kind", "delete"}, {"count", 3}});
  r = run_cwsync({"--config", write_config(), "sync", "--once", "--entity", "reconcile"},
                 dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(count("cpq_quotes"), upstream_quotes());
}

TEST_F(PullProcessTest, SyncOnceFailsWithADiagnosisOnBadKeys) {
  RunResult r = run_cwsync({"--config", write_config("wrong-key"), "sync", "--once"}, dir_.path());
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("keys are wrong or expired"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("wrong-key"), std::string::npos) << "secret leaked:\n" << r.out;
  EXPECT_EQ(r.err.find("wrong-key"), std::string::npos) << "secret leaked:\n" << r.err;
  // One attempt per API, then the tenant is skipped: no retry loop.
  EXPECT_LE(control_.requests().size(), 2u) << control_.requests().dump();

  r = run_cwsync({"--config", write_config(), "sync", "--once", "--tenant", "nosuch"}, dir_.path());
  EXPECT_NE(r.code, 0);
}

TEST_F(PullProcessTest, RunPullsEveryEntityOnItsOwn) {
  write_config();
  ChildProcess child({"run", "--config", dir_.file("cwsync.yaml").string()}, dir_.path());
  for (const char* entity : {"quotes", "opportunities"}) {
    auto line = child.wait_for_line({"\"event\":\"sync_finished\"", "\"kind\":\"incremental\"",
                                     std::string("\"entity\":\"") + entity + "\""},
                                    12s);
    ASSERT_TRUE(line.has_value()) << entity << "\nstdout:\n" << child.out() << "\nstderr:\n"
                                  << child.err();
  }
  EXPECT_EQ(count("cpq_quotes"), upstream_quotes()) << child.out();
  EXPECT_EQ(count("cpq_opportunities"), upstream_opportunities());
  child.signal(SIGTERM);
  auto code = child.wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << child.out() << child.err();
}

TEST_F(PullProcessTest, RunStopsATenantWithRefusedKeys) {
  write_config("wrong-key");
  ChildProcess child({"run", "--config", dir_.file("cwsync.yaml").string()}, dir_.path());
  auto line = child.wait_for_line({"\"event\":\"sync_tenant_stopped\""}, 12s);
  ASSERT_TRUE(line.has_value()) << child.out() << child.err();
  EXPECT_NE(line->find("keys"), std::string::npos) << *line;
  ASSERT_TRUE(child.wait_for_line({"\"event\":\"auth_failed\""}, 1s).has_value());
  child.signal(SIGTERM);
  auto code = child.wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(child.out().find("wrong-key"), std::string::npos) << "secret leaked";
  // Each job tried once at most (quotes, opportunities, reconcile; PSA adds
  // its codebase lookup): no retry loop on a refused key.
  EXPECT_LE(control_.requests().size(), 5u) << control_.requests().dump();
}

}  // namespace
}  // namespace cwsync::test
