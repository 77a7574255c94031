#include "fault_summary.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "fault_cases.h"

namespace cwsync::test {
namespace {

namespace fs = std::filesystem;

std::string g_results_dir;
std::map<std::string, std::string> g_rows;  // name -> passed | failed | skipped

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
};

Tally tally(const std::map<std::string, std::string>& rows) {
  Tally t;
  for (const auto& [name, verdict] : rows) {
    if (verdict == "passed") ++t.passed;
    else if (verdict == "skipped") ++t.skipped;
    else ++t.failed;
  }
  return t;
}

void print_summary(const std::map<std::string, std::string>& rows) {
  const Tally t = tally(rows);
  const int kinds = static_cast<int>(fault_cases().size());
  std::cout << "fault matrix: " << kinds << " kinds, passed: " << t.passed
            << ", failed: " << t.failed << ", skipped: " << t.skipped;
  const int not_run = kinds - static_cast<int>(rows.size());
  if (not_run > 0) std::cout << ", not run: " << not_run;
  std::cout << "\n";
  for (const auto& [name, verdict] : rows) {
    if (verdict != "passed") std::cout << "  " << name << ": " << verdict << "\n";
  }
}

// Prints this process's rows once they have all run: a plain run of the
// binary. Under ctest (--results-dir, one row per process) the summary test
// prints the line for the whole matrix instead.
class SummaryPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!g_rows.empty() && g_results_dir.empty()) print_summary(g_rows);
  }
};

int summarize(const std::string& dir) {
  std::map<std::string, std::string> rows;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".result") continue;
    std::ifstream in(entry.path());
    std::string verdict;
    in >> verdict;
    rows[entry.path().stem().string()] = verdict;
  }
  print_summary(rows);
  return tally(rows).failed == 0 ? 0 : 1;
}

int reset(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  return ec ? 1 : 0;
}

// The unit runs cwsync with an empty CapabilityBoundingSet=. Children of
// this process get the same (a root test run would otherwise let the daemon
// write a chmod 0440 database through CAP_DAC_OVERRIDE). The test process
// keeps its own capabilities: it mounts and unmounts for some rows.
void drop_capabilities_for_children() {
  if (geteuid() != 0) return;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
}

}  // namespace

void record_row(const std::string& name) {
  const char* verdict = ::testing::Test::IsSkipped()    ? "skipped"
                        : ::testing::Test::HasFailure() ? "failed"
                                                        : "passed";
  g_rows[name] = verdict;
  if (g_results_dir.empty()) return;
  std::error_code ec;
  fs::create_directories(g_results_dir, ec);
  std::ofstream(fs::path(g_results_dir) / (name + ".result")) << verdict << "\n";
}

int fault_matrix_main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const std::string& flag) -> std::optional<std::string> {
      if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    if (auto d = value("--summary")) return summarize(*d);
    if (auto d = value("--reset-results")) return reset(*d);
    if (auto d = value("--results-dir")) {
      g_results_dir = *d;
      continue;
    }
    args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);  // gtest moves argv[argc] along when it removes its flags
  ::testing::InitGoogleTest(&n, args.data());
  // A row that kills a child or a peer must not take the runner down.
  signal(SIGPIPE, SIG_IGN);
  drop_capabilities_for_children();
  ::testing::AddGlobalTestEnvironment(new SummaryPrinter);
  return RUN_ALL_TESTS();
}

}  // namespace cwsync::test
