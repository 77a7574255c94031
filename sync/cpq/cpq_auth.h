// The CPQ (Sell) credentials as request headers (docs/design.md, "Upstream:
// ConnectWise CPQ").
#pragma once

#include <string>

#include "base/result.h"
#include "config/config.h"
#include "sync/http/auth.h"

namespace cwsync {

// CPQ (Sell): Authorization: Basic base64("{accessKey}+{publicKey}:{privateKey}").
// No clientId header.
class CpqAuth final : public AuthProvider {
 public:
  explicit CpqAuth(const CpqConnection& conn);
  void apply(HttpHeaders& headers) const override;

 private:
  Secret authorization_;  // the whole header value, itself a secret
};

// Plain words for a CPQ account problem (401 keys, 403 licence or role, 404
// access key or base URL) for `cwsync check` and the stop-tenant diagnosis;
// "" when `error` is not one.
std::string diagnose_cpq(const Error& error);

}  // namespace cwsync
