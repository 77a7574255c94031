// Typed errors that cross module boundaries, and a small Result<T>.
//
// Recoverable failures are values, not exceptions. An Error says *what kind* of
// failure happened, because the caller's next step (retry, wait, give up,
// alert) depends on the kind, and carries the context a log line needs.
// Error messages must never contain secrets; callers build them from redacted
// URLs and upstream error text only.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cwsync {

enum class ErrorKind {
  kConfig,      // invalid configuration; exit 78
  kInvalidInput,// bad user input (CLI, queued payload); not retryable
  kIo,          // local file or socket problem
  kDatabase,    // SQLite error
  kTimeout,     // connect/read timeout; retryable
  kNetwork,     // reset, refused, DNS, TLS; retryable
  kThrottled,   // 429 (or 503 with Retry-After); retry after `retry_after`
  kRetryable,   // 409, 5xx; retry with backoff
  kAuth,        // 401/403; do not retry, alert
  kNotFound,    // 404
  kBadRequest,  // 400; do not retry
  kMalformed,   // response body not what the API promises
  kCancelled,   // stop requested
  kInternal,    // a bug
};

const char* to_string(ErrorKind kind);

// What a failed upstream call means for the thing that made it, decided once
// where the response (or the transport error) is read (sync/http/http_classify.h
// has the table). ErrorKind says what happened; Failure says whose problem it
// is, which is what the PSA queue's budget and the circuit breaker need.
enum class Failure {
  kNone,          // not an upstream failure (local error, bad config, cancelled)
  kOutage,        // the upstream is unavailable: refused, reset, timeout, 429,
                  // 502/503/504, a 5xx without an error body, breaker open
  kRejection,     // the upstream refused this request: 4xx validation, 404
  kPostSpecific,  // the upstream's application failed on this request: a 5xx
                  // carrying a ConnectWise error body
  kAuth,          // 401/403: the credentials or the API member's role
};

const char* to_string(Failure f);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;   // human-readable, secret-free
  std::string context;   // e.g. "GET /api/quotes page 3"
  int http_status = 0;   // 0 when no HTTP response was received
  std::optional<std::chrono::milliseconds> retry_after;  // from Retry-After
  // True when a request may have reached the server and been applied
  // (timeout or reset after sending, 5xx). Drives the PSA dedup check.
  bool ambiguous = false;
  Failure failure = Failure::kNone;
  // True when nothing was sent because the request was refused locally (the
  // host's circuit breaker is open): not an attempt.
  bool fast_fail = false;
  // The layer's own code for kDatabase errors: SQLite's extended result code
  // (SQLITE_BUSY, SQLITE_FULL, ...), so callers branch on codes, not on text.
  int sqlite_code = 0;

  // "context: message (HTTP 503)" — the one format used in logs and last_error.
  std::string describe() const;
  bool retryable() const;
};

Error make_error(ErrorKind kind, std::string message, std::string context = {});

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}    // NOLINT
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace cwsync
