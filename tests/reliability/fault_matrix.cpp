// The fault matrix : one table-driven test, one row per fault kind
// (fault_cases.cpp), each against a real cwsim and a real `cwsync run`.
//
// Every row follows the same script:
//   1. the daemon starts and commits a first quotes page (the baseline cursor);
//   2. the fault is injected; posts are enqueued with plain SQL and a quote
//      is changed upstream;
//   3. while the fault holds: the row's documented error event is logged,
//      the daemon keeps running (or exits with its documented code), the
//      cursor does not move past the bad page, no post is lost or applied
//      twice, the database passes integrity_check;
//   4. the fault clears: within a bounded time every post is delivered
//      exactly once, the changed quote is in the cache, and SIGTERM exits 0.
//
// Each row is its own ctest case. With --results-dir DIR each row also
// writes DIR/<row>.result, and `fault_matrix --summary DIR` (a ctest fixture
// cleanup) prints one line for the whole matrix:
//   fault matrix: 27 kinds, passed: 27, failed: 0, skipped: 0
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "fault_cases.h"
#include "fault_summary.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous bounds: CI runs this next to other tests on two busy cores.
constexpr auto kBaselineWait = 20s;
constexpr auto kEventWait = 15s;
constexpr auto kRecoveryWait = 25s;

std::string tail(const std::string& text, size_t max_chars = 4000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : "|") + s;
  return out;
}

