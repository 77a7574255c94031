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

std::string account_problem(const Error& e, const AccountProblemWords& words) {
  if (e.kind == ErrorKind::kAuth) return e.http_status == 403 ? words.forbidden : words.unauthorized;
  if (e.kind == ErrorKind::kNotFound) return words.not_found;
  return {};
}

}  // namespace cwsync
