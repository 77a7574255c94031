#include "config/config_checks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <Poco/String.h>

namespace cwsync::config_detail {
namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The URL in quotes for an error message, unless it might carry credentials.
std::string quoted(std::string_view url) {
  if (url.find('@') != std::string_view::npos) return "the URL";
  return "'" + std::string(url) + "'";
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (Poco::toLower(std::string(host)) == "localhost") return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

std::string strip_trailing_slashes(std::string_view url) {
  while (url.ends_with('/')) url.remove_suffix(1);
  return std::string(url);
}

std::string check_url(std::string_view url, bool allow_insecure, UrlPath path) {
  const std::string shape = path == UrlPath::kAllowed ? "https://host[:port][/path]"
                                                      : "https://host[:port]";
  Poco::URI uri;
  try {
    uri = Poco::URI(std::string(url));
  } catch (const Poco::Exception&) {
    return quoted(url) + " is not a valid URL; expected " + shape;
  }
  const std::string scheme = Poco::toLower(uri.getScheme());
  if (scheme != "http" && scheme != "https") {
    return quoted(url) + " is not an http(s) URL; expected " + shape;
  }
  if (uri.getHost().empty()) return quoted(url) + " has no host; expected " + shape;
  if (!uri.getUserInfo().empty()) {
    return "the URL must not contain user:password@; put credentials in public_key/private_key";
  }
  if (!uri.getRawQuery().empty() || !uri.getFragment().empty() ||
      url.find('?') != std::string_view::npos || url.find('#') != std::string_view::npos) {
    return quoted(url) + " has a query or fragment; expected " + shape;
  }
  if (path == UrlPath::kForbidden && !uri.getPath().empty() && uri.getPath() != "/") {
    return quoted(url) + " has a path; expected " + shape +
           " only (cwsync adds /login/companyinfo and the codebase itself)";
  }
  if (scheme == "http" && !allow_insecure && !is_loopback_host(uri.getHost())) {
    return "http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); "
           "expected https://, or set allow_insecure: true";
  }
  return {};
}

std::string check_host_port(std::string_view text) {
  const std::string expected = "; expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464";
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return "'" + std::string(text) + "' is not host:port" + expected;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    const std::string inner(host.substr(1, host.size() - 2));
    in6_addr v6{};
    if (!host.ends_with(']') || inet_pton(AF_INET6, inner.c_str(), &v6) != 1) {
      return "'" + std::string(host) + "' is not a bracketed IPv6 address" + expected;
    }
  } else if (host.find_first_of(":/ \t[]") != std::string_view::npos) {
    return "'" + std::string(host) + "' is not a host name or address" + expected;
  }
  unsigned n = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || n > 65535) {
    return "'" + std::string(port) + "' is not a port number (0-65535)" + expected;
  }
  return {};
}

std::string_view listen_host(std::string_view host_port) {
  const auto colon = host_port.rfind(':');
  return colon == std::string_view::npos ? host_port : host_port.substr(0, colon);
}

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

bool is_tenant_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace cwsync::config_detail
