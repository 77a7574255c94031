// describe_config(): the check-config summary shows everything but secrets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConfigDescribeTest : public testing_util::ConfigTest {};

TEST_F(ConfigDescribeTest, SummaryMasksSecretsAndShowsTheRest) {
  const std::string cpq_secret = "cpq-private-key-abcdef-XY";
  const std::string psa_secret = "psa-private-key-123456-QZ";
  write("psa.key", psa_secret + "\n");
  vars_["CPQ_KEY"] = cpq_secret;
  const Config c = load_ok(write("cwsync.yaml", R"(
database: /var/lib/cwsync/cache.db
log: { level: warn, format: text }
http_listen: 127.0.0.1:9464
defaults:
  intervals: { quotes: 90s }
tenants:
  - name: acme
    cpq:
      access_key: acme-access
      public_key: 8f7a6b5c4d3e2f1a
      private_key_env: CPQ_KEY
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acmeco
      public_key: psa-public
      private_key_file: psa.key
      client_id: 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
)"));
  const std::string text = describe_config(c);
  EXPECT_THAT(text, Not(HasSubstr(cpq_secret)));
  EXPECT_THAT(text, Not(HasSubstr(psa_secret)));
  EXPECT_THAT(text, HasSubstr("private_key: " + Secret(cpq_secret).masked() + " (env CPQ_KEY)"));
  EXPECT_THAT(text, HasSubstr("private_key: " + Secret(psa_secret).masked() + " (file " +
                              (dir_ / "psa.key").string() + ")"));
  EXPECT_THAT(text, HasSubstr("****XY"));
  EXPECT_THAT(text, HasSubstr("****QZ"));
  for (const char* expected :
       {"database:    /var/lib/cwsync/cache.db", "log:         level=warn format=text",
        "http_listen: 127.0.0.1:9464", "quotes=90s opportunities=5m reconcile=1d queue=10s tickets=5m",
        "tenants (1):", "  - acme", "opportunities: psa", "access_key:  acme-access",
        "public_key:  8f7a6b5c4d3e2f1a", "site:        https://api-na.myconnectwise.net",
        "company_id:  acmeco", "client_id:   3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "codebase:    (looked up at start)", "rate_limit:  25 per 5s", "rate_limit:  60 per 1m",
        "max_attempts=10 max_age=3d"}) {
    EXPECT_THAT(text, HasSubstr(expected)) << text;
  }
}

TEST_F(ConfigDescribeTest, ShortSecretsAreFullyMasked) {
  vars_["K"] = "short";
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: a, public_key: b, private_key_env: K }
)"));
  const std::string text = describe_config(c);
  EXPECT_THAT(text, HasSubstr("private_key: **** (env K)"));
  EXPECT_THAT(text, Not(HasSubstr("short")));
  EXPECT_THAT(text, HasSubstr("http_listen: (off)"));
}

TEST_F(ConfigDescribeTest, DefaultConfigDescribes) {
  const std::string text = describe_config(Config{});
  EXPECT_THAT(text, HasSubstr("config:      (built in)"));
  EXPECT_THAT(text, HasSubstr("tenants (0):"));
}

}  // namespace
}  // namespace cwsync
