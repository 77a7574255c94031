#include "sync/http/auth.h"

#include <memory>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "base/log.h"
#include "loopback_fixture.h"
#include "sync/http/api_client.h"
#include "sync/http/http_poco.h"
#include "sync/cpq/cpq_auth.h"
#include "sync/connectwise/psa_auth.h"

namespace cwsync {
namespace {

using testing::Exchange;
using testing::LoopbackServer;

CpqConnection cpq_conn() {
  CpqConnection c;
  c.access_key = "acme";
  c.public_key = "8f7a6b5c4d3e2f1a";
  c.private_key = Secret("s3cr3t-priv-key-0123");
  return c;
}

PsaConnection psa_conn() {
  PsaConnection c;
  c.site = "https://api-na.myconnectwise.net";
  c.company_id = "acme";
  c.public_key = "abc";
  // Longer than Poco's default 72-column base64 line, which must not wrap.
  c.private_key = Secret("psa-private-key-with-a-rather-long-value-0123456789abcdef");
  c.client_id = "00000000-1111-2222-3333-444444444444";
  c.api_version = "2022.1";
  return c;
}

TEST(AuthTest, CpqBasicAuthFromAccessKeyPublicAndPrivateKey) {
  HttpHeaders h;
  CpqAuth(cpq_conn()).apply(h);
  EXPECT_EQ(h.get("Authorization"), "Basic YWNtZSs4ZjdhNmI1YzRkM2UyZjFhOnMzY3IzdC1wcml2LWtleS0wMTIz");
  EXPECT_FALSE(h.contains("clientId"));  // CPQ has none
  EXPECT_EQ(h.fields().size(), 1u);
}

TEST(AuthTest, PsaBasicAuthClientIdAndVersionedAccept) {
  HttpHeaders h;
  h.set("Accept", "application/json");
  h.set("authorization", "stale");
  PsaAuth(psa_conn()).apply(h);
  EXPECT_EQ(h.get("Authorization"),
            "Basic YWNtZSthYmM6cHNhLXByaXZhdGUta2V5LXdpdGgtYS1yYXRoZXItbG9uZy12YWx1ZS0wMTIzNDU2Nzg5"
            "YWJjZGVm");
  EXPECT_EQ(h.get("clientId"), "00000000-1111-2222-3333-444444444444");
  EXPECT_EQ(h.get("Accept"), "application/vnd.connectwise.com+json; version=2022.1");
  EXPECT_EQ(h.fields().size(), 3u);  // replaced, not duplicated
}

TEST(AuthTest, BasicAuthorizationIsASecret) {
  Secret s = basic_authorization("user", Secret("pw"));
  EXPECT_EQ(s.reveal(), "Basic dXNlcjpwdw==");
  EXPECT_EQ(s.masked().find("dXNl"), std::string::npos);
}

// End to end: a rejected request's error text and every log line (at debug)
// must not contain the private key or the encoded header.
TEST(AuthTest, AccountProblemsAreSaidInEachUpstreamsWords) {
  auto err = [](ErrorKind kind, int status) {
    Error e = make_error(kind, "refused", "GET /x");
    e.http_status = status;
    return e;
  };
  EXPECT_NE(diagnose_cpq(err(ErrorKind::kAuth, 401)).find("CPQ public/private API keys"), std::string::npos);
  EXPECT_NE(diagnose_cpq(err(ErrorKind::kAuth, 403)).find("no API licence"), std::string::npos);
  EXPECT_NE(diagnose_cpq(err(ErrorKind::kNotFound, 404)).find("access key"), std::string::npos);
  EXPECT_NE(diagnose_connectwise(err(ErrorKind::kAuth, 401)).find("company id"), std::string::npos);
  EXPECT_NE(diagnose_connectwise(err(ErrorKind::kAuth, 403)).find("security role"), std::string::npos);
  EXPECT_NE(diagnose_connectwise(err(ErrorKind::kNotFound, 404)).find("site is wrong"), std::string::npos);
  // Not an account problem: no words, so the caller keeps its own.
  EXPECT_EQ(diagnose_cpq(err(ErrorKind::kRetryable, 503)), "");
  EXPECT_EQ(diagnose_connectwise(err(ErrorKind::kTimeout, 0)), "");
}

TEST(AuthTest, FailedRequestLeaksNoCredentialIntoErrorsOrLogs) {
  std::ostringstream logs;
  log::init(log::Format::kJson, log::Level::kTrace,
            std::make_shared<spdlog::sinks::ostream_sink_mt>(logs));

  LoopbackServer server([](Exchange& x) {
    x.reply(401, R"({"code":"Unauthorized","message":"Invalid credentials"})");
  });
  auto http = make_poco_http_client();
  ManualClock clock(TimePoint(std::chrono::seconds(1'800'000'000)));
  ManualWaiter waiter(clock);
  auto host = std::make_shared<UpstreamHost>("loopback", RateLimit{25, std::chrono::seconds(5)},
                                             BreakerPolicy{});
  CpqConnection conn = cpq_conn();
  ApiClient api(ApiClientOptions{"cpq", "acme", {}, {}, {}, false, {}},
                {*http, std::make_shared<CpqAuth>(conn), host, waiter, clock, seeded_random(1)});
  auto r = api.execute(get_request(server.url("/api/quotes?page=1")));
  log::flush();
  log::init(log::Format::kJson, log::Level::kInfo);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kAuth);
  // The request did carry the credential...
  ASSERT_EQ(server.request_count(), 1u);
  const std::string sent = server.requests()[0].header("Authorization");
  EXPECT_EQ(sent, "Basic YWNtZSs4ZjdhNmI1YzRkM2UyZjFhOnMzY3IzdC1wcml2LWtleS0wMTIz");
  // ...and nothing we print does.
  const std::string text = r.error().describe() + "\n" + logs.str();
  EXPECT_NE(logs.str().find("http_request"), std::string::npos);  // logging did happen
  for (const std::string& needle :
       {std::string("s3cr3t-priv-key-0123"), std::string("YWNtZSs4ZjdhNmI1YzRkM2UyZjFh"),
        std::string("OnMzY3IzdC1wcml2LWtleS0wMTIz")}) {
    EXPECT_EQ(text.find(needle), std::string::npos) << needle;
  }
}

}  // namespace
}  // namespace cwsync
