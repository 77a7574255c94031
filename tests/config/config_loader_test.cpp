// load_config(): a full file, defaults, overrides and problem reporting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;
using namespace std::chrono_literals;
using testing_util::kMinimalTenant;

class ConfigLoaderTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["ACME_CPQ_KEY"] = "cpq-secret-value-1234";
    vars_["ACME_PSA_KEY"] = "psa-secret-value-5678";
  }
};

TEST_F(ConfigLoaderTest, ReadsEveryKey) {
  const auto path = write("cwsync.yaml", R"(
database: /var/lib/cwsync/test.db
log: { level: debug, format: text, runs: changes }
http_listen: 127.0.0.1:9464
defaults:
  intervals: { quotes: 2m, opportunities: 3m, reconcile: 12h, queue: 5s }
  backoff: { base: 500ms, cap: 2m, max_attempts: 7 }
  retry_after_cap: 10m
  http: { connect_timeout: 3s, read_timeout: 30s }
  breaker: { failures: 3, cool_down: 45s }
  reconcile_max_delete_ratio: 0.25
  page_size: 500
tenants:
  - name: acme
    opportunities: quotes
    cpq:
      base_url: https://sellapi.quosalsell.com/
      access_key: acme
      public_key: 8f7a6b5c4d3e2f1a
      private_key_env: ACME_CPQ_KEY
      rate_limit: { requests: 10, per: 2s }
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: abc
      private_key_env: ACME_PSA_KEY
      client_id: 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
      api_version: "2023.2"
      codebase: v2025_1
      rate_limit: { requests: 30, per: 1m }
    queue: { max_attempts: 4, max_age: 1d, lease: 90s, marker_format: "<{marker}>" }
    intervals: { quotes: 1m }
)");
  const Config c = load_ok(path);
  EXPECT_EQ(c.source_path, path);
  EXPECT_EQ(c.database, "/var/lib/cwsync/test.db");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, LogFormat::kText);
  EXPECT_EQ(c.log.runs, RunLogging::kChanges);
  EXPECT_EQ(c.http_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.defaults.intervals.quotes, 2min);
  EXPECT_EQ(c.defaults.intervals.opportunities, 3min);
  EXPECT_EQ(c.defaults.intervals.reconcile, 12h);
  EXPECT_EQ(c.defaults.intervals.queue, 5s);
  EXPECT_EQ(c.defaults.backoff.base, 500ms);
  EXPECT_EQ(c.defaults.backoff.cap, 2min);
  EXPECT_EQ(c.defaults.backoff.max_attempts, 7);
  EXPECT_EQ(c.defaults.retry_after_cap, 10min);
  EXPECT_EQ(c.defaults.http.connect, 3s);
  EXPECT_EQ(c.defaults.http.read, 30s);
  EXPECT_EQ(c.defaults.breaker.failures, 3);
  EXPECT_EQ(c.defaults.breaker.cool_down, 45s);
  EXPECT_DOUBLE_EQ(c.defaults.reconcile_max_delete_ratio, 0.25);
  EXPECT_EQ(c.defaults.page_size, 500);

  ASSERT_EQ(c.tenants.size(), 1u);
  const Tenant& t = c.tenants[0];
  EXPECT_EQ(c.find_tenant("acme"), &t);
  EXPECT_EQ(c.find_tenant("other"), nullptr);
  EXPECT_EQ(t.opportunities, OpportunitySource::kQuotes);
  ASSERT_TRUE(t.cpq.has_value());
  EXPECT_EQ(t.cpq->base_url, "https://sellapi.quosalsell.com");  // trailing slash dropped
  EXPECT_EQ(t.cpq->access_key, "acme");
  EXPECT_EQ(t.cpq->public_key, "8f7a6b5c4d3e2f1a");
  EXPECT_EQ(t.cpq->private_key.reveal(), "cpq-secret-value-1234");
  EXPECT_EQ(t.cpq->private_key_source, "env ACME_CPQ_KEY");
  EXPECT_EQ(t.cpq->rate_limit.requests, 10);
  EXPECT_EQ(t.cpq->rate_limit.per, 2s);
  ASSERT_TRUE(t.psa.has_value());
  EXPECT_EQ(t.psa->site, "https://api-na.myconnectwise.net");
  EXPECT_EQ(t.psa->company_id, "acme");
  EXPECT_EQ(t.psa->public_key, "abc");
  EXPECT_EQ(t.psa->private_key.reveal(), "psa-secret-value-5678");
  EXPECT_EQ(t.psa->client_id, "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(t.psa->api_version, "2023.2");
  EXPECT_EQ(t.psa->codebase, "v2025_1/");
  EXPECT_EQ(t.psa->rate_limit.requests, 30);
  EXPECT_EQ(t.psa->rate_limit.per, 1min);
  EXPECT_EQ(t.queue.max_attempts, 4);
  EXPECT_EQ(t.queue.max_age, 24h);
  EXPECT_EQ(t.queue.lease, 90s);
  EXPECT_EQ(t.queue.marker_format, "<{marker}>");
  // Per-tenant intervals start from defaults.intervals.
  EXPECT_EQ(t.intervals.quotes, 1min);
  EXPECT_EQ(t.intervals.opportunities, 3min);
  EXPECT_EQ(t.intervals.reconcile, 12h);
  EXPECT_EQ(t.intervals.queue, 5s);
}

