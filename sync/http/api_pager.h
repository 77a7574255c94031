// Paging over list endpoints, one page at a time (never the whole set in
// memory), on top of ApiClient's retries.
//
// - Numbered pages (CPQ): page=1,2,... with pageSize; the last page is the
//   first one shorter than pageSize (CPQ returns bare arrays, no totals).
// - Linked pages (PSA): follow the `Link: <...>; rel="next"` header until
//   there is none (also what forward-only paging returns); or, for APIs whose
//   list body is {"items":[…],"pageDetails":{"nextPageUrl":…}}, follow
//   nextPageUrl, sending the same request (method and body) there.
//
// The handler sees each page's raw response (so it can keep the upstream
// bytes), reports how many items it held, and may stop the iteration.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "sync/http/api_client.h"
#include "sync/http/http_client.h"

namespace cwsync {

struct Page {
  int number = 1;                        // 1-based, in fetch order
  const std::string& url;                // the URL fetched (unredacted; do not log)
  const HttpResponse& response;          // 2xx; body is the raw JSON
  // Numbered paging only (empty otherwise): starts fetching the next page in
  // the background now, while the handler still works on this one (its item
  // requests, its transaction). Call it only once the page is known to be
  // full, so no request is spent that plain paging would not make. The
  // attempts are reported to CallOptions::on_attempt on the paging thread,
  // when the next page is taken up. Idempotent.
  std::function<void()> fetch_next_early = {};
  // Numbered paging only (empty otherwise): frees the response body now, for
  // a handler that has copied what it keeps and still has work to do (a
  // megabyte body need not live through a page's item requests and
  // transaction). The pager reads the body no more; nothing may refer into it.
  std::function<void()> release_body = {};
};

struct PageVerdict {
  std::size_t items = 0;                 // items the page held
  bool stop = false;                     // true: fetch no further pages
};

// Returns the verdict, or an error that ends the iteration (e.g. kMalformed
// from parse_page_items; a database error). Called on the paging thread.
using PageHandler = std::function<Result<PageVerdict>(const Page&)>;

struct PagingStats {
  int pages = 0;                         // pages handed to the handler
  std::size_t items = 0;
};

// CPQ-style paging of `url` (which may carry conditions etc.): sets page and
// pageSize, starting at `first_page`. Stops after a page with fewer than
// page_size items, or when the handler says stop. Errors: anything
// ApiClient::execute returns, the handler's error, or kMalformed when the
// upstream returns the same non-empty page twice (it ignored `page`).
Result<PagingStats> for_each_numbered_page(ApiClient& api, const std::string& url,
                                           int page_size, const PageHandler& handler,
                                           const CallOptions& options = {},
                                           int first_page = 1);

// Where a page says the next one is (absolute, or relative to the page's
// URL); nullopt on the last page.
using NextPageUrl = std::function<std::optional<std::string>(const HttpResponse& response)>;

struct LinkedPaging {
  NextPageUrl next;             // empty: the Link header's rel="next"
  // true: every page repeats the first request's method and body (a POST
  // query whose next page is a POST of the same body); false: GETs.
  bool same_request = false;
};

// Linked paging: sends `first` (its headers, such as pagination-type:
// forward-only, are kept for every page) and follows the next links.
// A next link to another scheme/host/port, or one already visited, is
// kMalformed (credentials never leave the host; loops end).
Result<PagingStats> for_each_linked_page(ApiClient& api, HttpRequest first,
                                         const PageHandler& handler,
                                         const CallOptions& options = {},
                                         const LinkedPaging& paging = {});

// pageDetails.nextPageUrl of a {"items":[…],"pageDetails":{…}} body; nullopt
// when it is null, empty or absent, or the body is not such an object.
std::optional<std::string> page_details_next_url(const HttpResponse& response);

// The items of a list page: a bare JSON array, or the array under "data" or
// "items" in an envelope object. kMalformed naming the URL otherwise.
Result<nlohmann::json> parse_page_items(const Page& page);

}  // namespace cwsync
