#include "sync/http/http_client.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace cwsync {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool looks_secret(std::string name) {
  name = Poco::toLower(name);
  static constexpr std::array<std::string_view, 7> kWords = {
      "key", "token", "secret", "passw", "signature", "auth", "credential"};
  for (auto w : kWords) {
    if (name.find(w) != std::string::npos) return true;
  }
  return name == "sig" || name == "pwd";
}

// Masks secret-looking parameter values while leaving the rest of the raw
// query byte-for-byte, so log lines match what went on the wire.
std::string redact_query(const std::string& raw) {
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t amp = raw.find('&', start);
    if (amp == std::string::npos) amp = raw.size();
    std::string part = raw.substr(start, amp - start);
    size_t eq = part.find('=');
    std::string name = part.substr(0, eq);
    std::string decoded;
    try {
      Poco::URI::decode(name, decoded);
    } catch (const Poco::Exception&) {
      decoded = name;
    }
    if (start > 0) out += '&';
    if (eq != std::string::npos && looks_secret(decoded)) {
      out += name + "=***";
    } else {
      out += part;
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace

void HttpHeaders::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void HttpHeaders::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  for (const auto& [k, v] : fields_) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

void HttpHeaders::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

std::string redact_url(std::string_view url) {
  try {
    Poco::URI uri{std::string(url)};
    if (uri.getScheme().empty() || uri.getHost().empty()) return "(invalid url)";
    std::string out = uri.getScheme() + "://";
    const std::string& host = uri.getHost();
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const std::string scheme = Poco::toLower(uri.getScheme());
    const unsigned short default_port = scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
    if (uri.getPort() != default_port) {
      out += ":" + std::to_string(uri.getPort());
    }
    out += uri.getPath().empty() ? "/" : uri.getPath();
    const std::string& raw_query = uri.getRawQuery();
    if (!raw_query.empty()) out += "?" + redact_query(raw_query);
    return out;
  } catch (const Poco::Exception&) {
    return "(invalid url)";
  }
}

std::string request_context(std::string_view method, std::string_view url) {
  return std::string(method) + " " + redact_url(url);
}

bool is_loopback_host(std::string_view host_in) {
  std::string host(host_in);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (iequals(host, "localhost")) return true;
  Poco::Net::IPAddress addr;
  return Poco::Net::IPAddress::tryParse(host, addr) && addr.isLoopback();
}

Status check_url_allowed(std::string_view url, bool allow_insecure) {
  Poco::URI uri;
  try {
    uri = Poco::URI(std::string(url));
  } catch (const Poco::Exception&) {
    return make_error(ErrorKind::kInvalidInput, "not a valid URL", redact_url(url));
  }
  const std::string scheme = Poco::toLower(uri.getScheme());
  if (uri.getHost().empty()) {
    return make_error(ErrorKind::kInvalidInput, "URL has no host", redact_url(url));
  }
  if (scheme == "https") return {};
  if (scheme == "http") {
    if (allow_insecure || is_loopback_host(uri.getHost())) return {};
    return make_error(ErrorKind::kConfig,
                      "refusing plain http:// to non-loopback host " + uri.getHost() +
                          "; use https:// or set allow_insecure: true",
                      redact_url(url));
  }
  return make_error(ErrorKind::kConfig, "unsupported URL scheme '" + scheme + "'",
                    redact_url(url));
}

}  // namespace cwsync
