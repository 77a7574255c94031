// What an upstream tells one connection that stays true longer than a pull
// job: the PSA codebase, the Autotask zone, the Autotask picklist labels and
// the last read of the database's request count. The daemon builds each pull
// job's clients afresh over one UpstreamRegistry; these tests do the same
// (new_job_clients before each pass) against cwsim over 127.0.0.1, on a
// ManualClock, and count the requests of each pass.
#include <gtest/gtest.h>

#include "sync/autotask/at_endpoint.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;

class ConnectionStateTest : public PullTest {
 protected:
  void SetUp() override {
    clock_ = &manual_;
    PullTest::SetUp();
    tenant_.tickets.enabled = true;
    rebuild_clients();
  }
  void use_autotask() {
    tenant_.cpq.reset();
    tenant_.psa = sim_autotask(*sim_, sim_->options());
    rebuild_clients();
  }
  // One pull job: new clients, the same registry; the pass must succeed.
  void job(PassEntity e) {
    new_job_clients();
    clear_requests();
    auto r = pass(e);
    ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  }
  std::size_t sent() { return requests().size(); }
  std::size_t sent_to(const std::string& part) { return requests_to(part).size(); }

  ManualClock manual_{SystemClock::instance().now()};
};

TEST_F(ConnectionStateTest, AnIdleConnectWisePullIsOneRequestAndTheCodebaseIsAskedHourly) {
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent_to("/login/companyinfo/"), 1u);
  for (int i = 0; i < 3; ++i) {
    manual_.advance(5min);
    job(PassEntity::kOpportunities);
    EXPECT_EQ(sent(), 1u) << "idle pull " << i << ": " << requests().dump();
  }
  job(PassEntity::kTickets);
  EXPECT_EQ(sent_to("/service/tickets"), 1u) << requests().dump();
  EXPECT_EQ(sent_to("/login/companyinfo/"), 0u) << "one codebase for every entity";

  manual_.advance(kLocationRefresh);
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent_to("/login/companyinfo/"), 1u) << "asked again after an hour";
  EXPECT_EQ(sent(), 2u);
}

TEST_F(ConnectionStateTest, AnIdleAutotaskPullIsOneRequestBetweenItsHourlyAndQuarterHourlyReads) {
  use_autotask();
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent_to("ZoneInformation"), 1u);
  EXPECT_EQ(sent_to("Opportunities/entityInformation/fields"), 1u);
  EXPECT_EQ(sent_to("ThresholdInformation"), 1u);
  ASSERT_TRUE(cache().get_usage("acme").ok() && cache().get_usage("acme")->has_value());

  manual_.advance(5min);
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent(), 1u) << "only the query: " << requests().dump();
  EXPECT_EQ(sent_to("Opportunities/query"), 1u);

  // The ticket pull of the same API user finds the zone; its own picklists
  // are other fields of another entity.
  job(PassEntity::kTickets);
  EXPECT_EQ(sent_to("ZoneInformation"), 0u);
  EXPECT_EQ(sent_to("Tickets/entityInformation/fields"), 1u);
  manual_.advance(1min);
  job(PassEntity::kTickets);
  EXPECT_EQ(sent_to("entityInformation"), 0u);

  // The request count is read again a quarter of an hour after the last read.
  manual_.advance(10min);
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent_to("ThresholdInformation"), 1u) << requests().dump();
  EXPECT_EQ(sent(), 2u);

  // An hour after the first pull: the zone and the picklists again.
  manual_.advance(kLocationRefresh - 16min + 1s);
  job(PassEntity::kOpportunities);
  EXPECT_EQ(sent_to("ZoneInformation"), 1u);
  EXPECT_EQ(sent_to("Opportunities/entityInformation/fields"), 1u);
  EXPECT_EQ(sent_to("ThresholdInformation"), 1u);
  EXPECT_EQ(sent(), 4u) << requests().dump();
}

}  // namespace
}  // namespace cwsync::test
