// Authentication headers for the two ConnectWise APIs (docs/design.md, "Upstream"). This is
// the only place a private key is revealed; it goes straight into a header
// value and nowhere else (never into errors, logs or URLs).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "sync/http/http_client.h"

namespace cwsync {

class AuthProvider {
 public:
  virtual ~AuthProvider() = default;
  // Sets the authentication (and API-mandated) headers on `headers`,
  // replacing any existing ones of the same names. Thread-safe.
  virtual void apply(HttpHeaders& headers) const = 0;
};

// CPQ (Sell): Authorization: Basic base64("{accessKey}+{publicKey}:{privateKey}").
// No clientId header.
class CpqAuth final : public AuthProvider {
 public:
  explicit CpqAuth(const CpqConnection& conn);
  void apply(HttpHeaders& headers) const override;

 private:
  Secret authorization_;  // the whole header value, itself a secret
};

// PSA (Manage): Authorization: Basic base64("{companyId}+{publicKey}:{privateKey}"),
// clientId: <GUID>, Accept: application/vnd.connectwise.com+json; version=<api_version>.
class PsaAuth final : public AuthProvider {
 public:
  explicit PsaAuth(const PsaConnection& conn);
  void apply(HttpHeaders& headers) const override;

 private:
  Secret authorization_;
  std::string client_id_;
  std::string accept_;
};

// "Basic " + base64(user + ":" + password), no line breaks. The result holds
// the password, so it is returned as a Secret.
Secret basic_authorization(const std::string& user, const Secret& password);

}  // namespace cwsync
