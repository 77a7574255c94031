// The retrying request executor shared by the CPQ and PSA clients: one place
// for auth headers, rate limiting, the circuit breaker, classification,
// backoff, Retry-After and resend safety. CPQ- and PSA-specific code builds
// URLs and parses bodies; it never retries by itself.
//
//   ApiClient cpq(opts, {http, auth, registry.host(host_key(base), breaker),
//                        waiter, clock, default_random(),
//                        registry.budget(budget_key(conn), conn.rate_limit)});
//   auto r = cpq.execute(get_request(url));
//   if (!r) ... r.error().kind: kThrottled with retry_after → defer;
//                                kAuth → stop the tenant and explain; ...
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "config/config.h"
#include "base/result.h"
#include "sync/http/auth.h"
#include "sync/http/backoff.h"
#include "sync/http/http_client.h"
#include "sync/http/send_gate.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync {

// A provider's reading of its own error bodies: refines the Error that
// response_error() made from a non-2xx response (kind, failure, ambiguous,
// message) where the status code alone says too little. Pure; thread-safe.
using ErrorRefiner = std::function<void(const HttpResponse& response, Error& error)>;

struct ApiClientOptions {
  std::string api;               // "cpq", "psa", "autotask": the `api` log field
  std::string tenant;            // the `tenant` log field
  RetryPolicy retry;             // max_attempts, retry_after_cap
  BackoffPolicy backoff;         // base, cap (max_attempts here is ignored)
  HttpTimeouts timeouts;
  bool allow_insecure = false;   // from the connection config
  ErrorRefiner refine_error;     // empty: the status-code classification alone
};

// Builds options from the config's defaults for one connection.
ApiClientOptions api_client_options(const Defaults& defaults, std::string api,
                                    std::string tenant, bool allow_insecure);

// Whether a failed attempt may be sent again by the executor.
enum class Resend {
  kAuto,        // POST → kIfNotApplied; every other method → kIfRetryable
  kIfRetryable, // idempotent: resend any retryable failure
  // Not idempotent (PSA note and time-entry POSTs: there is no idempotency
  // key). Resend only after a 429 or a failure before the request was fully
  // sent; anything ambiguous is returned for the queue layer's dedup check.
  kIfNotApplied,
};

// What one attempt did, for callers that count calls (sync_runs.api_calls) or
// write attempt rows (psa_activity_log).
struct AttemptInfo {
  int attempt = 1;               // 1-based within this execute()
  int http_status = 0;           // 0: no response (transport error)
  Millis duration{0};
  const Error* error = nullptr;  // null on success; valid during the callback only
};

struct CallOptions {
  bool authenticate = true;      // false for the PSA companyinfo lookup
  Resend resend = Resend::kAuto;
  std::optional<int> max_attempts;  // overrides ApiClientOptions::retry
  std::string label;             // log context, e.g. "quotes page 3"
  std::function<void(const AttemptInfo&)> on_attempt;

  static CallOptions labeled(std::string label) {
    CallOptions o;
    o.label = std::move(label);
    return o;
  }
};

class ApiClient {
 public:
  // Collaborators. The references must outlive the ApiClient; the host state
  // is shared with every other client of the same host.
  struct Deps {
    HttpClient& http;
    std::shared_ptr<const AuthProvider> auth;  // may be null: no auth headers
    std::shared_ptr<UpstreamHost> host;        // never null; breaker and ceiling
    Waiter& waiter;
    const Clock& clock;
    UniformRandom random;                      // for backoff jitter
    std::shared_ptr<RateLimiter> budget = nullptr;  // this connection's budget; null: none
    // Admits each attempt just before it is sent, after the rate limiter
    // (e.g. a cap on requests in flight per endpoint); null: none. Waiting at
    // the gate is not an attempt: no on_attempt, no metrics, no try used up.
    std::shared_ptr<SendGate> gate = nullptr;
    // The host state of a request URL, for a client whose calls go to more
    // than one host (Autotask: the zone lookup, then whichever zone it
    // names), so that each host's breaker, ceiling and metrics see only that
    // host's answers. Null: every call uses `host`.
    std::function<std::shared_ptr<UpstreamHost>(const std::string& url)> host_of_url = nullptr;
  };

  ApiClient(ApiClientOptions options, Deps deps);

  // Sends `request`, retrying as the policy allows, and returns the 2xx
  // response. Errors (Error::kind):
  //  - kThrottled / kRetryable / kTimeout / kNetwork: attempts exhausted, or
  //    a wait longer than retry_after_cap: then retry_after is set and the
  //    caller should defer (reschedule) instead of waiting. Also returned at
  //    once while the host's circuit breaker is open (retry_after = time to
  //    the next probe).
  //  - kAuth, kNotFound, kBadRequest: never retried.
  //  - ambiguous == true with kIfNotApplied: the request may have been
  //    applied; not resent.
  //  - kCancelled: stop was requested (before sending or while waiting, at
  //    the gate too).
  //  - kConfig / kInvalidInput: the URL is refused (http:// to a remote host).
  // Blocks the calling thread for gate, rate-limit and backoff waits (all
  // interruptible through the Waiter). Thread-safe.
  Result<HttpResponse> execute(HttpRequest request, const CallOptions& options = {});

  // GET `url` and parse the body as JSON; kMalformed when it is not JSON.
  Result<nlohmann::json> get_json(const std::string& url, const CallOptions& options = {});

  const ApiClientOptions& options() const { return options_; }
  UpstreamHost& host() { return *deps_.host; }
  // The host state a call to `url` uses (see Deps::host_of_url). Never null.
  std::shared_ptr<UpstreamHost> host_for(const std::string& url) const;
  const Clock& clock() const { return deps_.clock; }

 private:
  Result<HttpResponse> attempt(const HttpRequest& request, const CallOptions& options,
                               int attempt_no, UpstreamHost& host);

  ApiClientOptions options_;
  Deps deps_;
  Backoff backoff_;
};

// A GET request for `url` (headers filled in by execute()).
HttpRequest get_request(std::string url);
// A request with a JSON body and Content-Type: application/json.
HttpRequest json_request(std::string method, std::string url, std::string body);

// Parses a response body as JSON; kMalformed naming the request otherwise.
Result<nlohmann::json> parse_json_body(const HttpResponse& response, std::string_view method,
                                       std::string_view url);

}  // namespace cwsync
