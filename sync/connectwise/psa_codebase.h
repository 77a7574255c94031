// Where a PSA (Manage) tenant's REST API lives (docs/design.md, "Upstream"):
//   GET {site}/login/companyinfo/{companyId}   (no auth)
//     → {"Codebase":"v2025_1/", ...}, or `null` for an unknown company
//   base URL = {api host}/{Codebase}apis/3.0/
// The lookup falls back to "v4_6_release/" when it is unavailable, is skipped
// when the config pins `codebase`, and is redone (at most once per request)
// when a request gets a 404, because a cloud upgrade moves the codebase.
// Its answer is shared by every client of the connection in the process
// (PsaCodebaseState) and asked again after kLocationRefresh, so a pull job,
// which builds its clients afresh, does not look it up every run.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "sync/http/api_client.h"
#include "sync/http/api_pager.h"
#include "sync/http/upstream.h"

namespace cwsync {

inline constexpr std::string_view kFallbackCodebase = "v4_6_release/";

// What the codebase lookup of one connection found, shared by every client
// of that connection (UpstreamRegistry::connection_state, key
// psa_codebase_key()). Guarded by `mu`.
struct PsaCodebaseState {
  std::mutex mu;
  std::optional<std::string> codebase;
  bool fallback = false;                  // codebase is the fallback guess
  std::optional<TimePoint> looked_up_at;  // the last lookup, answered or not
  std::optional<TimePoint> last_relookup; // the last lookup a 404 forced
};

// The connection_state key of `conn`'s codebase: its site and company id
// (lower-cased; no credential).
std::string psa_codebase_key(const PsaConnection& conn);

// The API host for a PSA site host: cloud login hosts get the "api-" prefix
// ("na.myconnectwise.net" → "api-na.myconnectwise.net", likewise eu., au.,
// za. and *.connectwisedev.com); API hosts and on-premise hosts are
// returned unchanged. Case-insensitive; pure.
std::string psa_api_host(std::string_view site_host);

// "scheme://api-host[:port]" for a configured site URL; "" if unparseable.
std::string psa_api_origin(std::string_view site_url);

// Parses a companyinfo body. Returns the codebase with exactly one trailing
// slash; kNotFound for `null` (unknown company); kMalformed when the body has
// no usable Codebase (not JSON, missing, or not a plain path segment).
Result<std::string> parse_companyinfo(std::string_view body, std::string_view url);

// A PSA tenant's endpoint: resolves and caches the base URL, and runs
// requests relative to it with the retry-once-on-404 rule. Thread-safe.
class PsaEndpoint {
 public:
  // `api` must outlive this object and be the tenant's PSA ApiClient (with
  // PsaAuth); the lookup itself is sent without auth. `state`: the
  // connection's shared lookup state; null: this endpoint's own.
  PsaEndpoint(const PsaConnection& conn, ApiClient& api,
              std::shared_ptr<PsaCodebaseState> state = nullptr);

  // The base URL, e.g. "https://api-na.myconnectwise.net/v2025_1/apis/3.0/",
  // looking the codebase up on first use. Errors: kNotFound (the site does
  // not know the company id), kCancelled, kConfig/kInvalidInput (bad site).
  // Every other lookup failure falls back to v4_6_release/ (logged).
  Result<std::string> base_url();

  // Sends `request`, whose url is a path relative to the base URL
  // ("service/tickets/5/notes?pageSize=50"). On a 404, looks the codebase up
  // again and, if it changed, retries once. Errors as ApiClient::execute,
  // except that a 404 under the fallback codebase is kRetryable.
  Result<HttpResponse> execute(HttpRequest request, const CallOptions& options = {});

  // Linked paging (for_each_linked_page) starting at a relative URL, with the
  // same 404 rule for the first page.
  Result<PagingStats> for_each_page(HttpRequest first, const PageHandler& handler,
                                    const CallOptions& options = {});

  // The tenant's PSA client (its host's breaker and rate budget).
  ApiClient& api() { return api_; }

  // The codebase in use ("v2025_1/"), or nullopt before the first lookup.
  std::optional<std::string> codebase() const;

 private:
  // Looks the codebase up (again) unless the config pins it. Returns whether
  // the codebase changed. Caller holds no lock.
  Result<bool> refresh(bool force);
  // A 404 while the codebase is the fallback guess says nothing about the
  // resource: returns it as a retryable error then (so no post is
  // dead-lettered and no tenant stopped on a guess), else nullopt.
  std::optional<Error> fallback_not_found(const Error& not_found) const;

  std::string site_;
  std::string company_id_;
  std::optional<std::string> pinned_;     // conn.codebase
  ApiClient& api_;
  std::string api_origin_;
  std::shared_ptr<PsaCodebaseState> state_;  // never null
};

}  // namespace cwsync