// Every event a row waits for must be a documented, stable event name.
void expect_documented(const std::vector<std::string>& events) {
  std::ifstream in(std::string(CWSYNC_SOURCE_DIR) + "/docs/logging.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty()) << "cannot read docs/logging.md";
  for (const auto& e : events) {
    EXPECT_NE(doc.find("| `" + e + "` |"), std::string::npos) << e << " is not in docs/logging.md";
  }
}

std::string describe(const Findings& f) {
  std::string out;
  for (const auto& d : f.details) out += "\n  " + d;
  return out;
}

// Every post delivered, but the `dead` ones the row's PSA rejects for good.
bool all_delivered(FaultRig& rig, int dead) {
  auto states = rig.post_states();
  return states["succeeded"] == static_cast<int>(rig.posts().size()) - dead &&
         states["pending"] == 0 && states["in_flight"] == 0 && states["dead"] == dead;
}

class FaultMatrix : public ::testing::TestWithParam<FaultCase> {
 protected:
  void TearDown() override { record_row(GetParam().name); }
};

TEST_P(FaultMatrix, SurvivesLogsLosesNothingAndRecovers) {
  const FaultCase& c = GetParam();
  expect_documented(c.events);
  expect_documented(c.also_logged);
  auto phase_start = Clock::now();
  std::string phases;  // "baseline 250 ms, fault 900 ms, clear 0 ms, recovery 400 ms"
  auto end_phase = [&](const char* name) {
    const auto now = Clock::now();
    phases += std::string(phases.empty() ? "" : ", ") + name + " " +
              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - phase_start).count()) +
              " ms";
    phase_start = now;
  };
  FaultRig rig;
  struct KeepOnFailure {
    FaultRig& rig;
    ~KeepOnFailure() {
      if (::testing::Test::HasFailure() || std::getenv("FAULT_MATRIX_KEEP") != nullptr) rig.keep();
    }
  } keep_on_failure{rig};
  if (c.prepare) {
    if (std::string why = c.prepare(rig); !why.empty()) GTEST_SKIP() << why;
  }
  rig.autotask = c.autotask;
  rig.write_config(rig.sim_endpoints());
  rig.start_daemon();
  // The baseline: a first incremental quotes pull has committed its cursor.
  const auto baseline_deadline = Clock::now() + kBaselineWait;
  while (rig.quotes_cursor().empty() && Clock::now() < baseline_deadline && rig.daemon_running()) {
    std::this_thread::sleep_for(50ms);
  }
  const std::string cursor_before = rig.quotes_cursor();
  ASSERT_FALSE(cursor_before.empty()) << "no first quotes pull\n"
                                      << tail(rig.daemon_out()) << rig.daemon_err();

  end_phase("baseline");

  // --- 2. inject ---------------------------------------------------------------
  if (c.enqueue_before_fault) rig.enqueue_posts();
  const LogMark from = rig.log_mark();
  if (std::string why = c.inject(rig); !why.empty()) GTEST_SKIP() << why;
  if (!c.enqueue_before_fault) rig.enqueue_posts();
  FaultRig::Change change;
  if (!c.upstream_down) change = rig.modify_one_quote();

  // --- 3. while the fault holds -----------------------------------------------
  auto line = rig.wait_for_event(c.events, c.needle, kEventWait, from);
  EXPECT_TRUE(line.has_value()) << "no " << join(c.events) << " line containing '" << c.needle
                                << "' while the fault held\n" << tail(rig.daemon_out());
  if (line) {
    std::cout << "[" << c.name << "] " << *line << "\n";
    const std::string level = nlohmann::json::parse(*line).value("level", "");
    EXPECT_TRUE(level == "warn" || level == "error") << "not a warning or an error: " << *line;
  }
  if (c.exit_code) {
    EXPECT_EQ(rig.daemon_exit(10s), c.exit_code) << tail(rig.daemon_out());
  } else {
    std::this_thread::sleep_for(600ms);  // a few more cycles under the fault
    EXPECT_TRUE(rig.daemon_running()) << "the daemon died\n" << tail(rig.daemon_out())
                                      << rig.daemon_err();
  }
  if (c.blocks_pull) {
    EXPECT_EQ(rig.quotes_cursor(), cursor_before) << "the cursor moved while the fault held";
    if (!change.quote_id.empty()) {
      EXPECT_NE(rig.cached_modify_date(change.quote_id).substr(0, 19), change.timestamp.substr(0, 19))
          << "a row arrived through the faulted path";
    }
  }
  if (c.blocks_posts) {
    EXPECT_EQ(rig.post_states()["succeeded"], 0) << "a post was delivered through the fault";
  }
  if (!c.upstream_down) {
    Findings during;
    check_invariants(rig.db_path(), rig.posts(), rig.sim(), during);
    EXPECT_EQ(during.total(), 0) << "while the fault held:" << describe(during);
  }

  end_phase("fault");

  // --- 4. clear and recover -----------------------------------------------------
  c.clear(rig);
  end_phase("clear");
  if (c.exit_code) rig.start_daemon();  // systemd's Restart=on-failure
  if (c.upstream_down) change = rig.modify_one_quote();
  const auto deadline = Clock::now() + kRecoveryWait;
  auto recovered = [&] {
    const std::string cached = rig.cached_modify_date(change.quote_id);
    return all_delivered(rig, c.dead) && cached.substr(0, 19) == change.timestamp.substr(0, 19) &&
           rig.quotes_cursor().substr(0, 19) >= change.timestamp.substr(0, 19);
  };
  while (!recovered() && Clock::now() < deadline) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(recovered()) << "no recovery within " << kRecoveryWait.count() << " s: posts "
                           << testing::PrintToString(rig.post_states()) << ", cursor "
                           << rig.quotes_cursor() << ", changed quote at " << change.timestamp
                           << " cached as '" << rig.cached_modify_date(change.quote_id) << "'\n"
                           << tail(rig.daemon_out());
  end_phase("recovery");
  for (const auto& e : c.also_logged) {
    EXPECT_TRUE(rig.wait_for_event({e}, "", 0ms, from).has_value()) << "no " << e << " logged";
  }
  std::cout << "[" << c.name << "] " << phases << "\n";
  const auto counts = applied_counts(rig.posts(), rig.sim());
  int unapplied = 0;
  for (const auto& [id, n] : counts) {
    unapplied += n == 0;
    EXPECT_LE(n, 1) << "post " << id << " applied " << n << " times at cwsim";
  }
  EXPECT_EQ(unapplied, c.dead) << "only the rejected posts stay unapplied";
  for (const auto& reason : rig.dead_reasons()) {
    EXPECT_NE(reason.find(c.dead_reason), std::string::npos) << "dead without the reason: " << reason;
  }
  Findings after;
  check_invariants(rig.db_path(), rig.posts(), rig.sim(), after);
  EXPECT_EQ(after.total(), 0) << "after recovery:" << describe(after);
  EXPECT_TRUE(rig.daemon_running()) << tail(rig.daemon_out()) << rig.daemon_err();
  EXPECT_EQ(rig.stop_daemon(), 0) << tail(rig.daemon_out());
}

INSTANTIATE_TEST_SUITE_P(Kinds, FaultMatrix, ::testing::ValuesIn(fault_cases()),
                         [](const auto& row) { return row.param.name; });

}  // namespace
}  // namespace cwsync::test

int main(int argc, char** argv) { return cwsync::test::fault_matrix_main(argc, argv); }
