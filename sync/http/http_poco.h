// The production HttpClient, on Poco::Net.
//
// - https verifies the server certificate and host name against the system CA
//   store; there is no switch to turn that off. http:// is refused unless the
//   host is loopback or the request says allow_insecure.
// - Keep-alive sessions are pooled per scheme+host+port; a session is used by
//   one thread at a time, and dropped after any error.
// - Sends Accept-Encoding: gzip and decodes gzip bodies transparently.
// - Connect and read timeouts (per socket operation) come from the options,
//   overridable per request.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/clock.h"
#include "sync/http/http_client.h"

namespace cwsync {

struct PocoHttpOptions {
  Millis connect_timeout{10'000};
  Millis read_timeout{60'000};
  // CA certificates: a PEM file or a hashed directory. Empty: OpenSSL's
  // built-in default paths.
  std::string ca_location = "/etc/ssl/certs";
  std::size_t max_body_bytes = 256u << 20;  // decoded; larger → kMalformed
  std::size_t max_idle_per_host = 4;        // pooled keep-alive sessions
  Millis keep_alive_idle{8'000};            // reconnect after this much idle time
};

// Creates the client. Its TLS context (and OpenSSL, once per process) is
// made by its first https request, so a client that only talks plain http
// never loads them; a context that cannot be made then fails that request
// with kConfig. Throws std::runtime_error if ca_location names nothing; call
// it at start-up.
std::unique_ptr<HttpClient> make_poco_http_client(const PocoHttpOptions& options = {});

// TLS contexts made so far in this process, by all clients (tests: plain
// http makes none).
std::size_t poco_tls_contexts_made();

}  // namespace cwsync
