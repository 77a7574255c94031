// Paging helpers against a loopback server that pages like CPQ (bare arrays)
// and like PSA (Link: rel="next").
#include "sync/http/api_pager.h"

#include <Poco/URI.h>
#include <gtest/gtest.h>

#include "loopback_fixture.h"
#include "sync/http/http_poco.h"

namespace cwsync {
namespace {

using std::chrono::seconds;
using testing::Exchange;

const TimePoint kPagerStart = TimePoint(seconds(1'800'000'000));

std::string query_param(const std::string& uri, const std::string& name) {
  for (const auto& [k, v] : Poco::URI(uri).getQueryParameters()) {
    if (k == name) return v;
  }
  return {};
}

// CPQ-like list: items 1..total as a bare array page (or wrapped in "data").
void serve_numbered(Exchange& x, int total, bool envelope = false) {
  const int page = std::stoi(query_param(x.request().uri, "page"));
  const int size = std::stoi(query_param(x.request().uri, "pageSize"));
  nlohmann::json items = nlohmann::json::array();
  for (int id = (page - 1) * size + 1; id <= std::min(total, page * size); ++id) {
    items.push_back({{"id", id}});
  }
  x.reply(200, envelope ? nlohmann::json{{"data", items}}.dump() : items.dump());
}

class PagerTest : public testing::LoopbackTest {
 protected:
  PagerTest()
      : clock_(kPagerStart),
        waiter_(clock_),
        http_(make_poco_http_client()),
        host_(std::make_shared<UpstreamHost>("loopback", RateLimit{1000, seconds(1)},
                                             BreakerPolicy{})),
        api_(ApiClientOptions{"cpq", "acme", {}, {}, {}, false, {}},
             ApiClient::Deps{*http_, nullptr, host_, waiter_, clock_, seeded_random(1)}) {}

  // A handler that collects item ids.
  PageHandler collect(std::vector<int>& ids, int stop_after_pages = 0) {
    return [&ids, stop_after_pages](const Page& page) -> Result<PageVerdict> {
      auto items = parse_page_items(page);
      if (!items) return items.error();
      for (const auto& item : *items) ids.push_back(item["id"].get<int>());
      PageVerdict v;
      v.items = items->size();
      v.stop = stop_after_pages > 0 && page.number >= stop_after_pages;
      return v;
    };
  }

  ManualClock clock_;
  ManualWaiter waiter_;
  std::unique_ptr<HttpClient> http_;
  std::shared_ptr<UpstreamHost> host_;
  ApiClient api_;
};

TEST_F(PagerTest, NumberedPagesStopAtTheFirstShortPage) {
  serve([](Exchange& x) { serve_numbered(x, 7); });
  std::vector<int> ids;
  auto r = for_each_numbered_page(
      api_, server().url("/api/quotes?conditions=isLost%20%3D%20False"), 3, collect(ids));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r->pages, 3);
  EXPECT_EQ(r->items, 7u);
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 3u);  // no request past the short page
  EXPECT_EQ(query_param(seen[2].uri, "page"), "3");
  EXPECT_EQ(query_param(seen[2].uri, "pageSize"), "3");
  EXPECT_EQ(query_param(seen[2].uri, "conditions"), "isLost = False");
}

TEST_F(PagerTest, EarlyFetchOfTheNextPageKeepsPagesRequestsAndAttemptCounts) {
  serve([](Exchange& x) { serve_numbered(x, 7); });
  std::vector<int> ids;
  int attempts = 0;
  CallOptions options;
  options.on_attempt = [&attempts](const AttemptInfo&) { ++attempts; };  // paging thread only
  const PageHandler inner = collect(ids);
  auto r = for_each_numbered_page(
      api_, server().url("/api/quotes"), 3,
      [&](const Page& page) -> Result<PageVerdict> {
        EXPECT_TRUE(static_cast<bool>(page.fetch_next_early));
        auto items = parse_page_items(page);
        if (items && items->size() == 3) {
          page.fetch_next_early();
          page.fetch_next_early();  // idempotent
        }
        return inner(page);
      },
      options);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r->pages, 3);
  EXPECT_EQ(server().request_count(), 3u);  // the same requests as plain paging
  EXPECT_EQ(attempts, 3);
}

TEST_F(PagerTest, AnEarlyFetchThatIsNotNeededIsWaitedForAndCounted) {
  serve([](Exchange& x) { serve_numbered(x, 100); });
  std::vector<int> ids;
  int attempts = 0;
  CallOptions options;
  options.on_attempt = [&attempts](const AttemptInfo&) { ++attempts; };
  const PageHandler inner = collect(ids, /*stop_after_pages=*/1);
  auto r = for_each_numbered_page(
      api_, server().url("/q"), 10,
      [&](const Page& page) -> Result<PageVerdict> {
        page.fetch_next_early();
        return inner(page);
      },
      options);
  ASSERT_TRUE(r);
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_EQ(server().request_count(), 2u);
  EXPECT_EQ(attempts, 2);
}

// A handler done with a page's bytes frees them before its slow work (the
// pull engine, before a page's item requests); paging, early fetches and the
// repeated-page check are unaffected.
TEST_F(PagerTest, AHandlerMayReleaseTheBodyOfANumberedPage) {
  serve([](Exchange& x) { serve_numbered(x, 7); });
  std::vector<int> ids;
  const PageHandler inner = collect(ids);
  auto r = for_each_numbered_page(api_, server().url("/api/quotes"), 3,
                                  [&](const Page& page) -> Result<PageVerdict> {
                                    auto verdict = inner(page);
                                    EXPECT_FALSE(page.response.body.empty());
                                    page.release_body();
                                    EXPECT_TRUE(page.response.body.empty());
                                    if (verdict && verdict->items == 3) page.fetch_next_early();
                                    return verdict;
                                  });
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(server().request_count(), 3u);

  serve([](Exchange& x) { x.reply(200, R"([{"id":1},{"id":2}])"); });  // ignores `page`
  ids.clear();
  auto repeated = for_each_numbered_page(api_, server().url("/api/quotes"), 2,
                                         [&](const Page& page) -> Result<PageVerdict> {
                                           auto verdict = inner(page);
                                           page.release_body();
                                           return verdict;
                                         });
  ASSERT_FALSE(repeated);
  EXPECT_EQ(repeated.error().kind, ErrorKind::kMalformed);
}

TEST_F(PagerTest, ExactlyFullLastPageCostsOneEmptyPage) {
  serve([](Exchange& x) { serve_numbered(x, 6); });
  std::vector<int> ids;
  auto r = for_each_numbered_page(api_, server().url("/api/quotes"), 3, collect(ids));
  ASSERT_TRUE(r);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(server().request_count(), 3u);
}

TEST_F(PagerTest, EnvelopeIsTolerated) {
  serve([](Exchange& x) { serve_numbered(x, 4, /*envelope=*/true); });
  std::vector<int> ids;
  auto r = for_each_numbered_page(api_, server().url("/api/quotes"), 3, collect(ids));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(PagerTest, HandlerCanStopAndFail) {
  serve([](Exchange& x) { serve_numbered(x, 100); });
  std::vector<int> ids;
  auto stopped = for_each_numbered_page(api_, server().url("/q"), 10, collect(ids, 2));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(server().request_count(), 2u);

  serve([](Exchange& x) { x.reply(200, R"({"not":"a list"})"); });
  auto bad = for_each_numbered_page(api_, server().url("/q"), 10, collect(ids));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kMalformed);
  EXPECT_NE(bad.error().describe().find("page=1"), std::string::npos);
  EXPECT_EQ(server().request_count(), 1u);
}

TEST_F(PagerTest, ServerIgnoringPageIsDetected) {
  serve([](Exchange& x) { x.reply(200, R"([{"id":1},{"id":2}])"); });
  std::vector<int> ids;
  auto r = for_each_numbered_page(api_, server().url("/q"), 2, collect(ids));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(server().request_count(), 2u);
}

TEST_F(PagerTest, TransientFailureMidPagingIsRetried) {
  auto failed_once = std::make_shared<std::atomic<bool>>(false);
  serve([failed_once](Exchange& x) {
    if (query_param(x.request().uri, "page") == "2" && !failed_once->exchange(true)) {
      x.reply(503, "");
      return;
    }
    serve_numbered(x, 5);
  });
  std::vector<int> ids;
  auto r = for_each_numbered_page(api_, server().url("/q"), 2, collect(ids));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(server().request_count(), 4u);
}

// PSA-like: three pages linked by absolute (or relative) next links.
void serve_linked(Exchange& x, const std::string& base, bool relative) {
  std::string page = query_param(x.request().uri, "page");
  if (page.empty()) page = "1";
  const int n = std::stoi(page);
  std::vector<std::pair<std::string, std::string>> headers;
  if (n < 3) {
    const std::string next = std::string(relative ? "" : base) +
                             "/sales/opportunities?pageSize=2&page=" + std::to_string(n + 1);
    headers.emplace_back("Link", "<" + next + ">; rel=\"next\", <" + base +
                                     "/sales/opportunities?page=3>; rel=\"last\"");
  }
  x.reply(200, nlohmann::json::array({{{"id", n * 10}}, {{"id", n * 10 + 1}}}).dump(), headers);
}

TEST_F(PagerTest, LinkedPagesFollowNextAndKeepHeaders) {
  const std::string base = server().url("");
  serve([base](Exchange& x) { serve_linked(x, base, false); });
  HttpRequest first = get_request(server().url("/sales/opportunities?pageSize=2"));
  first.headers.set("pagination-type", "forward-only");
  std::vector<int> ids;
  auto r = for_each_linked_page(api_, first, collect(ids));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids, (std::vector<int>{10, 11, 20, 21, 30, 31}));
  auto seen = server().requests();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& s : seen) EXPECT_EQ(s.header("pagination-type"), "forward-only");
  EXPECT_EQ(seen[2].uri, "/sales/opportunities?pageSize=2&page=3");
}

TEST_F(PagerTest, RelativeNextLinksResolveAgainstTheCurrentUrl) {
  const std::string base = server().url("");
  serve([base](Exchange& x) { serve_linked(x, base, true); });
  std::vector<int> ids;
  auto r = for_each_linked_page(api_, get_request(server().url("/sales/opportunities")), collect(ids));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(ids.size(), 6u);
}

TEST_F(PagerTest, NextLinkToAnotherHostIsRefused) {
  serve([](Exchange& x) {
    x.reply(200, "[]", {{"Link", "<https://evil.example.com/steal?page=2>; rel=\"next\""}});
  });
  std::vector<int> ids;
  auto r = for_each_linked_page(api_, get_request(server().url("/x")), collect(ids));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(host_->metrics().requests.load(), 1u);  // never sent there
}

TEST_F(PagerTest, NextLinkLoopIsDetected) {
  const std::string self = server().url("/x?page=1");
  serve([self](Exchange& x) { x.reply(200, "[]", {{"Link", "<" + self + ">; rel=\"next\""}}); });
  std::vector<int> ids;
  auto r = for_each_linked_page(api_, get_request(self), collect(ids));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(server().request_count(), 1u);
}

}  // namespace
}  // namespace cwsync
