// `cwsync check` against a real cwsim process: one live call per API, with the
// setup guide's troubleshooting answers for each failure, and no secret in
// any output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;

// cwsim's defaults (see `cwsim --help`); the private key doubles as the
// secret that must never be printed.
constexpr const char* kPrivate = "cwsim-private";

struct Keys {
  std::string access_key = "cwsim";
  std::string private_key = kPrivate;
  std::string company = "cwsim";
  std::string cpq_url;  // default: the simulator
};

class CheckTest : public ::testing::Test {
 protected:
  std::string write_config(const Keys& k) {
    const std::string cpq_url = k.cpq_url.empty() ? sim_.base_url() : k.cpq_url;
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "tenants:\n"
                       "  - name: acme\n"
                       "    cpq:\n"
                       "      base_url: " + cpq_url + "\n"
                       "      access_key: " + k.access_key + "\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: " + k.private_key + "\n"
                       "    psa:\n"
                       "      site: " + sim_.base_url() + "\n"
                       "      company_id: " + k.company + "\n"
                       "      public_key: cwsim-public\n"
                       "      private_key: " + k.private_key + "\n"
                       "      client_id: 00000000-0000-0000-0000-000000000000\n");
    return dir_.file("cwsync.yaml").string();
  }

  // Runs `cwsync check --json` and returns the probe for `api`.
  nlohmann::json check(const Keys& k, const std::string& api, int* code = nullptr) {
    RunResult r = run_cwsync({"--config", write_config(k), "check", "--json"}, dir_.path());
    EXPECT_EQ(r.out.find(k.private_key), std::string::npos) << "secret leaked:\n" << r.out;
    EXPECT_EQ(r.err.find(k.private_key), std::string::npos) << "secret leaked:\n" << r.err;
    if (code) *code = r.code;
    nlohmann::json all = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(all.is_array()) << r.out << r.err;
    if (!all.is_array()) return {};
    for (const auto& p : all) {
      if (p["api"] == api) return p;
    }
    ADD_FAILURE() << "no probe for " << api << " in " << r.out;
    return {};
  }

  CwsimProcess sim_{{"--quotes", "5", "--opportunities", "3", "--tickets", "2"}};
  TempDir dir_{"cwsync-check-"};
};

TEST_F(CheckTest, GoodKeysPassAndReportTheCodebase) {
  int code = -1;
  nlohmann::json psa = check({}, "psa", &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(psa["ok"], true);
  EXPECT_NE(psa["detail"].get<std::string>().find("v2025_1/"), std::string::npos) << psa;
  EXPECT_EQ(check({}, "cpq")["ok"], true);
}

TEST_F(CheckTest, WrongKeysAre401WithAKeysDiagnosis) {
  Keys k;
  k.private_key = "not-the-right-key-4242";
  int code = -1;
  nlohmann::json cpq = check(k, "cpq", &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(cpq["http_status"], 401);
  EXPECT_NE(cpq["diagnosis"].get<std::string>().find("keys are wrong or expired"), std::string::npos);
  nlohmann::json psa = check(k, "psa");
  EXPECT_EQ(psa["http_status"], 401);
  EXPECT_NE(psa["diagnosis"].get<std::string>().find("wrong or expired"), std::string::npos);
}

TEST_F(CheckTest, UnknownAccessKeyIs404) {
  Keys k;
  k.access_key = "nobody";
  nlohmann::json cpq = check(k, "cpq");
  EXPECT_EQ(cpq["http_status"], 404);
  EXPECT_NE(cpq["diagnosis"].get<std::string>().find("access key is wrong"), std::string::npos);
  EXPECT_EQ(check(k, "psa")["ok"], true) << "one bad API must not fail the other";
}

TEST_F(CheckTest, NoApiLicenceIs403) {
  Keys k;
  k.access_key = "cwsim-nolicense";
  nlohmann::json cpq = check(k, "cpq");
  EXPECT_EQ(cpq["http_status"], 403);
  EXPECT_NE(cpq["diagnosis"].get<std::string>().find("no API licence"), std::string::npos);
}

TEST_F(CheckTest, NothingListeningIsExplained) {
  Keys k;
  k.cpq_url = "http://127.0.0.1:1";
  int code = -1;
  nlohmann::json cpq = check(k, "cpq", &code);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(cpq["http_status"].is_null());
  EXPECT_NE(cpq["diagnosis"].get<std::string>().find("nothing listens"), std::string::npos) << cpq;
}

TEST_F(CheckTest, ThrottledOrUnavailableIsExplainedWithTheWait) {
  SimControl ctl(sim_.port());
  ctl.add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 7}, {"api", "cpq"},
                 {"count", 1}});
  ctl.add_fault({{"kind", "status"}, {"status", 503}, {"api", "psa"}, {"path", "*/system/members"},
                 {"count", 1}});
  RunResult r = run_cwsync({"--config", write_config({}), "check", "--json"}, dir_.path());
  nlohmann::json all = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(all.is_array()) << r.out << r.err;
  EXPECT_EQ(r.code, 1);
  for (const auto& p : all) {
    const std::string diagnosis = p["diagnosis"].is_string() ? p["diagnosis"].get<std::string>() : "";
    if (p["api"] == "cpq") {
      EXPECT_EQ(p["http_status"], 429) << p;
      EXPECT_NE(diagnosis.find("rate-limiting"), std::string::npos) << p;
      EXPECT_NE(diagnosis.find("wait 7 s"), std::string::npos) << p;
    } else {
      EXPECT_EQ(p["http_status"], 503) << p;
      EXPECT_NE(diagnosis.find("unavailable"), std::string::npos) << p;
    }
  }
  // One answer each: check never retries, so each fault fired exactly once.
  const nlohmann::json faults = ctl.faults();
  ASSERT_EQ(faults.size(), 2u) << faults;
  for (const auto& f : faults) EXPECT_EQ(f["fired"], 1) << f;
}

