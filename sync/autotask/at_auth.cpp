#include "sync/autotask/at_auth.h"

namespace cwsync {

AutotaskAuth::AutotaskAuth(const PsaConnection& conn)
    : username_(conn.autotask->username),
      integration_code_(conn.autotask->integration_code),
      secret_(conn.private_key),
      impersonate_(conn.autotask->impersonation_resource_id) {}

void AutotaskAuth::apply(HttpHeaders& headers) const {
  headers.set("ApiIntegrationCode", integration_code_);
  headers.set("UserName", username_);
  headers.set("Secret", secret_.reveal());
  if (impersonate_) headers.set("ImpersonationResourceId", std::to_string(*impersonate_));
}

}  // namespace cwsync
