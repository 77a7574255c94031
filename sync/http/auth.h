// How an upstream authenticates a request: each upstream folder (sync/cpq,
// sync/connectwise, …) implements AuthProvider. Its implementations are the
// only places a private key is revealed; it goes straight into a header value
// and nowhere else (never into errors, logs or URLs).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "base/secret.h"
#include "sync/http/http_client.h"

namespace cwsync {

class AuthProvider {
 public:
  virtual ~AuthProvider() = default;
  // Sets the authentication (and API-mandated) headers on `headers`,
  // replacing any existing ones of the same names. Thread-safe.
  virtual void apply(HttpHeaders& headers) const = 0;
};

// "Basic " + base64(user + ":" + password), no line breaks. The result holds
// the password, so it is returned as a Secret.
Secret basic_authorization(const std::string& user, const Secret& password);

// What an upstream says, in its own terms, when its account is the problem.
struct AccountProblemWords {
  const char* unauthorized;  // 401 (and kAuth without 403)
  const char* forbidden;     // 403
  const char* not_found;     // 404
};

// The words for `error` when it is an account problem (kAuth, kNotFound);
// "" otherwise.
std::string account_problem(const Error& error, const AccountProblemWords& words);

}  // namespace cwsync
