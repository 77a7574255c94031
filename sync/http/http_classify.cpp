#include "sync/http/http_classify.h"

#include <nlohmann/json.hpp>

#include "sync/http/retry_after.h"

namespace cwsync {
namespace {

constexpr size_t kMaxMessage = 500;

std::string truncate(std::string s) {
  if (s.size() > kMaxMessage) {
    s.resize(kMaxMessage);
    s += "...";
  }
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized (credentials rejected)";
    case 403: return "forbidden (licence or role lacks permission)";
    case 404: return "not found";
    case 408: return "request timeout";
    case 409: return "conflict (record in use)";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 501: return "not implemented";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: break;
  }
  if (status >= 300 && status < 400) return "unexpected redirect";
  if (status >= 500) return "server error";
  return "unexpected status";
}

ErrorKind to_kind(ResponseClass c) {
  switch (c) {
    case ResponseClass::kOk: return ErrorKind::kInternal;  // not an error
    case ResponseClass::kThrottled: return ErrorKind::kThrottled;
    case ResponseClass::kRetryable: return ErrorKind::kRetryable;
    case ResponseClass::kAuth: return ErrorKind::kAuth;
    case ResponseClass::kNotFound: return ErrorKind::kNotFound;
    case ResponseClass::kBadRequest: return ErrorKind::kBadRequest;
  }
  return ErrorKind::kInternal;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Which bodies a failure row applies to.
enum class Body { kAny, kErrorBody, kOther };

struct FailureRow {
  int lo, hi;       // status range, inclusive
  Body body;
  Failure failure;
};

// First match wins. A 5xx with a ConnectWise error body is the application
// answering about this request (a poison post); without one (a proxy's page,
// an empty body) it is the host that is unwell. 502/503/504 are always the
// host, whatever their body says.
constexpr FailureRow kFailureTable[] = {
    {401, 401, Body::kAny, Failure::kAuth},
    {403, 403, Body::kAny, Failure::kAuth},
    {408, 408, Body::kAny, Failure::kOutage},
    {429, 429, Body::kAny, Failure::kOutage},
    {409, 409, Body::kAny, Failure::kPostSpecific},  // record in use: this request's conflict
    {502, 504, Body::kAny, Failure::kOutage},
    {501, 501, Body::kAny, Failure::kRejection},
    {505, 505, Body::kAny, Failure::kRejection},
    {500, 599, Body::kErrorBody, Failure::kPostSpecific},
    {500, 599, Body::kOther, Failure::kOutage},
    {300, 499, Body::kAny, Failure::kRejection},
};

}  // namespace

Failure classify_failure(int status, bool error_body, ErrorKind kind) {
  if (status == 0) {
    return kind == ErrorKind::kTimeout || kind == ErrorKind::kNetwork ? Failure::kOutage
                                                                       : Failure::kNone;
  }
  for (const FailureRow& row : kFailureTable) {
    if (status < row.lo || status > row.hi) continue;
    if (row.body == Body::kErrorBody && !error_body) continue;
    if (row.body == Body::kOther && error_body) continue;
    return row.failure;
  }
  return Failure::kNone;  // 1xx, 2xx: not a failure
}

Classification classify_response(int status, const HttpHeaders& headers, TimePoint now) {
  Classification c;
  if (auto ra = headers.get("Retry-After")) c.retry_after = parse_retry_after(*ra, now);
  if (status >= 200 && status < 300) {
    c.cls = ResponseClass::kOk;
  } else if (status == 429 || (status == 503 && c.retry_after)) {
    c.cls = ResponseClass::kThrottled;
  } else if (status == 401 || status == 403) {
    c.cls = ResponseClass::kAuth;
  } else if (status == 404) {
    c.cls = ResponseClass::kNotFound;
  } else if (status == 408 || status == 409 ||
             (status >= 500 && status < 600 && status != 501 && status != 505)) {
    c.cls = ResponseClass::kRetryable;
  } else {
    c.cls = ResponseClass::kBadRequest;
  }
  return c;
}

const char* to_string(ResponseClass c) {
  switch (c) {
    case ResponseClass::kOk: return "ok";
    case ResponseClass::kThrottled: return "throttled";
    case ResponseClass::kRetryable: return "retryable";
    case ResponseClass::kAuth: return "auth";
    case ResponseClass::kNotFound: return "not_found";
    case ResponseClass::kBadRequest: return "bad_request";
  }
  return "unknown";
}

Error response_error(const HttpResponse& response, std::string_view method,
                     std::string_view url, TimePoint now) {
  const Classification c = classify_response(response.status, response.headers, now);
  Error e;
  e.kind = to_kind(c.cls);
  e.http_status = response.status;
  e.context = request_context(method, url);
  e.retry_after = c.retry_after;
  e.ambiguous = response.status >= 500;
  std::string message = reason(response.status);
  const auto upstream = upstream_error_message(response.body);
  e.failure = classify_failure(response.status, upstream.has_value(), e.kind);
  if (upstream) message += ": " + *upstream;
  e.message = truncate(std::move(message));
  return e;
}

Error malformed_error(std::string_view method, std::string_view url, std::string_view what,
                      int http_status) {
  Error e = make_error(ErrorKind::kMalformed, "malformed response: " + std::string(what),
                       request_context(method, url));
  e.http_status = http_status;
  return e;
}

std::optional<std::string> upstream_error_message(std::string_view body) {
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  std::string message = string_field(j, "message");
  if (message.empty()) message = string_field(j, "code");
  std::string details;
  if (auto it = j.find("errors"); it != j.end() && it->is_array()) {
    for (const auto& item : *it) {
      if (!item.is_object()) continue;
      std::string m = string_field(item, "message");
      if (m.empty()) m = string_field(item, "code");
      if (m.empty()) continue;
      std::string field = string_field(item, "field");
      if (!details.empty()) details += "; ";
      details += field.empty() ? m : field + ": " + m;
      if (details.size() > kMaxMessage) break;
    }
  }
  if (message.empty() && details.empty()) return std::nullopt;
  if (!details.empty()) message += message.empty() ? details : " (" + details + ")";
  return truncate(std::move(message));
}

}  // namespace cwsync