TEST_F(ConfigLoaderTest, MinimalFileGetsDocumentedDefaults) {
  const Config c = load_ok(write("cwsync.yaml", kMinimalTenant));
  EXPECT_EQ(c.database, "/var/lib/cwsync/cache.db");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, LogFormat::kJson);
  EXPECT_EQ(c.log.runs, RunLogging::kAll);
  EXPECT_FALSE(c.http_listen.has_value());
  EXPECT_EQ(c.defaults.intervals.quotes, 5min);
  EXPECT_EQ(c.defaults.intervals.reconcile, 24h);
  EXPECT_EQ(c.defaults.backoff.cap, 5min);
  EXPECT_EQ(c.defaults.retry_after_cap, 15min);
  EXPECT_EQ(c.defaults.page_size, 1000);
  ASSERT_EQ(c.tenants.size(), 1u);
  const Tenant& t = c.tenants[0];
  EXPECT_EQ(t.opportunities, OpportunitySource::kQuotes);  // no psa section
  EXPECT_EQ(t.cpq->base_url, "https://sellapi.quosalsell.com");
  EXPECT_EQ(t.cpq->rate_limit.requests, 25);
  EXPECT_EQ(t.cpq->rate_limit.per, 5s);
  EXPECT_FALSE(t.cpq->allow_insecure);
  EXPECT_FALSE(t.psa.has_value());
  EXPECT_EQ(t.queue.max_attempts, 10);
  EXPECT_EQ(t.queue.max_age, 72h);
  EXPECT_EQ(t.intervals.queue, 10s);
}

TEST_F(ConfigLoaderTest, OpportunitiesDefaultToPsaWhenPsaIsConfigured) {
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: abc
      private_key_env: ACME_PSA_KEY
      client_id: 3F2A1B4C-5D6E-4F70-8A9B-0C1D2E3F4A5B
)"));
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].opportunities, OpportunitySource::kPsa);
  EXPECT_EQ(c.tenants[0].psa->api_version, "2022.1");
  EXPECT_FALSE(c.tenants[0].psa->codebase.has_value());
  EXPECT_EQ(c.tenants[0].psa->rate_limit.requests, 60);
  EXPECT_EQ(c.tenants[0].psa->rate_limit.per, 60s);
}

TEST_F(ConfigLoaderTest, RelativeDatabaseIsBesideTheConfig) {
  const auto path = write("etc/cwsync.yaml", std::string("database: data/cache.db\n") + kMinimalTenant);
  const Config c = load_ok(path);
  EXPECT_EQ(c.database, (dir_ / "etc/data/cache.db").string());
}

TEST_F(ConfigLoaderTest, LoopbackHttpIsAllowed) {
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: sim
    cpq:
      base_url: http://127.0.0.1:8080/
      access_key: a
      public_key: b
      private_key_env: ACME_CPQ_KEY
    psa:
      site: http://[::1]:8081
      company_id: c
      public_key: d
      private_key_env: ACME_PSA_KEY
      client_id: 00000000-0000-0000-0000-000000000000
  - name: sim2
    cpq:
      base_url: http://localhost:9/api-prefix
      access_key: a
      public_key: b
      private_key_env: ACME_CPQ_KEY
)"));
  ASSERT_EQ(c.tenants.size(), 2u);
  EXPECT_EQ(c.tenants[0].cpq->base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c.tenants[0].psa->site, "http://[::1]:8081");
  EXPECT_EQ(c.tenants[1].cpq->base_url, "http://localhost:9/api-prefix");
}

TEST_F(ConfigLoaderTest, InsecureHttpNeedsAllowInsecure) {
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: lab
    cpq:
      base_url: http://cpq.lab.example:8080
      allow_insecure: true
      access_key: a
      public_key: b
      private_key_env: ACME_CPQ_KEY
)"));
  EXPECT_TRUE(c.tenants[0].cpq->allow_insecure);
  EXPECT_EQ(c.tenants[0].cpq->base_url, "http://cpq.lab.example:8080");
}

