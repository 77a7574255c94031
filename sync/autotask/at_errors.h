// How Autotask's answers are classified (docs/design.md, "Upstream: Autotask
// PSA"; docs/queue.md "Failure classes"). Every error body is
// {"errors":["…"]}, and validation and business-rule failures come back as
// HTTP 500: a 500 with an errors body is a rejection of this request (the
// post is dead with Autotask's words), not an outage. Exceptions:
//   "IntegrationCode is invalid."                → credentials (kAuth)
//   "Zone information could not be determined"   → credentials (kAuth)
//   a request-threshold message                  → throttled (an outage wait)
// A 5xx without an errors body (a proxy's page) stays an outage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sync/http/http_client.h"

namespace cwsync {

// The joined messages of an {"errors":["…", …]} body (at most ~500
// characters); nullopt when the body is not of that shape. Never throws.
std::optional<std::string> autotask_error_message(std::string_view body);

// The ErrorRefiner of Autotask clients (sync/http/api_client.h). Pure.
void refine_autotask_error(const HttpResponse& response, Error& error);

// Plain words for `cwsync check` and the stop-tenant diagnosis; "" when the
// error is not an account problem.
std::string diagnose_autotask(const Error& error);

}  // namespace cwsync
