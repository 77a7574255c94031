#include "sync/connectwise/psa_codebase.h"

#include <gtest/gtest.h>

#include "loopback_fixture.h"
#include "sync/http/http_poco.h"
#include "sync/connectwise/psa_auth.h"

namespace cwsync {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::Exchange;

const TimePoint kCodebaseStart = TimePoint(seconds(1'800'000'000));

TEST(PsaApiHostTest, CloudLoginHostsMapToApiHosts) {
  EXPECT_EQ(psa_api_host("na.myconnectwise.net"), "api-na.myconnectwise.net");
  EXPECT_EQ(psa_api_host("EU.MyConnectWise.net"), "api-eu.myconnectwise.net");
  EXPECT_EQ(psa_api_host("au.myconnectwise.net"), "api-au.myconnectwise.net");
  EXPECT_EQ(psa_api_host("staging.connectwisedev.com"), "api-staging.connectwisedev.com");
  EXPECT_EQ(psa_api_host("api-na.myconnectwise.net"), "api-na.myconnectwise.net");
  EXPECT_EQ(psa_api_host("cw.msp.example.com"), "cw.msp.example.com");  // on-premise
  EXPECT_EQ(psa_api_host("myconnectwise.net"), "myconnectwise.net");
  EXPECT_EQ(psa_api_host("127.0.0.1"), "127.0.0.1");
}

TEST(PsaApiHostTest, Origin) {
  EXPECT_EQ(psa_api_origin("https://na.myconnectwise.net"), "https://api-na.myconnectwise.net");
  EXPECT_EQ(psa_api_origin("https://na.myconnectwise.net/"), "https://api-na.myconnectwise.net");
  EXPECT_EQ(psa_api_origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(psa_api_origin("not a url"), "");
}

TEST(CompanyInfoTest, ParsesAndNormalisesTheCodebase) {
  auto r = parse_companyinfo(R"({"CompanyName":"Acme","Codebase":"v2025_1/","IsCloud":true})", "u");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "v2025_1/");
  EXPECT_EQ(*parse_companyinfo(R"({"Codebase":"v4_6_release"})", "u"), "v4_6_release/");
}

TEST(CompanyInfoTest, NullMeansUnknownCompany) {
  auto r = parse_companyinfo("null", "u");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
}

TEST(CompanyInfoTest, UnusableBodiesAreMalformed) {
  for (const char* body : {"<html>", "{}", R"({"Codebase":5})", R"({"Codebase":""})",
                           R"({"Codebase":"../admin/"})", R"({"Codebase":"a/b/"})",
                           R"({"Codebase":"https://evil/"})", "[]"}) {
    auto r = parse_companyinfo(body, "u");
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kMalformed) << body;
  }
}

// A PSA site on loopback: companyinfo answers with `codebases` in turn
// (repeating the last), and only paths under `live` succeed.
class PsaEndpointTest : public testing::LoopbackTest {
 protected:
  PsaEndpointTest()
      : clock_(kCodebaseStart),
        waiter_(clock_),
        http_(make_poco_http_client()),
        host_(std::make_shared<UpstreamHost>("loopback", RateLimit{1000, seconds(1)},
                                             BreakerPolicy{})) {
    conn_.site = server().url("");
    conn_.company_id = "acme";
    conn_.public_key = "pub";
    conn_.private_key = Secret("priv");
    conn_.client_id = "00000000-0000-0000-0000-000000000001";
  }

  std::unique_ptr<ApiClient> client() {
    return std::make_unique<ApiClient>(
        ApiClientOptions{"psa", "acme", {}, {}, {}, false, {}},
        ApiClient::Deps{*http_, std::make_shared<PsaAuth>(conn_), host_, waiter_, clock_,
                        seeded_random(1)});
  }

  struct Site {
    std::mutex mu;
    std::vector<std::string> codebases;  // companyinfo answers, in turn
    std::string live;                    // the codebase that serves the API
    int lookups = 0;
  };

  std::shared_ptr<Site> serve_site(std::vector<std::string> codebases, std::string live) {
    auto site = std::make_shared<Site>();
    site->codebases = std::move(codebases);
    site->live = std::move(live);
    serve([site](Exchange& x) {
      std::lock_guard lock(site->mu);
      const std::string& uri = x.request().uri;
      if (uri.rfind("/login/companyinfo/", 0) == 0) {
        const size_t i = std::min<size_t>(site->lookups++, site->codebases.size() - 1);
        const std::string& cb = site->codebases[i];
        if (cb == "500") return x.reply(500, "");
        x.reply(200, cb == "null" ? "null" : R"({"CompanyName":"Acme","Codebase":")" + cb + "\"}");
        return;
      }
      if (uri.rfind("/" + site->live + "apis/3.0/", 0) == 0) return x.reply(200, R"([{"id":1}])");
      x.reply(404, R"({"code":"NotFound","message":"Not found"})");
    });
    return site;
  }

  ManualClock clock_;
  ManualWaiter waiter_;
  std::unique_ptr<HttpClient> http_;
  std::shared_ptr<UpstreamHost> host_;
  PsaConnection conn_;
};

TEST_F(PsaEndpointTest, LooksUpTheCodebaseOnceWithoutAuth) {
  serve_site({"v2025_1/"}, "v2025_1/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  auto base = psa.base_url();
  ASSERT_TRUE(base) << base.error().describe();
  EXPECT_EQ(*base, server().url("/v2025_1/apis/3.0/"));
  ASSERT_TRUE(psa.execute(get_request("service/tickets/5")));
  ASSERT_TRUE(psa.execute(get_request("/service/tickets/6")));

  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 3u);  // one lookup, two calls
  EXPECT_EQ(seen[0].uri, "/login/companyinfo/acme");
  EXPECT_EQ(seen[0].header("Authorization"), "");
  EXPECT_EQ(seen[0].header("clientId"), "");
  EXPECT_EQ(seen[1].uri, "/v2025_1/apis/3.0/service/tickets/5");
  EXPECT_NE(seen[1].header("Authorization"), "");
  EXPECT_EQ(seen[1].header("clientId"), "00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(seen[1].header("Accept"), "application/vnd.connectwise.com+json; version=2022.1");
}

TEST_F(PsaEndpointTest, UnknownCompanyIsNotFoundInPlainWords) {
  serve_site({"null"}, "v2025_1/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  auto r = psa.execute(get_request("service/tickets/5"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("unknown company id 'acme'"), std::string::npos);
  EXPECT_EQ(server().request_count(), 1u);
}

TEST_F(PsaEndpointTest, UnavailableLookupFallsBackToV46Release) {
  serve_site({"500"}, "v4_6_release/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  auto r = psa.execute(get_request("system/info"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(psa.codebase(), "v4_6_release/");
}

TEST_F(PsaEndpointTest, PinnedCodebaseSkipsTheLookup) {
  serve_site({"v2099_9/"}, "v2024_2/");
  conn_.codebase = "v2024_2";
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  ASSERT_TRUE(psa.execute(get_request("service/tickets/1")));
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].uri, "/v2024_2/apis/3.0/service/tickets/1");
}

TEST_F(PsaEndpointTest, NotFoundAfterAnUpgradeRelooksAndRetriesOnce) {
  auto site = serve_site({"v2025_1/", "v2025_2/"}, "v2025_2/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  auto r = psa.execute(get_request("service/tickets/5"));
  ASSERT_TRUE(r) << r.error().describe();
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].uri, "/v2025_1/apis/3.0/service/tickets/5");
  EXPECT_EQ(seen[2].uri, "/login/companyinfo/acme");
  EXPECT_EQ(seen[3].uri, "/v2025_2/apis/3.0/service/tickets/5");
  EXPECT_EQ(psa.codebase(), "v2025_2/");
}

TEST_F(PsaEndpointTest, RealNotFoundIsNotRetriedAndRelookupIsRateLimited) {
  auto site = serve_site({"v2025_1/"}, "nothing-is-live/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  auto r = psa.execute(get_request("service/tickets/404"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(server().request_count(), 3u);  // lookup, 404, lookup (same codebase: no retry)

  auto again = psa.execute(get_request("service/tickets/405"));
  ASSERT_FALSE(again);
  EXPECT_EQ(server().request_count(), 4u);  // no second lookup within a minute

  clock_.advance(seconds(61));
  ASSERT_FALSE(psa.execute(get_request("service/tickets/406")));
  EXPECT_EQ(server().request_count(), 6u);  // 404 + lookup
}

TEST_F(PsaEndpointTest, PagingAlsoRetriesOnceAfterACodebaseChange) {
  serve_site({"v2025_1/", "v2025_2/"}, "v2025_2/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  int pages = 0;
  auto r = psa.for_each_page(get_request("sales/opportunities?pageSize=10"),
                             [&](const Page& p) -> Result<PageVerdict> {
                               ++pages;
                               auto items = parse_page_items(p);
                               if (!items) return items.error();
                               return PageVerdict{items->size(), false};
                             });
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(server().requests().back().uri, "/v2025_2/apis/3.0/sales/opportunities?pageSize=10");
}

// Pull jobs build their clients afresh; the codebase they looked up lives in
// the registry's PsaCodebaseState, so a second endpoint of the connection
// asks nothing until kLocationRefresh has passed.
TEST_F(PsaEndpointTest, EndpointsSharingStateLookUpOnceAnHour) {
  serve_site({"v2025_1/"}, "v2025_1/");
  UpstreamRegistry registry;
  auto state = [&] { return registry.connection_state<PsaCodebaseState>(psa_codebase_key(conn_)); };
  auto api = client();
  {
    PsaEndpoint first(conn_, *api, state());
    ASSERT_TRUE(first.execute(get_request("service/tickets/1")));
  }
  EXPECT_EQ(server().request_count(), 2u);  // lookup + call
  PsaEndpoint second(conn_, *api, state());
  EXPECT_EQ(second.codebase(), "v2025_1/") << "known before its first call";
  ASSERT_TRUE(second.execute(get_request("service/tickets/2")));
  EXPECT_EQ(server().request_count(), 3u);

  // Another connection (another company on the site) has its own state.
  PsaConnection other = conn_;
  other.company_id = "globex";
  PsaEndpoint third(other, *api,
                    registry.connection_state<PsaCodebaseState>(psa_codebase_key(other)));
  EXPECT_EQ(third.codebase(), std::nullopt);
  EXPECT_EQ(psa_codebase_key(conn_), psa_codebase_key([&] {
              PsaConnection c = conn_;
              c.company_id = "ACME";
              c.site += "/";
              return c;
            }()))
      << "the same connection however the config spells it";

  clock_.advance(kLocationRefresh - minutes(1));
  PsaEndpoint fourth(conn_, *api, state());
  ASSERT_TRUE(fourth.execute(get_request("service/tickets/3")));
  EXPECT_EQ(server().request_count(), 4u);
  clock_.advance(minutes(2));
  ASSERT_TRUE(fourth.execute(get_request("service/tickets/4")));
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[4].uri, "/login/companyinfo/acme") << "looked up again after an hour";
}

// The fallback guess is only kept until the lookup may work again (a
// minute), not for the whole hour, and a failed hourly refresh keeps the
// codebase that works.
TEST_F(PsaEndpointTest, FallbackIsReplacedOnceTheLookupWorksAndAFailedRefreshKeepsTheCodebase) {
  serve_site({"500", "500", "v4_6_release/", "500"}, "v4_6_release/");
  auto api = client();
  PsaEndpoint psa(conn_, *api);
  ASSERT_TRUE(psa.execute(get_request("service/tickets/1")));
  EXPECT_EQ(server().request_count(), 3u);  // two failed lookups, the call on the guess
  ASSERT_TRUE(psa.execute(get_request("service/tickets/2")));
  EXPECT_EQ(server().request_count(), 4u) << "no lookup within a minute of the last";

  clock_.advance(seconds(61));
  ASSERT_TRUE(psa.execute(get_request("service/tickets/3")));
  EXPECT_EQ(server().request_count(), 6u);  // the lookup answers now, and the call
  clock_.advance(seconds(61));
  ASSERT_TRUE(psa.execute(get_request("service/tickets/4")));
  EXPECT_EQ(server().request_count(), 7u) << "a looked-up codebase serves for an hour";

  clock_.advance(kLocationRefresh);
  auto r = psa.execute(get_request("service/tickets/5"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(server().request_count(), 10u);  // two failed lookups, the call
  EXPECT_EQ(server().requests().back().uri, "/v4_6_release/apis/3.0/service/tickets/5");
  ASSERT_TRUE(psa.execute(get_request("service/tickets/6")));
  EXPECT_EQ(server().request_count(), 11u) << "the failed refresh is not retried at once";
}

}  // namespace
}  // namespace cwsync
