#include "sync/http/auth.h"

#include <sstream>

#include <Poco/Base64Encoder.h>

namespace cwsync {

Secret basic_authorization(const std::string& user, const Secret& password) {
  std::ostringstream out;
  {
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);  // one line: header values cannot wrap
    encoder << user << ':' << password.reveal();
    encoder.close();
  }
  return Secret("Basic " + out.str());
}

CpqAuth::CpqAuth(const CpqConnection& conn)
    : authorization_(basic_authorization(conn.access_key + "+" + conn.public_key,
                                         conn.private_key)) {}

void CpqAuth::apply(HttpHeaders& headers) const {
  headers.set("Authorization", authorization_.reveal());
}

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
