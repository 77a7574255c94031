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

}  // namespace cwsync
