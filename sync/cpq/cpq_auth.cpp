#include "sync/cpq/cpq_auth.h"

namespace cwsync {

CpqAuth::CpqAuth(const CpqConnection& conn)
    : authorization_(basic_authorization(conn.access_key + "+" + conn.public_key,
                                         conn.private_key)) {}

void CpqAuth::apply(HttpHeaders& headers) const {
  headers.set("Authorization", authorization_.reveal());
}

}  // namespace cwsync
