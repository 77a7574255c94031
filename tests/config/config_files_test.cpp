// Files the config names that are not regular files (a FIFO, a device): they
// are refused at once with a problem, never read, and never block the loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using testing_util::kMinimalTenant;

class ConfigFilesTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["ACME_CPQ_KEY"] = "cpq-secret-value-1234";
  }
  // The problems of a load that must fail, bounded in time.
  ConfigError bounded_error(const std::string& path, const std::vector<std::string>& fifos) {
    auto result = load_bounded(path, fifos);
    if (auto* e = std::get_if<ConfigError>(&result)) return *e;
    ADD_FAILURE() << path << " loaded";
    return {};
  }
};

TEST_F(ConfigFilesTest, AFifoAsTheConfigFileIsRefusedWithoutBlocking) {
  const auto path = fifo("cwsync.yaml");
  const ConfigError e = bounded_error(path, {path});
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].to_string(),
            path +
                ": is a FIFO (named pipe), not a regular file; expected the YAML config file "
                "as a regular file (a pipe or device could block cwsync forever); replace it "
                "with a regular file");
}

TEST_F(ConfigFilesTest, AFifoAsDotEnvIsAProblemOfDotEnv) {
  const auto env = fifo(".env");
  const ConfigError e = bounded_error(write("cwsync.yaml", kMinimalTenant), {env});
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].file, env);
  EXPECT_THAT(e.problems[0].message, HasSubstr("is a FIFO (named pipe), not a regular file"));
}

TEST_F(ConfigFilesTest, AFifoAsAKeyFileIsAProblemOfThatKey) {
  const auto key = fifo("keys/cpq.key");
  const ConfigError e = bounded_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_file: keys/cpq.key }
)"),
                                      {key});
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key_file");
  EXPECT_EQ(e.problems[0].message, "'" + key +
                                       "' is a FIFO (named pipe), not a regular file; expected a "
                                       "file holding just the key");
}

TEST_F(ConfigFilesTest, ADeviceAsAKeyFileIsRefusedBeforeReading) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_file: /dev/zero }
)"));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].message,
            "'/dev/zero' is a character device, not a regular file; expected a file holding just "
            "the key");
}

TEST_F(ConfigFilesTest, AFifoInTenantsDirDisablesThatTenantOnly) {
  const auto f = fifo("tenants.d/piped.yaml");
  auto result = load_bounded(
      write("cwsync.yaml", std::string("tenants_dir: tenants.d\n") + kMinimalTenant), {f});
  ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigError>(result).to_string();
  const Config& c = std::get<Config>(result);
  ASSERT_EQ(c.tenants.size(), 1u);
  ASSERT_EQ(c.disabled_tenants.size(), 1u);
  ASSERT_EQ(c.disabled_tenants[0].problems.size(), 1u);
  EXPECT_EQ(c.disabled_tenants[0].problems[0].to_string(),
            f + ": is a FIFO (named pipe), not a regular file; expected one tenant's YAML file "
                "(a regular file); remove it, or rename it so its name does not end in .yaml or "
                ".yml");
}

}  // namespace
}  // namespace cwsync
