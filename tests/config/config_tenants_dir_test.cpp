// tenants_dir (one tenant per file, a broken file disables only its tenant),
// hosts: ceilings and budget: names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using testing_util::kMinimalTenant;

class TenantsDirTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["ACME_CPQ_KEY"] = "cpq-secret-value-1234";
  }
  std::string main_file(const std::string& extra = "") {
    return write("cwsync.yaml", "tenants_dir: tenants.d\n" + extra);
  }
  std::string tenant_file(const std::string& name, const std::string& access_key) {
    return write("tenants.d/" + name, R"(
cpq:
  access_key: )" + access_key + R"(
  public_key: pub
  private_key_env: ACME_CPQ_KEY
)");
  }
};

TEST_F(TenantsDirTest, EachFileIsATenantNamedAfterTheFileByDefault) {
  tenant_file("beta.yaml", "beta");
  tenant_file("alpha.yml", "alpha");
  write("tenants.d/notes.txt", "not a tenant");
  write("tenants.d/.hidden.yaml", "also: skipped");
  const auto path = main_file(kMinimalTenant);
  Config c = load_ok(path);
  ASSERT_EQ(c.tenants.size(), 3u);
  EXPECT_EQ(c.tenants[0].name, "acme");  // the main file's come first
  EXPECT_EQ(c.tenants[0].source_file, "");
  EXPECT_EQ(c.tenants[1].name, "alpha");
  EXPECT_EQ(c.tenants[2].name, "beta");
  EXPECT_THAT(c.tenants[2].source_file, HasSubstr("tenants.d/beta.yaml"));
  EXPECT_TRUE(c.disabled_tenants.empty());
}

// A warning found in a tenant file (a world-readable key file) is the
// config's warning, as it would be in the main file: it used to be dropped.
TEST_F(TenantsDirTest, ATenantFilesWarningsAreKept) {
  write("tenants.d/keys/one.key", "cpq-secret-value-1234\n", 0644);
  write("tenants.d/one.yaml", R"(
cpq:
  access_key: one
  public_key: pub
  private_key_file: keys/one.key
)");
  Config c = load_ok(main_file());
  ASSERT_EQ(c.tenants.size(), 1u);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0].file, HasSubstr("tenants.d/one.yaml"));
  EXPECT_EQ(c.warnings[0].line, 4);
  EXPECT_THAT(c.warnings[0].message, HasSubstr("is readable by everyone"));
}

TEST_F(TenantsDirTest, TenantsMayAllComeFromTheDirectory) {
  tenant_file("one.yaml", "one");
  Config c = load_ok(main_file());
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].name, "one");
}

TEST_F(TenantsDirTest, ABrokenFileDisablesOnlyItsTenantAndSaysWhy) {
  tenant_file("good.yaml", "good");
  write("tenants.d/broken.yaml", R"(
name: broken
cpq:
  access_key: b
  public_key: pub
  private_key_env: ACME_CPQ_KEY
  rate_limit: { requests: 0, per: 5s }
)");
  write("tenants.d/syntax.yaml", "cpq: [unclosed\n");
  write("tenants.d/zdup.yaml", "name: good\ncpq: { access_key: d, public_key: p, private_key_env: ACME_CPQ_KEY }\n");
  Config c = load_ok(main_file());
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].name, "good");
  ASSERT_EQ(c.disabled_tenants.size(), 3u);
  // In file order: broken, syntax, zdup (a name is taken by the first file).
  const auto& broken = c.disabled_tenants[0];
  EXPECT_EQ(broken.name, "broken");
  ASSERT_EQ(broken.problems.size(), 1u);
  EXPECT_THAT(broken.problems[0].to_string(),
              HasSubstr("tenants.d/broken.yaml:6: cpq.rate_limit.requests: 0 is out of range; "
                        "expected"));
  EXPECT_EQ(c.disabled_tenants[1].name, "syntax");
  EXPECT_THAT(c.disabled_tenants[1].problems[0].message, HasSubstr("YAML syntax error"));
  EXPECT_THAT(c.disabled_tenants[2].problems[0].to_string(),
              HasSubstr("zdup.yaml:1: name: duplicate tenant name 'good'; it is already used by"));
  EXPECT_THAT(describe_config(c), HasSubstr("disabled tenants (3)"));
}

TEST_F(TenantsDirTest, AFileNameThatIsNotATenantNameDisablesThatTenant) {
  tenant_file("ok.yaml", "ok");
  tenant_file("has space.yaml", "a");
  tenant_file("\xc3\x9c" "n\xc3\xaf" "code.yaml", "b");  // Ünïcode.yaml
  tenant_file("bad name\"x.yaml", "c");
  // An explicit name is the tenant name; the file name then does not matter.
  write("tenants.d/Named Explicitly.yaml",
        "name: named\ncpq: { access_key: n, public_key: p, private_key_env: ACME_CPQ_KEY }\n");
  Config c = load_ok(main_file());
  ASSERT_EQ(c.tenants.size(), 2u);
  EXPECT_EQ(c.tenants[0].name, "named");
  EXPECT_EQ(c.tenants[1].name, "ok");
  ASSERT_EQ(c.disabled_tenants.size(), 3u);
  // Sorted by file name: bytes, so the non-ASCII name comes last.
  const char* shown[] = {"bad name\"x", "has space", "\\xc3\\x9cn\\xc3\\xafcode"};
  for (std::size_t i = 0; i < 3; ++i) {
    const DisabledTenant& d = c.disabled_tenants[i];
    EXPECT_EQ(d.name, shown[i]);  // never the raw bytes: status prints it
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].to_string(),
              d.file + ": name: the tenant name comes from the file name, and '" + shown[i] +
                  "' is not a valid tenant name; expected 1 to 64 of a-z, 0-9, _ and - (lower "
                  "case). Rename the file (e.g. acme.yaml) or set name: in it");
  }
}

