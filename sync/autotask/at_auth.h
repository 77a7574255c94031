// Autotask PSA authentication (docs/design.md, "Upstream: Autotask PSA"):
// three headers on every call (ApiIntegrationCode, UserName, Secret) and,
// when configured, ImpersonationResourceId. The zone lookup is sent without
// them.
#pragma once

#include "config/config.h"
#include "sync/http/auth.h"

namespace cwsync {

class AutotaskAuth final : public AuthProvider {
 public:
  // `conn` must be an Autotask connection (conn.autotask set); copied.
  explicit AutotaskAuth(const PsaConnection& conn);
  void apply(HttpHeaders& headers) const override;

 private:
  std::string username_;
  std::string integration_code_;
  Secret secret_;
  std::optional<std::int64_t> impersonate_;
};

}  // namespace cwsync
