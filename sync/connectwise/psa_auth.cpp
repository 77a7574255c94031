#include "sync/connectwise/psa_auth.h"

namespace cwsync {

PsaAuth::PsaAuth(const PsaConnection& conn)
    : authorization_(basic_authorization(conn.company_id + "+" + conn.public_key,
                                         conn.private_key)),
      client_id_(conn.client_id),
      accept_("application/vnd.connectwise.com+json; version=" + conn.api_version) {}

void PsaAuth::apply(HttpHeaders& headers) const {
  headers.set("Authorization", authorization_.reveal());
  headers.set("clientId", client_id_);
  headers.set("Accept", accept_);
}

std::string diagnose_connectwise(const Error& e) {
  static const AccountProblemWords kWords{
      "401 Unauthorized: the PSA public/private keys or company id are wrong or expired "
      "(check the API member's keys in Manage)",
      "403 Forbidden: the PSA API member's security role does not allow this (check the "
      "role's Sales/Opportunities and Service permissions)",
      "404 Not Found: the PSA company id or site is wrong (on cloud a 404 often means bad "
      "credentials)"};
  return account_problem(e, kWords);
}

}  // namespace cwsync
