// One test per validation error class, each asserting the exact line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using testing_util::kMinimalTenant;

class ConfigValidationTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["ACME_CPQ_KEY"] = "cpq-secret";
    vars_["ACME_PSA_KEY"] = "psa-secret";
  }

  // Loads `yaml` and expects exactly one problem; returns it.
  ConfigProblem one_problem(const std::string& yaml) {
    const ConfigError e = load_error(write("cwsync.yaml", yaml));
    EXPECT_EQ(e.problems.size(), 1u) << e.to_string();
    return e.problems.empty() ? ConfigProblem{} : e.problems[0];
  }
};

TEST_F(ConfigValidationTest, UnknownTopLevelKeySuggestsClosest) {
  const auto p = one_problem(std::string("databse: /tmp/x.db\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.key, "databse");
  EXPECT_EQ(p.message, "unknown key; did you mean 'database'?");
}

TEST_F(ConfigValidationTest, UnknownKeyWithoutCloseMatchListsKnownKeys) {
  const auto p = one_problem(std::string(kMinimalTenant) + "    colour: blue\n");
  EXPECT_EQ(p.line, 7);
  EXPECT_EQ(p.key, "tenants[0].colour");
  EXPECT_EQ(p.message,
            "unknown key; expected one of: name, opportunities, cpq, psa, queue, intervals, "
            "tickets");
}

TEST_F(ConfigValidationTest, TicketsNeedAPsaSectionAndADayCountInRange) {
  auto p = one_problem(std::string(kMinimalTenant) + "    tickets: { enabled: true }\n");
  EXPECT_EQ(p.line, 7);
  EXPECT_EQ(p.key, "tenants[0].tickets.enabled");
  EXPECT_THAT(p.message, HasSubstr("no psa section"));
  p = one_problem(std::string(kMinimalTenant) + "    tickets: { closed_for_days: 5000 }\n");
  EXPECT_EQ(p.key, "tenants[0].tickets.closed_for_days");
}

TEST_F(ConfigValidationTest, TicketsAreOffByDefaultAndReadWithTheirInterval) {
  Config off = load_ok(write("off.yaml", kMinimalTenant));
  ASSERT_EQ(off.tenants.size(), 1u);
  EXPECT_FALSE(off.tenants[0].tickets.enabled);
  EXPECT_EQ(off.tenants[0].tickets.closed_for_days, 90);
  Config on = load_ok(write("on.yaml", R"(
defaults:
  intervals: { tickets: 2m }
tenants:
  - name: acme
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      private_key_env: ACME_PSA_KEY
      client_id: 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
    tickets: { enabled: true, closed_for_days: 30 }
)"));
  ASSERT_EQ(on.tenants.size(), 1u);
  EXPECT_TRUE(on.tenants[0].tickets.enabled);
  EXPECT_EQ(on.tenants[0].tickets.closed_for_days, 30);
  EXPECT_EQ(on.tenants[0].intervals.tickets, std::chrono::minutes(2));
}

TEST_F(ConfigValidationTest, UnknownNestedKeySuggestsClosest) {
  const auto p = one_problem(R"(
tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub
      private_key_env: ACME_CPQ_KEY
      rate_limit: { requests: 5, pre: 1s }
)");
  EXPECT_EQ(p.line, 7);
  EXPECT_EQ(p.key, "tenants[0].cpq.rate_limit.pre");
  EXPECT_EQ(p.message, "unknown key; did you mean 'per'?");
}

TEST_F(ConfigValidationTest, DuplicateKeyNamesTheFirstLine) {
  const auto p = one_problem(std::string("database: /a.db\ndatabase: /b.db\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.key, "database");
  EXPECT_THAT(p.message, HasSubstr("duplicate key; it is already set on line 1"));
}

TEST_F(ConfigValidationTest, StringWhereMapExpected) {
  const auto p = one_problem(std::string("log: debug\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.key, "log");
  EXPECT_EQ(p.message, "expected a map with keys level, format, runs, got a single value");
}

TEST_F(ConfigValidationTest, StringWhereNumberExpected) {
  const auto p = one_problem(std::string("defaults:\n  page_size: lots\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.key, "defaults.page_size");
  EXPECT_EQ(p.message, "'lots' is not a whole number; expected a whole number from 1 to 1000");
}

TEST_F(ConfigValidationTest, MapWhereStringExpected) {
  const auto p = one_problem(std::string("database:\n  path: /x.db\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.key, "database");
  EXPECT_THAT(p.message, HasSubstr("got a map"));
}

TEST_F(ConfigValidationTest, ListWhereMapExpected) {
  const auto p = one_problem(std::string("defaults:\n  intervals: [5m, 5m]\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.key, "defaults.intervals");
  EXPECT_THAT(p.message, HasSubstr("got a list"));
}

TEST_F(ConfigValidationTest, BadBoolean) {
  const auto p = one_problem(R"(
tenants:
  - name: acme
    cpq:
      allow_insecure: sometimes
      access_key: acme
      public_key: pub
      private_key_env: ACME_CPQ_KEY
)");
  EXPECT_EQ(p.line, 4);
  EXPECT_EQ(p.key, "tenants[0].cpq.allow_insecure");
  EXPECT_THAT(p.message, HasSubstr("expected true or false"));
}

TEST_F(ConfigValidationTest, EmptyValueIsReported) {
  const auto p = one_problem(std::string("http_listen:\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 1);
  EXPECT_EQ(p.key, "http_listen");
  EXPECT_THAT(p.message, HasSubstr("has no value"));
}

TEST_F(ConfigValidationTest, MissingTenants) {
  const auto p = one_problem("database: /tmp/x.db\n");
  EXPECT_EQ(p.line, 0);
  EXPECT_EQ(p.key, "tenants");
  EXPECT_THAT(p.message, HasSubstr("missing"));
}

TEST_F(ConfigValidationTest, EmptyTenants) {
  const auto p = one_problem("database: /tmp/x.db\ntenants: []\n");
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.key, "tenants");
  EXPECT_THAT(p.message, HasSubstr("is empty"));
}

TEST_F(ConfigValidationTest, TenantNeedsNameAndAConnection) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - queue: { max_attempts: 3 }
)"));
  ASSERT_EQ(e.problems.size(), 2u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 2);
  EXPECT_EQ(e.problems[0].key, "tenants[0].name");
  EXPECT_THAT(e.problems[0].message, HasSubstr("missing"));
  EXPECT_EQ(e.problems[1].line, 2);
  EXPECT_EQ(e.problems[1].key, "tenants[0]");
  EXPECT_THAT(e.problems[1].message, HasSubstr("neither a cpq nor a psa section"));
}

TEST_F(ConfigValidationTest, CpqRequiredValues) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq:
      base_url: https://sellapi.quosalsell.com
)"));
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  for (const auto& p : e.problems) EXPECT_EQ(p.line, 3) << p.to_string();
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.access_key");
  EXPECT_EQ(e.problems[1].key, "tenants[0].cpq.public_key");
  EXPECT_EQ(e.problems[2].key, "tenants[0].cpq.private_key");
  // A single tenant: the message names the variable that would also do.
  EXPECT_THAT(e.problems[0].message, HasSubstr("CONNECTWISE_CPQ_ACCESS_KEY"));
  EXPECT_THAT(e.problems[2].message, HasSubstr("private_key_file, private_key_env or private_key"));
}

TEST_F(ConfigValidationTest, PsaRequiredValues) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    psa:
      api_version: "2022.1"
)"));
  ASSERT_EQ(e.problems.size(), 5u) << e.to_string();
  // All on the `psa:` line, in the order of the documentation.
  EXPECT_EQ(e.problems[0].key, "tenants[0].psa.site");
  EXPECT_EQ(e.problems[1].key, "tenants[0].psa.company_id");
  EXPECT_EQ(e.problems[2].key, "tenants[0].psa.public_key");
  EXPECT_EQ(e.problems[3].key, "tenants[0].psa.client_id");
  EXPECT_EQ(e.problems[4].key, "tenants[0].psa.private_key");
  for (const auto& p : e.problems) EXPECT_EQ(p.line, 3) << p.to_string();
}

TEST_F(ConfigValidationTest, OutOfRangeNumbers) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
defaults:
  reconcile_max_delete_ratio: 1.5
  page_size: 0
  backoff: { max_attempts: 0 }
tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub
      private_key_env: ACME_CPQ_KEY
      rate_limit: { requests: 0 }
    queue:
      max_attempts: -1
)"));
  ASSERT_EQ(e.problems.size(), 5u) << e.to_string();
  // Sorted by line, not by the order the loader walks the keys.
  EXPECT_EQ(e.problems[0].key, "defaults.reconcile_max_delete_ratio");
  EXPECT_EQ(e.problems[0].line, 2);
  EXPECT_EQ(e.problems[0].message, "1.5 is out of range; expected a number from 0 to 1");
  EXPECT_EQ(e.problems[1].key, "defaults.page_size");
  EXPECT_EQ(e.problems[1].line, 3);
  EXPECT_EQ(e.problems[2].key, "defaults.backoff.max_attempts");
  EXPECT_EQ(e.problems[2].line, 4);
  EXPECT_EQ(e.problems[3].key, "tenants[0].cpq.rate_limit.requests");
  EXPECT_EQ(e.problems[3].line, 11);
  EXPECT_EQ(e.problems[4].key, "tenants[0].queue.max_attempts");
  EXPECT_EQ(e.problems[4].line, 13);
}

TEST_F(ConfigValidationTest, BadDurations) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
defaults:
  intervals:
    quotes: 5
    queue: 10 s
  retry_after_cap: 0s
  backoff: { base: 1.5s }
)" + std::string(kMinimalTenant)));
  ASSERT_EQ(e.problems.size(), 4u) << e.to_string();
  EXPECT_EQ(e.problems[0].key, "defaults.intervals.quotes");
  EXPECT_EQ(e.problems[0].line, 3);
  EXPECT_EQ(e.problems[0].message,
            "'5' is not a duration; expected a duration: a whole number and a unit, like 500ms, "
            "10s, 5m, 24h or 3d");
  EXPECT_EQ(e.problems[1].key, "defaults.intervals.queue");
  EXPECT_EQ(e.problems[1].line, 4);
  EXPECT_EQ(e.problems[2].key, "defaults.retry_after_cap");
  EXPECT_EQ(e.problems[2].line, 5);
  EXPECT_THAT(e.problems[2].message, HasSubstr("out of range"));
  EXPECT_EQ(e.problems[3].key, "defaults.backoff.base");
  EXPECT_EQ(e.problems[3].line, 6);
}

TEST_F(ConfigValidationTest, BackoffBaseAboveCap) {
  const auto p =
      one_problem(std::string("defaults:\n  backoff:\n    base: 10m\n    cap: 1m\n") + kMinimalTenant);
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.key, "defaults.backoff.base");
  EXPECT_THAT(p.message, HasSubstr("expected base <= cap"));
}

TEST_F(ConfigValidationTest, BadEnums) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
log:
  level: verbose
  format: xml
  runs: idle
tenants:
  - name: acme
    opportunities: crm
    cpq:
      access_key: acme
      public_key: pub
      private_key_env: ACME_CPQ_KEY
)"));
  ASSERT_EQ(e.problems.size(), 4u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 2);
  EXPECT_EQ(e.problems[0].key, "log.level");
  EXPECT_EQ(e.problems[1].line, 3);
  EXPECT_EQ(e.problems[1].message, "'xml' is not a log format; expected json or text");
  EXPECT_EQ(e.problems[2].line, 4);
  EXPECT_EQ(e.problems[2].key, "log.runs");
  EXPECT_EQ(e.problems[2].message,
            "'idle' is not a run logging mode; expected all (every pull run at info) or changes "
            "(idle runs at debug)");
  EXPECT_EQ(e.problems[3].line, 7);
  EXPECT_EQ(e.problems[3].message, "'crm' is not a source; expected psa or quotes");
}

TEST_F(ConfigValidationTest, DuplicateTenantNames) {
  const auto p = one_problem(R"(
tenants:
  - name: acme
    cpq: { access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: acme
    cpq: { access_key: c, public_key: d, private_key_env: ACME_CPQ_KEY }
)");
  EXPECT_EQ(p.line, 4);
  EXPECT_EQ(p.key, "tenants[1].name");
  EXPECT_EQ(p.message, "duplicate tenant name 'acme'; it is already used on line 2");
}

TEST_F(ConfigValidationTest, TenantNamePattern) {
  for (const char* bad : {"Acme", "acme corp", "acme.eu", "ä"}) {
    const auto p = one_problem(std::string("tenants:\n  - name: \"") + bad +
                               "\"\n    cpq: { access_key: a, public_key: b, private_key_env: "
                               "ACME_CPQ_KEY }\n");
    EXPECT_EQ(p.line, 2) << bad;
    EXPECT_EQ(p.key, "tenants[0].name");
    EXPECT_THAT(p.message, HasSubstr("not a valid tenant name")) << bad;
  }
}

TEST_F(ConfigValidationTest, BadUrls) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: a
    cpq: { base_url: ftp://x.example, access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: b
    cpq: { base_url: "https://", access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: c
    cpq: { base_url: "https://u:p@x.example", access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: d
    cpq: { base_url: "https://x.example/api?x=1", access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: e
    cpq: { base_url: "http://sellapi.quosalsell.com", access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
  - name: f
    psa:
      site: https://api-na.myconnectwise.net/v4_6_release/apis/3.0
      company_id: c
      public_key: p
      private_key_env: ACME_PSA_KEY
      client_id: 00000000-0000-0000-0000-000000000000
  - name: g
    cpq: { base_url: "https://x.example:99999", access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
)"));
  ASSERT_EQ(e.problems.size(), 7u) << e.to_string();
  const int lines[] = {3, 5, 7, 9, 11, 14, 20};
  const char* keys[] = {"tenants[0].cpq.base_url", "tenants[1].cpq.base_url",
                        "tenants[2].cpq.base_url", "tenants[3].cpq.base_url",
                        "tenants[4].cpq.base_url", "tenants[5].psa.site",
                        "tenants[6].cpq.base_url"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(e.problems[i].line, lines[i]) << e.problems[i].to_string();
    EXPECT_EQ(e.problems[i].key, keys[i]);
  }
  EXPECT_THAT(e.problems[0].message, HasSubstr("not an http(s) URL"));
  EXPECT_THAT(e.problems[1].message, HasSubstr("no host"));
  EXPECT_THAT(e.problems[2].message, HasSubstr("must not contain user:password@"));
  EXPECT_THAT(e.problems[2].message, Not(HasSubstr("u:p")));
  EXPECT_THAT(e.problems[3].message, HasSubstr("query"));
  EXPECT_THAT(e.problems[4].message, HasSubstr("http:// is allowed only for loopback hosts"));
  EXPECT_THAT(e.problems[4].message, HasSubstr("allow_insecure: true"));
  EXPECT_THAT(e.problems[5].message, HasSubstr("has a path"));
}

TEST_F(ConfigValidationTest, HttpListenMustBeHostPort) {
  for (const char* bad : {"9464", "localhost", ":9464", "127.0.0.1:", "127.0.0.1:http",
                          "127.0.0.1:70000", "[::1:9464", "http://127.0.0.1:9464"}) {
    const auto p = one_problem(std::string("http_listen: \"") + bad + "\"\n" + kMinimalTenant);
    EXPECT_EQ(p.line, 1) << bad;
    EXPECT_EQ(p.key, "http_listen") << bad;
    EXPECT_THAT(p.message, HasSubstr("expected host:port")) << bad;
  }
  for (const char* good : {"127.0.0.1:9464", "[::1]:9464", "localhost:0", "0.0.0.0:9464"}) {
    const Config c = load_ok(write("ok.yaml", std::string("http_listen: \"") + good + "\"\n" +
                                                  kMinimalTenant));
    EXPECT_EQ(c.http_listen, good);
  }
}

// `cwsync run` refuses a non-loopback http_listen without --allow-remote-http:
// check-config warns (and still passes), so its OK does not promise a start.
TEST_F(ConfigValidationTest, ANonLoopbackHttpListenIsAWarning) {
  for (const char* remote : {"0.0.0.0:9464", "[::]:9464", "192.168.1.5:9464", "monitor.lan:9464",
                             "128.0.0.1:9464"}) {
    const auto path = write("remote.yaml", std::string("database: x.db\nhttp_listen: \"") +
                                               remote + "\"\n" + kMinimalTenant);
    const Config c = load_ok(path);
    EXPECT_EQ(c.http_listen, remote);
    ASSERT_EQ(c.warnings.size(), 1u) << remote;
    EXPECT_EQ(c.warnings[0].to_string(),
              path + ":2: http_listen: '" + remote +
                  "' is not a loopback address (127.0.0.0/8, ::1, localhost); the HTTP endpoints "
                  "are unauthenticated, and `cwsync run` refuses it unless started with "
                  "--allow-remote-http");
  }
  for (const char* local : {"127.0.0.1:9464", "127.8.9.10:1", "[::1]:9464", "localhost:0",
                            "LocalHost:9464"}) {
    const Config c = load_ok(write("local.yaml", std::string("http_listen: \"") + local + "\"\n" +
                                                     kMinimalTenant));
    EXPECT_TRUE(c.warnings.empty()) << local << ": " << c.warnings[0].to_string();
  }
}

TEST_F(ConfigValidationTest, ClientIdMustBeAGuid) {
  const auto p = one_problem(R"(
tenants:
  - name: acme
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      private_key_env: ACME_PSA_KEY
      client_id: my-client-id
)");
  EXPECT_EQ(p.line, 8);
  EXPECT_EQ(p.key, "tenants[0].psa.client_id");
  EXPECT_THAT(p.message, HasSubstr("is not a GUID"));
}

TEST_F(ConfigValidationTest, OpportunitiesPsaNeedsPsaSection) {
  const auto p = one_problem(R"(
tenants:
  - name: acme
    opportunities: psa
    cpq: { access_key: a, public_key: b, private_key_env: ACME_CPQ_KEY }
)");
  EXPECT_EQ(p.line, 3);
  EXPECT_EQ(p.key, "tenants[0].opportunities");
  EXPECT_THAT(p.message, HasSubstr("no psa section"));
}

TEST_F(ConfigValidationTest, MarkerFormatNeedsPlaceholder) {
  const auto p = one_problem(std::string(kMinimalTenant) + "    queue: { marker_format: \"[cw]\" }\n");
  EXPECT_EQ(p.line, 7);
  EXPECT_EQ(p.key, "tenants[0].queue.marker_format");
  EXPECT_THAT(p.message, HasSubstr("{marker}"));
}

}  // namespace
}  // namespace cwsync
