#include "base/result.h"

namespace cwsync {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig: return "config";
    case ErrorKind::kInvalidInput: return "invalid_input";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kDatabase: return "database";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kNetwork: return "network";
    case ErrorKind::kThrottled: return "throttled";
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kAuth: return "auth";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kBadRequest: return "bad_request";
    case ErrorKind::kMalformed: return "malformed";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out;
  if (!context.empty()) out = context + ": ";
  out += message;
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  return out;
}

bool Error::retryable() const {
  switch (kind) {
    case ErrorKind::kTimeout:
    case ErrorKind::kNetwork:
    case ErrorKind::kThrottled:
    case ErrorKind::kRetryable:
    case ErrorKind::kDatabase:  // SQLITE_BUSY and friends clear up
      return true;
    default:
      return false;
  }
}

Error make_error(ErrorKind kind, std::string message, std::string context) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  e.context = std::move(context);
  return e;
}

}  // namespace cwsync
