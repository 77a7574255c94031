// `retention:`: defaults, keep, durations, and the problems bad values give.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using testing_util::kMinimalTenant;
using namespace std::chrono_literals;

class ConfigRetentionTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["ACME_CPQ_KEY"] = "cpq-secret";
    vars_["ACME_PSA_KEY"] = "psa-secret";
  }
  Config with(const std::string& retention) {
    return load_ok(write("cwsync.yaml", retention + kMinimalTenant));
  }
  ConfigProblem one_problem(const std::string& retention) {
    const std::string path = write("cwsync.yaml", retention + kMinimalTenant);
    const ConfigError e = load_error(path);
    EXPECT_EQ(e.problems.size(), 1u) << e.to_string();
    if (e.problems.empty()) return {};
    EXPECT_EQ(e.problems[0].file, path);
    return e.problems[0];
  }
};

TEST_F(ConfigRetentionTest, DefaultsKeepThirtyDaysOfRunsAndTheWholeActivityLog) {
  const Config c = load_ok(write("cwsync.yaml", kMinimalTenant));
  EXPECT_EQ(c.retention.sync_runs, std::chrono::milliseconds(std::chrono::hours(24 * 30)));
  EXPECT_FALSE(c.retention.activity_log.has_value());
  EXPECT_THAT(describe_config(c), HasSubstr("retention:   sync_runs=30d activity_log=keep\n"));
}

TEST_F(ConfigRetentionTest, ReadsDurationsKeepAndZero) {
  Config c = with("retention: { sync_runs: 7d, activity_log: 90d }\n");
  EXPECT_EQ(c.retention.sync_runs, std::chrono::milliseconds(std::chrono::hours(24 * 7)));
  EXPECT_EQ(c.retention.activity_log, std::chrono::milliseconds(std::chrono::hours(24 * 90)));
  EXPECT_THAT(describe_config(c), HasSubstr("sync_runs=7d activity_log=90d"));

  c = with("retention:\n  sync_runs: keep\n  activity_log: 0\n");
  EXPECT_FALSE(c.retention.sync_runs.has_value());
  EXPECT_FALSE(c.retention.activity_log.has_value());
  c = with("retention: { sync_runs: 0d }\n");
  EXPECT_FALSE(c.retention.sync_runs.has_value());
  c = with("retention: { sync_runs: 1h }\n");
  EXPECT_EQ(c.retention.sync_runs, std::chrono::milliseconds(1h));
}

TEST_F(ConfigRetentionTest, BadValuesNameTheKeyTheLineAndTheFix) {
  auto p = one_problem("retention:\n  sync_runs: 30 days\n");
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.key, "retention.sync_runs");
  EXPECT_EQ(p.message, "'30 days' is neither keep nor a duration; expected keep (or 0) to keep "
                       "every row, or a duration from 1h to 366d such as 30d");

  p = one_problem("retention:\n  sync_runs: 30d\n  activity_log: 10m\n");
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.key, "retention.activity_log");
  EXPECT_THAT(p.message, HasSubstr("10m is out of range; expected keep (or 0)"));

  p = one_problem("retention: { activity_log: 400d }\n");
  EXPECT_EQ(p.key, "retention.activity_log");
  EXPECT_THAT(p.message, HasSubstr("out of range"));

  p = one_problem("retention: { sync_runs: [30d] }\n");
  EXPECT_EQ(p.key, "retention.sync_runs");
  EXPECT_THAT(p.message, HasSubstr("expected a value, found a list"));

  p = one_problem("retention: { syncruns: 30d }\n");
  EXPECT_EQ(p.key, "retention.syncruns");
  EXPECT_EQ(p.message, "unknown key; did you mean 'sync_runs'?");

  p = one_problem("retention: 30d\n");
  EXPECT_EQ(p.key, "retention");
  EXPECT_EQ(p.line, 1);
}

}  // namespace
}  // namespace cwsync
