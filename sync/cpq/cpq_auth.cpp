#include "sync/cpq/cpq_auth.h"

namespace cwsync {

CpqAuth::CpqAuth(const CpqConnection& conn)
    : authorization_(basic_authorization(conn.access_key + "+" + conn.public_key,
                                         conn.private_key)) {}

void CpqAuth::apply(HttpHeaders& headers) const {
  headers.set("Authorization", authorization_.reveal());
}

std::string diagnose_cpq(const Error& e) {
  static const AccountProblemWords kWords{
      "401 Unauthorized: the CPQ public/private API keys are wrong or expired (regenerate "
      "them in Sell: Settings > API keys)",
      "403 Forbidden: the CPQ account has no API licence, or the API user's role lacks "
      "permission for this endpoint; ask the Sell administrator",
      "404 Not Found: the CPQ access key is wrong (use the accesskey= value from your Sell "
      "URL) or the base URL is not the Sell API"};
  return account_problem(e, kWords);
}

}  // namespace cwsync
