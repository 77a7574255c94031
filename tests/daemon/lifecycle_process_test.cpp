// What `cwsync run` says is what it does , on real processes with
// real signals: a SIGHUP that changes `database:` keeps the old file until a
// restart; a second daemon on the same database refuses to start; no run
// starts after SIGTERM; and runs a killed process left 'running' are closed
// as interrupted at the next start.
#include <signal.h>

#include <filesystem>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class LifecycleTest : public ::testing::Test {
 protected:
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }

  void write_config(const std::string& database, const std::string& quotes_interval = "1s") {
    write_private_file(config_path(),
                       "database: " + database + "\n"
                       "defaults:\n"
                       "  intervals: { quotes: " + quotes_interval + ", opportunities: 1m, "
                       "reconcile: 24h, queue: 10s }\n"
                       "  backoff: { base: 100ms, cap: 300ms, max_attempts: 5 }\n"
                       "  http: { connect_timeout: 1s, read_timeout: 10s }\n"
                       "tenants:\n" + sim_.tenant_yaml());
  }

  std::unique_ptr<ChildProcess> start() {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{"run", "--config", config_path()}, dir_.path());
    EXPECT_TRUE(child->wait_for_line({"\"event\":\"daemon_ready\""}, 20s)) << child->out();
    return child;
  }

  std::int64_t scalar(const std::string& db, const std::string& sql) {
    SQLite::Database h(db, SQLite::OPEN_READONLY, 5000);
    return h.execAndGet(sql).getInt64();
  }

  // Until the daemon has asked cwsim for quotes (bounded).
  bool quotes_requested(const SimControl& ctl) {
    for (int i = 0; i < 100; ++i) {
      for (const auto& r : ctl.requests()) {
        if (r.value("path", "") == "/api/quotes") return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  CwsimProcess sim_{std::vector<std::string>{"--quotes", "10", "--opportunities", "5"}};
  TempDir dir_{"cwsync-life-"};
  std::string db_ = dir_.file("cache.db").string();
};

TEST_F(LifecycleTest, SighupChangingTheDatabaseKeepsTheOldFileUntilRestart) {
  write_config(db_);
  auto daemon = start();
  ASSERT_TRUE(daemon->wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"quotes\""}, 20s))
      << daemon->out();
  const std::string other = dir_.file("other.db").string();
  write_config(other);
  const size_t mark = daemon->line_count();
  daemon->signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_line({"\"event\":\"config_reload_needs_restart\"", "database"}, 10s, mark))
      << daemon->out();
  ASSERT_TRUE(daemon->wait_for_line({"\"event\":\"config_reloaded\""}, 10s, mark));
  const std::int64_t runs_at_reload = scalar(db_, "SELECT COUNT(*) FROM sync_runs");
  // Quotes run every second: two more runs after the reload.
  const size_t after = daemon->line_count();
  ASSERT_TRUE(daemon->wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"quotes\""}, 20s, after));
  const size_t after2 = daemon->line_count();
  ASSERT_TRUE(daemon->wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"quotes\""}, 20s, after2));
  EXPECT_FALSE(std::filesystem::exists(other)) << "a job opened the new database before a restart";
  EXPECT_GT(scalar(db_, "SELECT COUNT(*) FROM sync_runs"), runs_at_reload);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(15s), 0);
}

TEST_F(LifecycleTest, ASecondDaemonOnTheSameDatabaseRefusesWithExitOne) {
  write_config(db_, "1m");
  auto first = start();
  ChildProcess second({"run", "--config", config_path()}, dir_.path());
  auto code = second.wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(second.out(), HasSubstr("\"event\":\"daemon_already_running\""));
  EXPECT_THAT(second.out(), HasSubstr("another cwsync daemon (pid " + std::to_string(first->pid()) +
                                      ") is already running on database " + db_));
  EXPECT_THAT(second.out(), HasSubstr("systemctl stop cwsync"));
  EXPECT_THAT(second.out(), ::testing::Not(HasSubstr("daemon_ready")));
  // The lock dies with its holder, whatever way it ends.
  first->signal(SIGKILL);
  first->wait(5s);
  auto third = start();
  third->signal(SIGTERM);
  EXPECT_EQ(third->wait(15s), 0);
}

// The lock belongs to the file, not to the name in the config.
TEST_F(LifecycleTest, ASecondDaemonThroughASymlinkOrAHardLinkRefusesToo) {
  write_config(db_, "1m");
  auto first = start();
  std::filesystem::create_directory(dir_.file("other"));
  const std::string sym = dir_.file("sym.db").string();
  const std::string hard = dir_.file("other/hard.db").string();
  std::filesystem::create_symlink(db_, sym);
  std::filesystem::create_hard_link(db_, hard);
  for (const std::string& name : {sym, hard}) {
    write_config(name, "1m");
    ChildProcess second({"run", "--config", config_path()}, dir_.path());
    auto code = second.wait(15s);
    ASSERT_TRUE(code.has_value()) << name;
    EXPECT_EQ(*code, 1) << second.out();
    EXPECT_THAT(second.out(), HasSubstr("\"event\":\"daemon_already_running\""));
    EXPECT_THAT(second.out(), HasSubstr("is already running on database " + name));
    EXPECT_THAT(second.out(), ::testing::Not(HasSubstr("daemon_ready")));
  }
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait(15s), 0);
}

TEST_F(LifecycleTest, NoRunStartsAfterSigtermAndKilledRunsAreClosedAtStart) {
  SimControl ctl(sim_.port());
  // Every quotes request is told to come back in 5 s: pulls and the reconcile
  // sit in interruptible waits, and the reconcile may queue behind the pull.
  ctl.add_fault({{"kind", "status"}, {"status", 503}, {"retry_after", 5}, {"api", "cpq"},
                 {"path", "/api/quotes"}, {"count", -1}});
  write_config(db_, "1m");

  auto killed = start();
  ASSERT_TRUE(quotes_requested(ctl)) << killed->out();
  killed->signal(SIGKILL);
  killed->wait(5s);
  const auto left = scalar(db_, "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'");
  ASSERT_GE(left, 1) << "the killed daemon left no run behind";

  ctl.clear_requests();
  auto daemon = start();
  EXPECT_TRUE(daemon->wait_for_line({"\"event\":\"sync_runs_interrupted\""}, 1s)) << daemon->out();
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM sync_runs WHERE status = 'failed' AND "
                        "error LIKE 'interrupted:%' AND finished_at IS NOT NULL"), left);

  ASSERT_TRUE(quotes_requested(ctl)) << daemon->out();
  std::this_thread::sleep_for(1s);  // every job is waiting now
  const auto last_before = scalar(db_, "SELECT MAX(id) FROM sync_runs");
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(15s), 0) << daemon->out();
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM sync_runs WHERE id > " + std::to_string(last_before)), 0)
      << "runs started after SIGTERM:\n" << daemon->out();
  EXPECT_EQ(scalar(db_, "SELECT COUNT(*) FROM sync_runs WHERE status = 'running'"), 0);
}

}  // namespace
}  // namespace cwsync::test
