// Runs the cwsim executable through tests/support, as other suites do.
#include "cwsim_process.h"
#include "http_client.h"
#include "sim_control.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace {

using cwsync::test::basic_auth;
using cwsync::test::CwsimProcess;
using cwsync::test::http_request;
using cwsync::test::SimControl;
using nlohmann::json;

std::map<std::string, std::string> cpq_auth() { return {{"Authorization", basic_auth("cwsim+cwsim-public", "cwsim-private")}}; }

TEST(CwsimProcessTest, PrintsPortServesAndStopsCleanly) {
  CwsimProcess sim({"--quotes", "30", "--seed", "3"});
  ASSERT_GT(sim.port(), 0);
  SimControl ctl(sim.port());
  EXPECT_EQ(ctl.get("/_sim/health")["ok"], true);
  EXPECT_EQ(ctl.config()["quotes"], 30);
  auto r = http_request(sim.port(), "GET", "/api/quotes?pageSize=50", cpq_auth());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).size(), 30u);
  ASSERT_EQ(ctl.requests().size(), 1u);
  EXPECT_EQ(ctl.requests()[0]["path"], "/api/quotes");
  int id = ctl.add_fault({{"status", 503}, {"retry_after", 2}});
  EXPECT_GT(id, 0);
  EXPECT_EQ(http_request(sim.port(), "GET", "/api/quotes", cpq_auth()).status, 503);
  EXPECT_EQ(ctl.faults()[0]["fired"], 1);
  ctl.reset();
  EXPECT_EQ(ctl.requests().size(), 0u);
  EXPECT_EQ(sim.stop(), 0);  // SIGTERM is a clean exit
}

TEST(CwsimProcessTest, SameSeedSameBytesAcrossProcesses) {
  std::vector<std::string> args = {"--quotes", "80", "--seed", "9", "--now", "2026-10-01T00:00:00Z"};
  CwsimProcess a(args), b(args);
  auto ra = http_request(a.port(), "GET", "/api/quotes?pageSize=80", cpq_auth());
  auto rb = http_request(b.port(), "GET", "/api/quotes?pageSize=80", cpq_auth());
  ASSERT_EQ(ra.status, 200);
  EXPECT_EQ(ra.body, rb.body);
}

TEST(CwsimProcessTest, HelpPrintsDefaults) {
  std::string cmd = CwsimProcess::binary_path() + " --help";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0);
  for (const char* flag : {"--port", "--seed", "--quotes", "--opportunities", "--tickets", "--access-key",
                           "--public-key", "--private-key", "--company", "--client-id", "--codebase",
                           "--at-username", "--at-secret", "--at-integration-code", "--at-hourly-limit",
                           "--at-concurrency", "--at-threshold-delay-ms"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(out.find("v2025_1/"), std::string::npos);
  EXPECT_NE(out.find("CWSIMINTEGRATIONCODE"), std::string::npos);
}

TEST(CwsimProcessTest, AutotaskFlagsSetCredentialsAndTheHourlyLimit) {
  CwsimProcess sim({"--at-username", "api@tenant.example", "--at-secret", "s3cret", "--at-integration-code", "CODE",
                    "--autotask-hourly-limit", "2", "--at-threshold-delay-ms", "0"});
  EXPECT_EQ(http_request(sim.port(), "GET", "/ATServicesRest/V1.0/ZoneInformation?user=api%40tenant.example").status,
            200);
  std::map<std::string, std::string> h = {{"ApiIntegrationCode", "CODE"}, {"UserName", "api@tenant.example"},
                                          {"Secret", "s3cret"}};
  auto info = http_request(sim.port(), "GET", "/ATServicesRest/V1.0/ThresholdInformation", h);
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(json::parse(info.body)["externalRequestThreshold"], 2);
  EXPECT_EQ(http_request(sim.port(), "GET", "/ATServicesRest/V1.0/Tickets/1001", h).status, 200);
  EXPECT_EQ(http_request(sim.port(), "GET", "/ATServicesRest/V1.0/Tickets/1001", h).status, 429);
}

TEST(CwsimProcessTest, BadFlagsFailFast) {
  EXPECT_THROW(CwsimProcess({"--codebase", "nocodebaseslash"}, std::chrono::seconds(5)), std::runtime_error);
  EXPECT_THROW(CwsimProcess({"--at-concurrency", "0"}, std::chrono::seconds(5)), std::runtime_error);
}

}  // namespace
