#include "sync/http/api_pager.h"

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <vector>
#include <unordered_set>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "sync/http/http_classify.h"
#include "sync/http/http_link.h"
#include "sync/http/http_url.h"

namespace cwsync {
namespace {

CallOptions for_page(const CallOptions& base, int number) {
  CallOptions o = base;
  o.label = (base.label.empty() ? std::string("page ") : base.label + " page ") +
            std::to_string(number);
  return o;
}

std::string origin(const Poco::URI& u) {
  return Poco::toLower(u.getScheme()) + "://" + Poco::toLower(u.getHost()) + ":" +
         std::to_string(u.getPort());
}

}  // namespace

Result<nlohmann::json> parse_page_items(const Page& page) {
  auto j = nlohmann::json::parse(page.response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return malformed_error("GET", page.url, "page is not valid JSON", page.response.status);
  }
  if (j.is_array()) return j;
  if (j.is_object()) {
    for (const char* key : {"data", "items"}) {
      auto it = j.find(key);
      if (it != j.end() && it->is_array()) return std::move(*it);
    }
  }
  return malformed_error("GET", page.url, "expected a JSON array of items",
                         page.response.status);
}

namespace {

// A page request running on another thread. Its attempts are recorded and
// replayed to the caller's on_attempt on the paging thread, so callbacks
// never run concurrently with the handler.
class EarlyFetch {
 public:
  EarlyFetch(ApiClient& api, std::string url, const CallOptions& options)
      : on_attempt_(options.on_attempt) {
    CallOptions o = options;
    o.on_attempt = [this](const AttemptInfo& a) {
      attempts_.push_back(a);
      errors_.push_back(a.error != nullptr ? std::optional<Error>(*a.error) : std::nullopt);
    };
    result_ = std::async(std::launch::async, [&api, url = std::move(url), o = std::move(o)] {
      return api.execute(get_request(url), o);
    });
  }
  // Waits for the response and replays the attempts. Call once.
  Result<HttpResponse> take() {
    Result<HttpResponse> r = result_.get();
    for (std::size_t k = 0; k < attempts_.size(); ++k) {
      AttemptInfo a = attempts_[k];
      a.error = errors_[k] ? &*errors_[k] : nullptr;
      if (on_attempt_) on_attempt_(a);
    }
    return r;
  }

 private:
  std::function<void(const AttemptInfo&)> on_attempt_;
  std::vector<AttemptInfo> attempts_;  // written by the fetch thread until result_ is ready
  std::vector<std::optional<Error>> errors_;
  std::future<Result<HttpResponse>> result_;
};

std::string numbered(const std::string& url, int number, int page_size) {
  UrlBuilder b(url);
  b.set("page", std::to_string(number)).set("pageSize", std::to_string(page_size));
  return b.str();
}

}  // namespace

Result<PagingStats> for_each_numbered_page(ApiClient& api, const std::string& url,
                                           int page_size, const PageHandler& handler,
                                           const CallOptions& options, int first_page) {
  PagingStats stats;
  size_t previous_hash = 0;
  bool have_previous = false;
  std::unique_ptr<EarlyFetch> early;  // the next page, when the handler asked for it
  for (int number = std::max(first_page, 1);; ++number) {
    const std::string page_url = numbered(url, number, page_size);
    auto r = early ? early->take() : api.execute(get_request(page_url), for_page(options, number));
    early.reset();
    if (!r) return r.error();

    const size_t hash = std::hash<std::string>{}(r->body);
    if (have_previous && hash == previous_hash && r->body.size() > 2) {
      return malformed_error("GET", page_url,
                             "page " + std::to_string(number) +
                                 " repeats the previous page; the server ignored `page`",
                             r->status);
    }
    previous_hash = hash;
    have_previous = true;

    const std::string next_url = numbered(url, number + 1, page_size);
    Page page{number, page_url, *r,
              [&] {
                if (!early) {
                  early = std::make_unique<EarlyFetch>(api, next_url, for_page(options, number + 1));
                }
              },
              [&] { std::string().swap(r->body); }};
    auto verdict = handler(page);
    const bool more = verdict && !verdict->stop &&
                      verdict->items >= static_cast<size_t>(std::max(page_size, 1));
    if (!more && early) {  // not needed after all: wait for it and count its attempts
      const Result<HttpResponse> unused = early->take();
      (void)unused;
    }
    if (!verdict) return verdict.error();
    ++stats.pages;
    stats.items += verdict->items;
    if (!more) break;
  }
  return stats;
}

std::optional<std::string> page_details_next_url(const HttpResponse& response) {
  auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto details = j.find("pageDetails");
  if (details == j.end() || !details->is_object()) return std::nullopt;
  auto next = details->find("nextPageUrl");
  if (next == details->end() || !next->is_string() || next->get<std::string>().empty()) {
    return std::nullopt;
  }
  return next->get<std::string>();
}

Result<PagingStats> for_each_linked_page(ApiClient& api, HttpRequest first,
                                         const PageHandler& handler,
                                         const CallOptions& options,
                                         const LinkedPaging& paging) {
  PagingStats stats;
  std::string home;
  try {
    home = origin(Poco::URI(first.url));
  } catch (const Poco::Exception&) {
    return make_error(ErrorKind::kInvalidInput, "not a valid URL", redact_url(first.url));
  }
  std::unordered_set<std::string> visited;
  HttpRequest request = std::move(first);
  for (int number = 1;; ++number) {
    visited.insert(request.url);
    auto r = api.execute(request, for_page(options, number));
    if (!r) return r.error();

    Page page{number, request.url, *r};
    auto verdict = handler(page);
    if (!verdict) return verdict.error();
    ++stats.pages;
    stats.items += verdict->items;
    if (verdict->stop) break;

    auto next = paging.next ? paging.next(*r) : find_link(r->headers, "next");
    if (!next || next->empty()) break;
    std::string next_url;
    try {
      Poco::URI resolved(Poco::URI(request.url), *next);
      if (origin(resolved) != home) {
        return malformed_error("GET", request.url,
                               "next link points to another host: " + redact_url(resolved.toString()),
                               r->status);
      }
      next_url = resolved.toString();
    } catch (const Poco::Exception&) {
      return malformed_error("GET", request.url, "next link is not a valid URL", r->status);
    }
    if (visited.count(next_url)) {
      return malformed_error("GET", request.url, "next link loops back to a visited page",
                             r->status);
    }
    request.url = std::move(next_url);
    if (!paging.same_request) {
      request.method = "GET";
      request.body.clear();
    }
  }
  return stats;
}

}  // namespace cwsync
