// Secret sources: inline, *_file (with $CREDENTIALS_DIRECTORY), *_env, .env,
// the single-tenant CONNECTWISE_* variables, and that no error leaks a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConfigSecretsTest : public testing_util::ConfigTest {};

constexpr const char* kCpqFromFile = R"(
tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub
      private_key_file: keys/cpq.key
)";

TEST_F(ConfigSecretsTest, InlineKeyInPrivateFile) {
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key: inline-secret-42 }
)", 0640));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "inline-secret-42");
  EXPECT_EQ(c.tenants[0].cpq->private_key_source, "inline");
}

TEST_F(ConfigSecretsTest, InlineKeyInWorldReadableFileIsAProblem) {
  const auto path = write("cwsync.yaml", R"(
database: /tmp/x.db
tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub
      private_key: inline-secret-42
)", 0644);
  const ConfigError e = load_error(path);
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 7);
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key");
  EXPECT_EQ(e.problems[0].message, "file is world-readable and holds secrets; run `chmod 640 " +
                                       path + "` or move the key to private_key_file");
  EXPECT_THAT(e.to_string(), Not(HasSubstr("inline-secret-42")));
}

TEST_F(ConfigSecretsTest, WorldReadableFileWithoutInlineKeysIsFine) {
  vars_["K"] = "from-env";
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_env: K }
)", 0644));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "from-env");
}

TEST_F(ConfigSecretsTest, RelativeKeyFileIsBesideTheConfig) {
  write("keys/cpq.key", "file-secret\n");
  const Config c = load_ok(write("cwsync.yaml", kCpqFromFile));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "file-secret");  // newline stripped
  EXPECT_EQ(c.tenants[0].cpq->private_key_source, "file " + (dir_ / "keys/cpq.key").string());
}

TEST_F(ConfigSecretsTest, RelativeKeyFileUsesCredentialsDirectory) {
  write("keys/cpq.key", "beside-config\n");
  write("creds/keys/cpq.key", "systemd-credential\r\n");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  const Config c = load_ok(write("cwsync.yaml", kCpqFromFile));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "systemd-credential");
}

TEST_F(ConfigSecretsTest, AbsoluteKeyFileIgnoresCredentialsDirectory) {
  const auto key = write("abs.key", "absolute");
  vars_["CREDENTIALS_DIRECTORY"] = (dir_ / "creds").string();
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_file: )" + key + " }\n"));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "absolute");
}

TEST_F(ConfigSecretsTest, MissingKeyFileNamesThePath) {
  const ConfigError e = load_error(write("cwsync.yaml", kCpqFromFile));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 6);
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key_file");
  EXPECT_EQ(e.problems[0].message, "cannot read '" + (dir_ / "keys/cpq.key").string() +
                                       "': No such file or directory");
}

TEST_F(ConfigSecretsTest, EmptyKeyFileIsAProblem) {
  write("keys/cpq.key", "\n");
  const ConfigError e = load_error(write("cwsync.yaml", kCpqFromFile));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_THAT(e.problems[0].message, HasSubstr("is empty"));
}

TEST_F(ConfigSecretsTest, UnreadableKeyFileNamesPathButNotContent) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  write("keys/cpq.key", "do-not-print-me", 0000);
  const ConfigError e = load_error(write("cwsync.yaml", kCpqFromFile));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_THAT(e.problems[0].message, HasSubstr("Permission denied"));
  EXPECT_THAT(e.to_string(), Not(HasSubstr("do-not-print-me")));
}

TEST_F(ConfigSecretsTest, DirectoryAsKeyFileIsAProblem) {
  std::filesystem::create_directories(dir_ / "keys/cpq.key");
  const ConfigError e = load_error(write("cwsync.yaml", kCpqFromFile));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 6);
  EXPECT_EQ(e.problems[0].message, "'" + (dir_ / "keys/cpq.key").string() +
                                       "' is a directory; expected a file holding just the key");
}

// Each secret-bearing section, with the pasted value in `key`.
std::string pasted_everywhere(const std::string& suffix, const std::string& value) {
  return R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key)" + suffix + ": '" + value + R"(' }
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      client_id: 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b
      private_key)" + suffix + ": '" + value + R"('
  - name: contoso
    psa:
      provider: autotask
      username: api-user@contoso.example
      integration_code: ABCDEF123456
      secret)" + suffix + ": '" + value + "'\n";
}

