// tenants_dir with a real `cwsync run` and SIGHUP: adding, changing,
// breaking and removing one tenant's file leaves the others alone.
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include "child_process.h"
#include "cwsim_process.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;

class TenantsDirProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.file("tenants.d"));
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "tenants_dir: tenants.d\n"
                       "defaults:\n"
                       "  intervals: { quotes: 1h, opportunities: 1h, reconcile: 24h, queue: 1h }\n");
  }
  // A CPQ-only tenant; `interval` is its quotes interval.
  void write_tenant(const std::string& name, const std::string& interval) {
    write_private_file(dir_.file("tenants.d/" + name + ".yaml"),
                       "intervals: { quotes: " + interval + " }\n"
                       "cpq:\n"
                       "  base_url: " + sim_.base_url() + "\n"
                       "  access_key: cwsim\n"
                       "  public_key: cwsim-public\n"
                       "  private_key: cwsim-private\n");
  }
  RunResult cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", dir_.file("cwsync.yaml").string()});
    return run_cwsync(args, dir_.path());
  }
  // Sends SIGHUP and waits for the reload to be applied.
  void reload(ChildProcess& child) {
    const size_t seen = child.line_count();
    child.signal(SIGHUP);
    ASSERT_TRUE(child.wait_for_line({"\"event\":\"config_reloaded\""}, 10s, seen)) << child.out();
  }
  static size_t count(const std::string& text, const std::string& a, const std::string& b,
                      const std::string& c) {
    size_t n = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(a) != std::string::npos && line.find(b) != std::string::npos &&
          line.find(c) != std::string::npos) {
        ++n;
      }
    }
    return n;
  }

  CwsimProcess sim_{{"--quotes", "20", "--opportunities", "5", "--tickets", "1"}};
  TempDir dir_{"cwsync-tenants-"};
};

TEST_F(TenantsDirProcessTest, SighupAddsChangesAndRemovesTenantsAndABrokenFileDisablesOnlyIt) {
  write_tenant("acme", "1h");
  ChildProcess child({"run", "--config", dir_.file("cwsync.yaml").string()}, dir_.path());
  // acme's first incremental quote pull (the start-up reconcile may go first
  // and hold the tenant's sync lock for a moment).
  ASSERT_TRUE(child.wait_for_line({"\"event\":\"sync_finished\"", "\"kind\":\"incremental\"",
                                   "\"tenant\":\"acme\"", "\"entity\":\"quotes\""}, 20s))
      << child.out() << child.err();

  // Add beta, and a broken file for gamma.
  write_tenant("beta", "1s");
  write_private_file(dir_.file("tenants.d/gamma.yaml"), "cpq:\n  access_key: g\n  bogus: 1\n");
  size_t before = child.line_count();
  reload(child);
  ASSERT_TRUE(child.wait_for_line({"\"event\":\"tenant_disabled\"", "\"tenant\":\"gamma\"",
                                   "gamma.yaml:3: cpq.bogus: unknown key"}, 5s, before))
      << child.out();
  ASSERT_TRUE(child.wait_for_line({"\"event\":\"sync_finished\"", "\"tenant\":\"beta\""}, 20s,
                                  before)) << child.out();
  // beta syncs every second; wait for a second pass, then check acme's
  // schedule (1h) was not touched by the reload: no new acme run.
  ASSERT_TRUE(child.wait_for_line({"\"event\":\"sync_finished\"", "\"tenant\":\"beta\""}, 20s,
                                  child.line_count())) << child.out();
  const std::string after_add = child.out();
  // Incremental runs only: the start-up reconcile also reads quotes.
  EXPECT_EQ(count(after_add, "\"event\":\"sync_started\"", "\"tenant\":\"acme\"",
                  "\"kind\":\"incremental\""), 1u)
      << "acme was re-run by a reload that did not change it\n" << after_add;

  // check-config and status say which tenant is disabled and why; exit 0.
  RunResult check = cli({"check-config"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_NE(check.err.find("gamma.yaml:3: cpq.bogus: unknown key"), std::string::npos) << check.err;
  EXPECT_NE(check.out.find("disabled tenants (1)"), std::string::npos) << check.out;
  RunResult status = cli({"status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("gamma: DISABLED"), std::string::npos) << status.out;

  // Remove beta: its job goes; acme's stays.
  std::filesystem::remove(dir_.file("tenants.d/beta.yaml"));
  reload(child);
  std::this_thread::sleep_for(300ms);  // let a run that was in flight finish
  const size_t settled = child.line_count();
  std::this_thread::sleep_for(2500ms);  // beta would have run twice by now
  EXPECT_FALSE(child.wait_for_line({"\"event\":\"sync_started\"", "\"tenant\":\"beta\""}, 10ms,
                                   settled)) << "a removed tenant still runs";

  // A broken main file is still the whole reload's problem.
  write_private_file(dir_.file("cwsync.yaml"), "tenants_dir: [not, a, path]\n");
  before = child.line_count();
  child.signal(SIGHUP);
  EXPECT_TRUE(child.wait_for_line({"\"event\":\"config_reload_failed\""}, 10s, before));
  EXPECT_EQ(cli({"check-config"}).code, 78);

  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(15s), 0) << child.err();
}

}  // namespace
}  // namespace cwsync::test
