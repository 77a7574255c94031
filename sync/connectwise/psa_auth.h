// The ConnectWise PSA (Manage) credentials as request headers (docs/design.md,
// "Upstream: ConnectWise PSA").
#pragma once

#include <string>

#include "base/result.h"
#include "config/config.h"
#include "sync/http/auth.h"

namespace cwsync {

// PSA (Manage): Authorization: Basic base64("{companyId}+{publicKey}:{privateKey}"),
// clientId: <GUID>, Accept: application/vnd.connectwise.com+json; version=<api_version>.
class PsaAuth final : public AuthProvider {
 public:
  explicit PsaAuth(const PsaConnection& conn);
  void apply(HttpHeaders& headers) const override;

 private:
  Secret authorization_;
  std::string client_id_;
  std::string accept_;
};

// Plain words for a ConnectWise PSA account problem (401 keys or company id,
// 403 the API member's role, 404 company id or site) for `cwsync check` and
// the stop-tenant diagnosis; "" when `error` is not one.
std::string diagnose_connectwise(const Error& error);

}  // namespace cwsync