TEST_F(ConfigSecretsTest, AKeyPastedIntoAnEnvKeyIsNeverRepeated) {
  const ConfigError e =
      load_error(write("cwsync.yaml", pasted_everywhere("_env", "Sup3rS3cretEnvValue!")));
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  EXPECT_THAT(e.to_string(), Not(HasSubstr("Sup3rS3cretEnvValue")));
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key_env");
  EXPECT_EQ(e.problems[0].message,
            "is not a variable name; expected [A-Za-z_][A-Za-z0-9_]* (the value is not shown: it "
            "may be the secret itself; if you pasted the key here, move it to private_key, or "
            "put it in a file only cwsync can read and give that file's path in "
            "private_key_file)");
  EXPECT_EQ(e.problems[1].key, "tenants[0].psa.private_key_env");
  EXPECT_EQ(e.problems[2].key, "tenants[1].psa.secret_env");
  EXPECT_THAT(e.problems[2].message, HasSubstr("move it to secret, or put it in a file"));
}

TEST_F(ConfigSecretsTest, AKeyPastedIntoAFileKeyIsNeverRepeated) {
  const ConfigError e =
      load_error(write("cwsync.yaml", pasted_everywhere("_file", "Sup3rS3cretFileValue")));
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  EXPECT_THAT(e.to_string(), Not(HasSubstr("Sup3rS3cretFileValue")));
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key_file");
  EXPECT_EQ(e.problems[0].message,
            "cannot read the file named in private_key_file (looked up in " + dir_.string() +
                "): No such file or directory (the value is not shown: it may be the secret "
                "itself; if you pasted the key here, move it to private_key, or put it in a file "
                "only cwsync can read and give that file's path in private_key_file)");
  EXPECT_EQ(e.problems[1].key, "tenants[0].psa.private_key_file");
  EXPECT_EQ(e.problems[2].key, "tenants[1].psa.secret_file");
  EXPECT_THAT(e.problems[2].message, HasSubstr("cannot read the file named in secret_file"));
}

TEST_F(ConfigSecretsTest, AKeyFileNamedWithoutASlashIsNotRepeatedEvenWhenItExists) {
  write("cpq.key", "\n");
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_file: cpq.key }
)"));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_THAT(e.problems[0].message,
              HasSubstr("the file named in private_key_file (looked up in " + dir_.string() +
                        ") is empty; expected the key on one line (the value is not shown"));
  EXPECT_THAT(e.to_string(), Not(HasSubstr("cpq.key")));
}

TEST_F(ConfigSecretsTest, EnvVariableSource) {
  vars_["ACME_CPQ"] = "env-secret";
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_env: ACME_CPQ }
)"));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "env-secret");
  EXPECT_EQ(c.tenants[0].cpq->private_key_source, "env ACME_CPQ");
}

TEST_F(ConfigSecretsTest, UnsetOrBadEnvVariableIsAProblem) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_env: NOT_SET }
  - name: beta
    cpq: { access_key: b, public_key: pub, private_key_env: "bad name" }
)"));
  ASSERT_EQ(e.problems.size(), 2u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 3);
  EXPECT_EQ(e.problems[0].message,
            "environment variable NOT_SET is not set (neither in the environment nor in .env)");
  EXPECT_EQ(e.problems[1].line, 5);
  EXPECT_THAT(e.problems[1].message, HasSubstr("not a variable name"));
}

// A generated key is often a valid variable name too (letters and digits):
// pasted into *_env and not set, it must not be repeated either. A
// conventional name (ACME_CPQ_KEY) still is, because it helps.
TEST_F(ConfigSecretsTest, AKeyPastedIntoAnEnvKeyThatLooksLikeANameIsNotRepeated) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_env: kQ7rT2xW9mB4vN8p }
  - name: beta
    cpq: { access_key: b, public_key: pub, private_key_env: ABCD1234EFGH5678 }
  - name: gamma
    cpq: { access_key: g, public_key: pub, private_key_env: GAMMA_CPQ_KEY }
)"));
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  EXPECT_THAT(e.to_string(), Not(HasSubstr("kQ7rT2xW9mB4vN8p")));
  EXPECT_THAT(e.to_string(), Not(HasSubstr("ABCD1234EFGH5678")));
  EXPECT_THAT(e.problems[0].message,
              HasSubstr("the environment variable named in private_key_env is not set"));
  EXPECT_THAT(e.problems[0].message, HasSubstr("move it to private_key"));
  EXPECT_THAT(e.problems[2].message, HasSubstr("environment variable GAMMA_CPQ_KEY is not set"));
}

