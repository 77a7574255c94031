#include "sync/autotask/at_errors.h"

#include <nlohmann/json.hpp>

namespace cwsync {
namespace {

constexpr std::size_t kMaxMessage = 500;

bool has(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

std::optional<std::string> autotask_error_message(std::string_view body) {
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("errors");
  if (it == j.end() || !it->is_array()) return std::nullopt;
  std::string out;
  for (const auto& e : *it) {
    if (!e.is_string() || e.get<std::string>().empty()) continue;
    if (!out.empty()) out += "; ";
    out += e.get<std::string>();
    if (out.size() > kMaxMessage) {
      out.resize(kMaxMessage);
      out += "...";
      break;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

void refine_autotask_error(const HttpResponse& response, Error& e) {
  const auto message = autotask_error_message(response.body);
  if (!message) return;  // no Autotask body: the status code decides
  if (!has(e.message, *message)) e.message += ": " + *message;
  if (has(*message, "IntegrationCode is invalid") ||
      has(*message, "Zone information could not be determined")) {
    e.kind = ErrorKind::kAuth;
    e.failure = Failure::kAuth;
    e.ambiguous = false;
    return;
  }
  if (response.status == 429 || (has(*message, "threshold") && has(*message, "exceeded"))) {
    e.kind = ErrorKind::kThrottled;
    e.failure = Failure::kOutage;
    e.ambiguous = false;
    return;
  }
  if (response.status == 500) {
    // Autotask's validation and business-rule answer: this request is
    // refused and nothing was applied; retrying cannot help.
    e.kind = ErrorKind::kBadRequest;
    e.failure = Failure::kRejection;
    e.ambiguous = false;
    e.message = "rejected by Autotask: " + *message;
  }
}

std::string diagnose_autotask(const Error& e) {
  const std::string& m = e.message;
  if (has(m, "IntegrationCode is invalid")) {
    return "Autotask refused the integration code: set psa.integration_code to the API user's "
           "Tracking Identifier (Admin > Resources > the API user > API Tracking Identifier)";
  }
  if (has(m, "Zone information could not be determined")) {
    return "the Autotask zone lookup does not know psa.username: use the API user's user name "
           "(an email address), or pin psa.zone_url";
  }
  if (e.http_status == 401) {
    return "Autotask refused the user name or secret: check psa.username and psa.secret (the "
           "API user's password), and that the API user is active";
  }
  if (e.http_status == 403) {
    return "the Autotask API user's security level does not allow this";
  }
  if (e.http_status == 404 && has(m, "ZoneInformation")) {
    return "psa.zone_lookup_url does not point at the Autotask zone lookup";
  }
  return {};
}

}  // namespace cwsync
