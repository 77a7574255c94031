// The one narrow transport interface every upstream call goes through.
//
// HttpClient sends one request and returns the response, whatever its status:
// a 500 is a response, not an error. Errors are transport failures only
// (timeout, reset, DNS, TLS, an insecure URL refused). Retrying, classifying
// and authenticating happen above this layer (api_client.h), so tests can run
// the protocol logic against a real loopback server.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cwsync {

// Header list with case-insensitive names (HTTP field names are). Keeps order
// and duplicates, as received.
class HttpHeaders {
 public:
  // Replaces every field named `name` with one field.
  void set(std::string_view name, std::string_view value);
  // Appends a field, keeping existing ones of the same name.
  void add(std::string_view name, std::string_view value);
  // The first field named `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  void remove(std::string_view name);

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;                 // absolute: scheme://host[:port]/path?query
  HttpHeaders headers;
  std::string body;                // sent when non-empty (or method is POST/PUT/PATCH)
  // Per-request overrides of the client's timeouts.
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<std::chrono::milliseconds> read_timeout;
  // Permit http:// to a non-loopback host (config allow_insecure).
  bool allow_insecure = false;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;                // already gzip-decoded
  // True once the whole request was written to the wire. Always true for a
  // received response; meaningful on errors via Error::ambiguous.
  bool sent = true;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` and returns the response for any status code.
  // Errors: kTimeout, kNetwork (reset, refused, DNS, TLS), kConfig (plain
  // http to a non-loopback host without allow_insecure; other schemes),
  // kInvalidInput (unparseable URL), kMalformed (corrupt gzip, body over the
  // size limit). Error::ambiguous is set when the request had been
  // fully sent before the failure. Thread-safe.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// The URL as it may appear in logs and errors: no userinfo, and the values of
// query parameters whose names look secret (key, token, secret, password,
// signature, auth) replaced by "***". Unparseable input yields "(invalid url)".
std::string redact_url(std::string_view url);

// "GET https://host/path?q" with the URL redacted; the Error::context format.
std::string request_context(std::string_view method, std::string_view url);

// True for localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

// Whether `url` may be used: https always; http only for a loopback host or
// with allow_insecure. kConfig (scheme refused) or kInvalidInput (not a URL)
// naming the redacted URL otherwise.
Status check_url_allowed(std::string_view url, bool allow_insecure);

}  // namespace cwsync