TEST_F(ConfigSecretsTest, DotEnvBesideTheConfigAndRealEnvWins) {
  write(".env", R"(
# keys for cwsync
export ACME_CPQ="dotenv-cpq"
ACME_PSA=dotenv-psa
)");
  vars_["ACME_PSA"] = "real-env-psa";
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq: { access_key: acme, public_key: pub, private_key_env: ACME_CPQ }
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      private_key_env: ACME_PSA
      client_id: 00000000-0000-0000-0000-000000000000
)"));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "dotenv-cpq");
  EXPECT_EQ(c.tenants[0].cpq->private_key_source, "env ACME_CPQ (.env)");
  EXPECT_EQ(c.tenants[0].psa->private_key.reveal(), "real-env-psa");
}

TEST_F(ConfigSecretsTest, MalformedDotEnvLineIsAProblemWithoutItsText) {
  const auto env_path = write(".env", "GOOD=1\nthis-line-holds-secret-xyz\n");
  const ConfigError e = load_error(write("cwsync.yaml", testing_util::kMinimalTenant));
  // ACME_CPQ_KEY is unset, plus the .env problem (other files sort last).
  ASSERT_EQ(e.problems.size(), 2u) << e.to_string();
  EXPECT_EQ(e.problems[1].file, env_path);
  EXPECT_EQ(e.problems[1].line, 2);
  EXPECT_THAT(e.to_string(), Not(HasSubstr("secret-xyz")));
}

TEST_F(ConfigSecretsTest, CredentialsDirectoryFromDotEnv) {
  write("creds/keys/cpq.key", "via-dotenv-creds");
  write(".env", "CREDENTIALS_DIRECTORY=" + (dir_ / "creds").string() + "\n");
  const Config c = load_ok(write("cwsync.yaml", kCpqFromFile));
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "via-dotenv-creds");
}

TEST_F(ConfigSecretsTest, MoreThanOneSourceIsAProblem) {
  vars_["K"] = "x";
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub
      private_key: inline-secret-99
      private_key_env: K
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      private_key_file: /nonexistent
      private_key_env: K
      client_id: 00000000-0000-0000-0000-000000000000
)"));
  ASSERT_EQ(e.problems.size(), 2u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 7);
  EXPECT_EQ(e.problems[0].key, "tenants[0].cpq.private_key_env");
  EXPECT_THAT(e.problems[0].message, HasSubstr("give exactly one of"));
  EXPECT_EQ(e.problems[1].line, 13);
  EXPECT_EQ(e.problems[1].key, "tenants[0].psa.private_key_env");
  EXPECT_THAT(e.to_string(), Not(HasSubstr("inline-secret-99")));
}

TEST_F(ConfigSecretsTest, SingleTenantConnectwiseVariablesFillAndOverride) {
  vars_["CONNECTWISE_CPQ_ACCESS_KEY"] = "env-access";
  vars_["CONNECTWISE_CPQ_PUBLIC_KEY"] = "env-public";
  vars_["CONNECTWISE_CPQ_PRIVATE_KEY"] = "env-private";
  vars_["CONNECTWISE_PSA_COMPANY_ID"] = "env-company";
  vars_["CONNECTWISE_PSA_PUBLIC_KEY"] = "env-psa-public";
  vars_["CONNECTWISE_PSA_PRIVATE_KEY"] = "env-psa-private";
  vars_["CONNECTWISE_PSA_CLIENT_ID"] = "11111111-2222-3333-4444-555555555555";
  // The key file is missing: the variable wins, so it is never read.
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq:
      public_key: file-public
      private_key_file: missing.key
    psa:
      site: https://api-na.myconnectwise.net
)"));
  const Tenant& t = c.tenants[0];
  EXPECT_EQ(t.cpq->access_key, "env-access");
  EXPECT_EQ(t.cpq->public_key, "env-public");
  EXPECT_EQ(t.cpq->private_key.reveal(), "env-private");
  EXPECT_EQ(t.cpq->private_key_source, "env CONNECTWISE_CPQ_PRIVATE_KEY");
  EXPECT_EQ(t.psa->company_id, "env-company");
  EXPECT_EQ(t.psa->public_key, "env-psa-public");
  EXPECT_EQ(t.psa->private_key.reveal(), "env-psa-private");
  EXPECT_EQ(t.psa->client_id, "11111111-2222-3333-4444-555555555555");
}

