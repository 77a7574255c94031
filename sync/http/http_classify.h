// What an HTTP response means for the caller: the classification table of
// docs/design.md, "Upstream" as one pure function, and the Error a failed response becomes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "sync/http/http_client.h"

namespace cwsync {

enum class ResponseClass {
  kOk,          // 2xx
  kThrottled,   // 429, or 503 carrying Retry-After
  kRetryable,   // 408, 409, 500, 502, 503, 504 and other 5xx except 501/505
  kAuth,        // 401, 403
  kNotFound,    // 404 (on ConnectWise cloud it can also mean bad auth)
  kBadRequest,  // 400, other 4xx, 3xx, 501, 505 and anything unexpected
};

struct Classification {
  ResponseClass cls = ResponseClass::kOk;
  std::optional<Millis> retry_after;  // parsed Retry-After when present
};

// Classifies a status code plus its Retry-After header (relative to `now`).
// Pure; thread-safe.
Classification classify_response(int status, const HttpHeaders& headers, TimePoint now);

const char* to_string(ResponseClass c);

// Whose problem a failed call is (base/result.h, Failure), from the status
// and whether the body is a ConnectWise error object; status 0 is a transport
// error of `kind` (timeouts and network errors are outages). A table, first
// match wins; see docs/queue.md "Failure classes". Pure; thread-safe.
Failure classify_failure(int status, bool error_body, ErrorKind kind);

// The Error for a non-2xx response: kind from classify_response, message from
// the ConnectWise error body when there is one (else the status reason),
// context = request_context(method, url), http_status, retry_after, and
// ambiguous for 5xx (the request may have been applied), and failure from
// classify_failure.
Error response_error(const HttpResponse& response, std::string_view method,
                     std::string_view url, TimePoint now);

// The Error for a 2xx response whose body is not what the API promises
// (kMalformed, not retried). `what` says what was wrong, e.g. "expected a JSON
// array". The body itself is never included.
Error malformed_error(std::string_view method, std::string_view url, std::string_view what,
                      int http_status);

// The message in a ConnectWise error body
// {"code","message","errors":[{"code","message","resource","field"}]}:
// "message (field: message; ...)", at most ~500 characters. nullopt when the
// body is not JSON of that shape (HTML error pages, garbage). Never throws.
std::optional<std::string> upstream_error_message(std::string_view body);

}  // namespace cwsync
