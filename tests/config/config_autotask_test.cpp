// `psa: provider: autotask`: the keys, their defaults, every validation
// problem with its line, and the masked summary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace cwsync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The least an Autotask tenant needs.
constexpr const char* kMinimal = R"(
tenants:
  - name: contoso
    psa:
      provider: autotask
      username: api-user@contoso.example
      secret_env: CONTOSO_AT_SECRET
      integration_code: ABCDEF123456
)";

class ConfigAutotaskTest : public testing_util::ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    vars_["CONTOSO_AT_SECRET"] = "at-secret-value";
  }
};

TEST_F(ConfigAutotaskTest, FullSectionLoadsWithItsValues) {
  write("contoso-at", "at-secret-value\n");
  const Config c = load_ok(write("cwsync.yaml", R"(
tenants:
  - name: contoso
    psa:
      provider: autotask
      username: api-user@contoso.example
      secret_file: contoso-at
      integration_code: ABCDEF123456
      zone_url: https://webservices5.autotask.net/ATServicesRest
      impersonation_resource_id: 29682885
      time_entry_role: 29683
      note_types:
        internal: { note_type: 3, publish: 2 }
        resolution: { note_type: 1, publish: 1 }
      opportunity_statuses: { won: [3], lost: [2] }
      budget: contoso_db
)"));
  ASSERT_EQ(c.tenants.size(), 1u);
  const PsaConnection& p = *c.tenants[0].psa;
  EXPECT_EQ(p.provider, PsaProviderKind::kAutotask);
  ASSERT_TRUE(p.autotask.has_value());
  const AutotaskSettings& a = *p.autotask;
  EXPECT_EQ(a.username, "api-user@contoso.example");
  EXPECT_EQ(p.private_key.reveal(), "at-secret-value");
  EXPECT_EQ(a.integration_code, "ABCDEF123456");
  EXPECT_EQ(a.zone_url, "https://webservices5.autotask.net/ATServicesRest/");
  EXPECT_EQ(a.impersonation_resource_id, 29682885);
  EXPECT_EQ(a.time_entry_role, 29683);
  EXPECT_EQ(a.internal.note_type, 3);
  EXPECT_EQ(a.internal.publish, 2);
  EXPECT_EQ(a.resolution.publish, 1);
  EXPECT_EQ(a.won_statuses, std::vector<int>{3});
  EXPECT_EQ(a.lost_statuses, std::vector<int>{2});
  EXPECT_EQ(p.budget, "contoso_db");
  EXPECT_EQ(c.tenants[0].opportunities, OpportunitySource::kPsa);
}

TEST_F(ConfigAutotaskTest, DefaultsAreTheHourlyBudgetTheDefaultRoleAndTheZoneLookup) {
  const Config c = load_ok(write("cwsync.yaml", kMinimal));
  const PsaConnection& p = *c.tenants[0].psa;
  EXPECT_EQ(p.rate_limit.requests, 10000);
  EXPECT_EQ(p.rate_limit.per, std::chrono::hours(1));
  EXPECT_FALSE(p.autotask->zone_url.has_value());
  EXPECT_EQ(p.autotask->zone_lookup_url, "https://webservices.autotask.net/ATServicesRest/");
  EXPECT_FALSE(p.autotask->time_entry_role.has_value());
  EXPECT_EQ(p.autotask->won_statuses, (std::vector<int>{3, 4}));
  EXPECT_EQ(p.private_key_source, "env CONTOSO_AT_SECRET");
}

TEST_F(ConfigAutotaskTest, TheTicketCacheMayBeEnabled) {
  const Config c = load_ok(write(
      "cwsync.yaml", std::string(kMinimal) + "    tickets: { enabled: true, closed_for_days: 30 }\n"));
  EXPECT_TRUE(c.tenants[0].tickets.enabled);
  EXPECT_EQ(c.tenants[0].tickets.closed_for_days, 30);
}

TEST_F(ConfigAutotaskTest, EveryProblemHasItsLineAndAFix) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: contoso
    psa:
      provider: autotask
      secret: inline-secret
      secret_env: CONTOSO_AT_SECRET
      zone_url: http://zone.example.com/ATServicesRest/
      time_entry_role: technician
      impersonation_resource_id: -4
      opportunity_statuses: { won: [three] }
      site: https://api-na.myconnectwise.net
)"));
  const std::string all = e.to_string();
  EXPECT_THAT(all, HasSubstr(":3: tenants[0].psa.username: missing; expected the API user"));
  EXPECT_THAT(all, HasSubstr(":3: tenants[0].psa.integration_code: missing; expected the API "
                             "tracking identifier"));
  EXPECT_THAT(all, HasSubstr(":6: tenants[0].psa.secret_env: conflicts with another source of secret"));
  EXPECT_THAT(all, HasSubstr(":7: tenants[0].psa.zone_url:"));
  EXPECT_THAT(all, HasSubstr(":8: tenants[0].psa.time_entry_role: 'technician' is not a role; "
                             "expected default or a role id"));
  EXPECT_THAT(all, HasSubstr(":9: tenants[0].psa.impersonation_resource_id: '-4' is not a "
                             "positive whole number"));
  EXPECT_THAT(all, HasSubstr(":10: tenants[0].psa.opportunity_statuses.won: 'three' is not a "
                             "picklist value"));
  EXPECT_THAT(all, HasSubstr(":11: tenants[0].psa.site: unknown key"));
  EXPECT_THAT(all, Not(HasSubstr("inline-secret")));
}

TEST_F(ConfigAutotaskTest, UnknownProviderIsNamed) {
  const ConfigError e = load_error(write("cwsync.yaml", R"(
tenants:
  - name: contoso
    psa:
      provider: halo
      username: x
)"));
  EXPECT_THAT(e.to_string(), HasSubstr(":4: tenants[0].psa.provider: 'halo' is not a PSA "
                                       "provider; expected connectwise or autotask"));
  EXPECT_EQ(e.problems.size(), 1u) << e.to_string();
}

TEST_F(ConfigAutotaskTest, SummaryMasksTheSecretAndTheIntegrationCode) {
  const Config c = load_ok(write("cwsync.yaml", kMinimal));
  const std::string text = describe_config(c);
  EXPECT_THAT(text, HasSubstr("provider=autotask"));
  EXPECT_THAT(text, HasSubstr("api-user@contoso.example"));
  EXPECT_THAT(text, Not(HasSubstr("at-secret-value")));
  EXPECT_THAT(text, Not(HasSubstr("ABCDEF123456")));
  EXPECT_THAT(text, HasSubstr("10000 per 1h"));
}

}  // namespace
}  // namespace cwsync