// An Autotask tenant: the zone lookup and one call, in Autotask's words.
struct AutotaskKeys {
  std::string username = "apiuser@msp.example.com";
  std::string secret = "cwsim-secret";
  std::string code = "CWSIMINTEGRATIONCODE";
  int internal_note_type = 1;
};

class AutotaskCheckTest : public CheckTest {
 protected:
  nlohmann::json check_at(const AutotaskKeys& k, int* code = nullptr) {
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "tenants:\n"
                       "  - name: contoso\n"
                       "    psa:\n"
                       "      provider: autotask\n"
                       "      username: " + k.username + "\n"
                       "      secret: " + k.secret + "\n"
                       "      integration_code: " + k.code + "\n"
                       "      zone_lookup_url: " + sim_.base_url() + "/ATServicesRest/\n"
                       "      note_types: { internal: { note_type: " +
                           std::to_string(k.internal_note_type) + ", publish: 2 } }\n");
    RunResult r = run_cwsync({"--config", dir_.file("cwsync.yaml").string(), "check", "--json"},
                             dir_.path());
    for (const std::string& secret : {k.secret, k.code}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << "secret leaked:\n" << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret leaked:\n" << r.err;
    }
    if (code) *code = r.code;
    nlohmann::json all = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(all.is_array() && all.size() == 1u) << r.out << r.err;
    return all.is_array() && !all.empty() ? all[0] : nlohmann::json();
  }
};

TEST_F(AutotaskCheckTest, GoodKeysReportTheZoneAndTheHoursUsage) {
  int code = -1;
  nlohmann::json p = check_at({}, &code);
  EXPECT_EQ(code, 0) << p;
  EXPECT_EQ(p["api"], "autotask");
  EXPECT_EQ(p["ok"], true) << p;
  const std::string detail = p["detail"];
  EXPECT_NE(detail.find("zone " + sim_.base_url() + "/ATServicesRest/"), std::string::npos) << p;
  EXPECT_NE(detail.find("of 10000 requests used this hour"), std::string::npos) << p;
}

TEST_F(AutotaskCheckTest, EachAccountProblemIsNamedInPlainWords) {
  AutotaskKeys wrong_secret;
  wrong_secret.secret = "not-the-secret-4242";
  nlohmann::json p = check_at(wrong_secret);
  EXPECT_EQ(p["http_status"], 401);
  EXPECT_NE(p["diagnosis"].get<std::string>().find("refused the user name or secret"),
            std::string::npos) << p;

  AutotaskKeys wrong_code;
  wrong_code.code = "WRONGCODE4242";
  p = check_at(wrong_code);
  EXPECT_EQ(p["http_status"], 500);
  EXPECT_NE(p["diagnosis"].get<std::string>().find("refused the integration code"),
            std::string::npos) << p;

  AutotaskKeys unknown_user;
  unknown_user.username = "nobody@example.com";
  int code = -1;
  p = check_at(unknown_user, &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(p["diagnosis"].get<std::string>().find("zone lookup does not know psa.username"),
            std::string::npos) << p;

  AutotaskKeys inactive_note_type;
  inactive_note_type.internal_note_type = 13;
  p = check_at(inactive_note_type);
  EXPECT_EQ(p["ok"], false);
  EXPECT_NE(p["detail"].get<std::string>().find("psa.note_types.internal.note_type 13 is not an "
                                                "active TicketNotes noteType; valid: 1 "),
            std::string::npos) << p;
}

}  // namespace
}  // namespace cwsync::test