TEST_F(ConfigSecretsTest, ConnectwiseVariablesFromDotEnv) {
  write(".env", "CONNECTWISE_CPQ_ACCESS_KEY=a\nCONNECTWISE_CPQ_PUBLIC_KEY=b\n"
                "CONNECTWISE_CPQ_PRIVATE_KEY='c c'\n");
  const Config c = load_ok(write("cwsync.yaml", "tenants:\n  - name: acme\n    cpq: {}\n"));
  EXPECT_EQ(c.tenants[0].cpq->access_key, "a");
  EXPECT_EQ(c.tenants[0].cpq->private_key.reveal(), "c c");
}

TEST_F(ConfigSecretsTest, ConnectwiseVariablesIgnoredWithSeveralTenants) {
  vars_["CONNECTWISE_CPQ_ACCESS_KEY"] = "env-access";
  vars_["CONNECTWISE_CPQ_PUBLIC_KEY"] = "env-public";
  vars_["CONNECTWISE_CPQ_PRIVATE_KEY"] = "env-private";
  vars_["K"] = "k";
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: a
    cpq: { access_key: a, public_key: b, private_key_env: K }
  - name: b
    cpq: {}
)"));
  ASSERT_EQ(e.problems.size(), 3u) << e.to_string();
  for (const auto& p : e.problems) {
    EXPECT_EQ(p.line, 5);
    EXPECT_THAT(p.message, Not(HasSubstr("CONNECTWISE_")));
  }
}

TEST_F(ConfigSecretsTest, BadClientIdFromEnvironmentIsReported) {
  vars_["CONNECTWISE_PSA_CLIENT_ID"] = "not-a-guid";
  vars_["K"] = "k";
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    psa:
      site: https://api-na.myconnectwise.net
      company_id: acme
      public_key: pub
      private_key_env: K
      client_id: 00000000-0000-0000-0000-000000000000
)"));
  ASSERT_EQ(e.problems.size(), 1u) << e.to_string();
  EXPECT_EQ(e.problems[0].line, 3);
  EXPECT_THAT(e.problems[0].message, HasSubstr("(from CONNECTWISE_PSA_CLIENT_ID)"));
}

TEST_F(ConfigSecretsTest, NoProblemEverContainsASecret) {
  const std::string inline_secret = "SuperSecretInline_7f3a9c";
  const std::string file_secret = "SuperSecretFromFile_0b1c";
  const std::string env_secret = "SuperSecretFromEnv_99aa";
  const std::string dotenv_secret = "SuperSecretDotenv_55ee";
  write("psa.key", file_secret + "\n");
  write(".env", "DOT=" + dotenv_secret + "\nbroken " + dotenv_secret + "\n");
  vars_["ENVKEY"] = env_secret;
  // Bad values next to every secret; the file is world-readable too.
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: acme
    cpq:
      base_url: ftp://nowhere
      access_key: acme
      public_key: pub
      private_key: )" + inline_secret + R"(
      privat_key: )" + inline_secret + R"(
      rate_limit: { requests: many }
    psa:
      site: https://x.example
      company_id: acme
      public_key: pub
      private_key_file: psa.key
      client_id: nope
  - name: beta
    cpq: { access_key: a, public_key: b, private_key_env: ENVKEY, private_key: )" +
                                           inline_secret + R"( }
  - name: gamma
    cpq: { access_key: a, public_key: b, private_key_env: DOT, allow_insecure: maybe }
)", 0644));
  ASSERT_GE(e.problems.size(), 6u) << e.to_string();
  const std::string text = e.to_string();
  for (const std::string& secret : {inline_secret, file_secret, env_secret, dotenv_secret}) {
    EXPECT_THAT(text, Not(HasSubstr(secret))) << text;
  }
  EXPECT_THAT(text, HasSubstr("world-readable"));
}

}  // namespace
}  // namespace cwsync