TEST_F(ConfigLoaderTest, ReportsEveryProblemAtOnce) {
  const auto path = write("cwsync.yaml", R"(
log: { level: loud }
defaults:
  page_size: 5000
tenants:
  - name: acme
    cpq:
      base_ulr: https://sellapi.quosalsell.com
      access_key: acme
      public_key: pub
      private_key_env: ACME_CPQ_KEY
)");
  const ConfigError e = load_error(path);
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 1);
  EXPECT_EQ(e.problems[0].key, "log.level");
  EXPECT_EQ(e.problems[1].line, 3);
  EXPECT_EQ(e.problems[1].key, "defaults.page_size");
  EXPECT_EQ(e.problems[2].line, 7);
  EXPECT_EQ(e.problems[2].key, "tenants[0].cpq.base_ulr");
  const std::string text = e.to_string();
  EXPECT_THAT(text, HasSubstr(path + ":1: log.level: 'loud' is not a log level"));
  EXPECT_THAT(text, HasSubstr(path + ":3: defaults.page_size: 5000 is out of range; expected a "
                                     "whole number from 1 to 1000"));
  EXPECT_THAT(text, HasSubstr(path + ":7: tenants[0].cpq.base_ulr: unknown key; did you mean "
                                     "'base_url'?"));
}

TEST_F(ConfigLoaderTest, ThreeErrorsInTestdataFileGiveThreeProblems) {
  vars_["CONNECTWISE_CPQ_PRIVATE_KEY"] = "k";
  const std::string path = std::string(CWSYNC_SOURCE_DIR) + "/tests/config/testdata/three_errors.yaml";
  const ConfigError e = load_error(path);
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  EXPECT_EQ(e.problems[0].key, "defaults.intervals.quotes");
  EXPECT_EQ(e.problems[0].line, 4);
  EXPECT_EQ(e.problems[1].key, "tenants[0].name");
  EXPECT_EQ(e.problems[1].line, 6);
  EXPECT_EQ(e.problems[2].key, "tenants[0].cpq.rate_limit.requests");
  EXPECT_EQ(e.problems[2].line, 11);
}

TEST_F(ConfigLoaderTest, YamlSyntaxErrorIsOneProblemWithItsLine) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
database: /tmp/x.db
log:
  level: info
   format: json
tenants: []
)"));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 4);
  EXPECT_THAT(e.problems[0].message, HasSubstr("YAML syntax error"));
}

TEST_F(ConfigLoaderTest, UnclosedFlowMapIsASyntaxError) {
  const ConfigError e = load_error(write("cwsync.yaml", "log: { level: info\ntenants: []\n"));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_GT(e.problems[0].line, 0);
  EXPECT_THAT(e.problems[0].message, HasSubstr("YAML syntax error"));
}

TEST_F(ConfigLoaderTest, MissingFileIsOneProblem) {
  const ConfigError e = load_error((dir_ / "nope.yaml").string());
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_EQ(e.problems[0].line, 0);
  EXPECT_THAT(e.to_string(), HasSubstr("nope.yaml: cannot read: No such file or directory"));
}

TEST_F(ConfigLoaderTest, EmptyFileAndNonMapTopLevelAreProblems) {
  ConfigError e = load_error(write("empty.yaml", ""));
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_THAT(e.problems[0].message, HasSubstr("empty"));

  e = load_error(write("list.yaml", "- a\n- b\n"));
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_EQ(e.problems[0].line, 1);
  EXPECT_THAT(e.problems[0].message, HasSubstr("got a list"));
}

TEST_F(ConfigLoaderTest, ProblemFormatOmitsZeroLineAndEmptyKey) {
  EXPECT_EQ((ConfigProblem{"f.yaml", 3, "a.b", "bad; expected x"}).to_string(),
            "f.yaml:3: a.b: bad; expected x");
  EXPECT_EQ((ConfigProblem{"f.yaml", 0, "tenants", "missing"}).to_string(),
            "f.yaml: tenants: missing");
  EXPECT_EQ((ConfigProblem{"f.yaml", 2, "", "YAML syntax error"}).to_string(),
            "f.yaml:2: YAML syntax error");
  ConfigError e{{{"a", 1, "k", "m"}, {"b", 2, "k2", "m2"}}};
  EXPECT_EQ(e.to_string(), "a:1: k: m\nb:2: k2: m2\n");
}

}  // namespace
}  // namespace cwsync
