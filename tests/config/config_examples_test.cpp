// The shipped examples: cwsync.yaml loads, bad.yaml names its bad keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExamples = std::string(CWSYNC_SOURCE_DIR) + "/examples/";

class ConfigExamplesTest : public testing_util::ConfigTest {};

TEST_F(ConfigExamplesTest, ExampleLoadsWithSystemdCredentials) {
  write("creds/acme-cpq", "cpq-credential\n");
  write("creds/acme-psa", "psa-credential\n");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  const Config c = load_ok(kExamples + "cwsync.yaml");
  ASSERT_EQ(c.tenants.size(), 1u);
  const Tenant& t = c.tenants[0];
  EXPECT_EQ(t.name, "acme");
  EXPECT_EQ(t.opportunities, OpportunitySource::kPsa);
  ASSERT_TRUE(t.cpq && t.psa);
  EXPECT_EQ(t.cpq->private_key.reveal(), "cpq-credential");
  EXPECT_EQ(t.psa->private_key.reveal(), "psa-credential");
  EXPECT_EQ(c.http_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.retention.sync_runs, std::chrono::milliseconds(std::chrono::hours(24 * 30)));
  EXPECT_FALSE(c.retention.activity_log.has_value());
}

TEST_F(ConfigExamplesTest, ExampleLoadsWithConnectwiseVariables) {
  vars_["CONNECTWISE_CPQ_PRIVATE_KEY"] = "cpq-from-env";
  vars_["CONNECTWISE_PSA_PRIVATE_KEY"] = "psa-from-env";
  const Config c = load_ok(kExamples + "cwsync.yaml");
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "cpq-from-env");
  EXPECT_EQ(c.tenants[0].psa->private_key.reveal(), "psa-from-env");
}

// A credential name has no '/', so it could as well be a pasted key: the
// problem points at the key's line and the directory, not the value.
TEST_F(ConfigExamplesTest, ExampleWithoutKeysPointsAtTheKeysAndTheDirectory) {
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "empty").string();
  const ConfigError e = load_error(kExamples + "cwsync.yaml");
  ASSERT_EQ(e.problems.size(), 2u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 37);
  EXPECT_EQ(e.problems[1].line, 43);
  for (const auto& p : e.problems) {
    EXPECT_EQ(p.key.substr(p.key.size() - 17), ".private_key_file");
    EXPECT_THAT(p.message, HasSubstr("cannot read the file named in private_key_file (looked up "
                                     "in " + (dir_ / "empty").string() + ")"));
  }
  EXPECT_THAT(e.to_string(), Not(HasSubstr("acme-cpq")));
}

TEST_F(ConfigExamplesTest, BadExampleNamesEachBadKeyWithItsLine) {
  vars_["ACME_CPQ_PRIVATE_KEY"] = "k1";
  vars_["ACME_PSA_PRIVATE_KEY"] = "k2";
  const std::string path = kExamples + "bad.yaml";
  const ConfigError e = load_error(path);
  const std::string text = e.to_string();
  // The lines below are the ones listed at the top of examples/bad.yaml.
  EXPECT_THAT(text, HasSubstr(path + ":12: defaults.intervals.quotes: '5 minutes' is not a "
                                     "duration"));
  EXPECT_THAT(text, HasSubstr(path + ":19: tenants[0].cpq.base_ulr: unknown key; did you mean "
                                     "'base_url'?"));
  EXPECT_THAT(text, HasSubstr(path + ":22: tenants[0].cpq.rate_limit.requests: 0 is out of "
                                     "range"));
  EXPECT_THAT(text, HasSubstr(path + ":27: tenants[0].psa.client_id: 'not-a-guid' is not a "
                                     "GUID"));
  EXPECT_EQ(e.problems.size(), 4u) << text;
}

TEST_F(ConfigExamplesTest, BadExampleAlsoNamesUnsetKeyVariables) {
  const std::string path = kExamples + "bad.yaml";
  const ConfigError e = load_error(path);
  const std::string text = e.to_string();
  EXPECT_EQ(e.problems.size(), 6u) << text;
  EXPECT_THAT(text, HasSubstr(path + ":18: tenants[0].cpq.private_key_env: environment variable "
                                     "ACME_CPQ_PRIVATE_KEY is not set"));
  EXPECT_THAT(text, HasSubstr(path + ":28: tenants[0].psa.private_key_env: environment variable "
                                     "ACME_PSA_PRIVATE_KEY is not set"));
}

}  // namespace
}  // namespace cwsync