TEST_F(TenantsDirTest, BrokenEntriesAreReportedNotSkipped) {
  tenant_file("good.yaml", "good");
  std::filesystem::create_symlink("/nonexist", dir_ / "tenants.d/dangle.yaml");
  std::filesystem::create_directories(dir_ / "tenants.d/dir.yaml");
  // Still skipped, as documented: hidden files and editor backups.
  std::filesystem::create_directories(dir_ / "tenants.d/.hidden.yaml");
  write("tenants.d/good.yaml~", "not: a tenant");
  write("tenants.d/.good.yaml.swp", "not: a tenant");
  Config c = load_ok(main_file());
  ASSERT_EQ(c.tenants.size(), 1u);
  ASSERT_EQ(c.disabled_tenants.size(), 2u);
  EXPECT_EQ(c.disabled_tenants[0].name, "dangle");
  ASSERT_EQ(c.disabled_tenants[0].problems.size(), 1u);
  EXPECT_EQ(c.disabled_tenants[0].problems[0].to_string(),
            (dir_ / "tenants.d/dangle.yaml").string() +
                ": is a symbolic link to '/nonexist', which does not exist; fix the link or "
                "remove it");
  EXPECT_EQ(c.disabled_tenants[1].name, "dir");
  ASSERT_EQ(c.disabled_tenants[1].problems.size(), 1u);
  EXPECT_EQ(c.disabled_tenants[1].problems[0].to_string(),
            (dir_ / "tenants.d/dir.yaml").string() +
                ": is a directory; expected one tenant's YAML file (a regular file); remove it, "
                "or rename it so its name does not end in .yaml or .yml");
}

TEST_F(TenantsDirTest, AnUnreadableFileIsReportedNotSkipped) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  tenant_file("good.yaml", "good");
  write("tenants.d/locked.yaml", "name: locked\n", 0000);
  Config c = load_ok(main_file());
  ASSERT_EQ(c.disabled_tenants.size(), 1u);
  EXPECT_THAT(c.disabled_tenants[0].problems[0].message,
              HasSubstr("cannot read: Permission denied; make it readable by the user cwsync "
                        "runs as, or remove it"));
}

TEST_F(TenantsDirTest, AMissingDirectoryIsAProblemOfTheMainFile) {
  const auto path = write("cwsync.yaml", "tenants_dir: nowhere\n");
  auto err = load_error(path);
  ASSERT_EQ(err.problems.size(), 1u);
  EXPECT_THAT(err.problems[0].to_string(),
              HasSubstr("cwsync.yaml:1: tenants_dir: '"));
  EXPECT_THAT(err.problems[0].message, HasSubstr("is not a directory; expected"));
}

TEST_F(TenantsDirTest, WithoutTenantsDirTenantsAreStillRequired) {
  auto err = load_error(write("cwsync.yaml", "database: x.db\n"));
  ASSERT_EQ(err.problems.size(), 1u);
  EXPECT_THAT(err.problems[0].message, HasSubstr("missing; expected a list of tenants"));
}

TEST_F(TenantsDirTest, HostsAndBudgetsAreReadAndChecked) {
  const auto ok = write("ok.yaml", std::string(R"(
hosts:
  - { host: SellAPI.quosalsell.com, rate_limit: { requests: 200, per: 5s } }
  - { host: "127.0.0.1:8080", rate_limit: { requests: 10, per: 1s } }
)") + kMinimalTenant + "      budget: shared_db\n");
  Config c = load_ok(ok);
  ASSERT_EQ(c.hosts.size(), 2u);
  EXPECT_EQ(c.hosts[0].host, "sellapi.quosalsell.com");
  EXPECT_EQ(c.hosts[0].rate_limit.requests, 200);
  EXPECT_EQ(c.hosts[0].rate_limit.per, 5s);
  EXPECT_EQ(c.hosts[1].host, "127.0.0.1:8080");
  EXPECT_EQ(c.tenants[0].cpq->budget, "shared_db");

  const auto bad = write("bad.yaml", std::string(R"(
hosts:
  - { host: "https://sellapi.quosalsell.com/api", rate_limit: { requests: 200, per: 5s } }
  - { host: a.example }
  - { host: a.example, rate_limit: { requests: 1, per: 1s } }
)") + kMinimalTenant + "      budget: Not Valid\n");
  auto err = load_error(bad);
  ASSERT_EQ(err.problems.size(), 4u) << err.to_string();
  EXPECT_THAT(err.problems[0].to_string(), HasSubstr("bad.yaml:2: hosts[0].host: 'https://"));
  EXPECT_THAT(err.problems[1].to_string(), HasSubstr("bad.yaml:3: hosts[1].rate_limit: missing"));
  EXPECT_THAT(err.problems[2].to_string(),
              HasSubstr("bad.yaml:4: hosts[2].host: host 'a.example' is listed twice; it is "
                        "already on line 3"));
  EXPECT_THAT(err.problems[3].to_string(),
              HasSubstr("tenants[0].cpq.budget: 'Not Valid' is not a valid budget name"));
}

}  // namespace
}  // namespace cwsync
