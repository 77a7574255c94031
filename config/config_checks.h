// Internal to the config loader: checks of single values. Pure, thread-safe.
// Each check returns an error message (what is wrong; expected ...) or "".
#pragma once

#include <string>
#include <string_view>

namespace cwsync::config_detail {

enum class UrlPath { kAllowed, kForbidden };

// An http(s)://host[:port][/path] URL with no user:password@, query or
// fragment. http:// only for loopback hosts unless `allow_insecure`.
// kForbidden: nothing after host[:port] but an optional "/".
std::string check_url(std::string_view url, bool allow_insecure, UrlPath path);

// `url` without trailing slashes, so callers can append "/api/...".
std::string strip_trailing_slashes(std::string_view url);

// localhost, 127.0.0.0/8 or ::1 (with or without brackets).
bool is_loopback_host(std::string_view host);

// "host:port" or "[v6addr]:port" with port 0..65535 (0: any free port).
std::string check_host_port(std::string_view text);

// The host part of a "host:port" that passed check_host_port ("[::1]" keeps
// its brackets; is_loopback_host accepts them).
std::string_view listen_host(std::string_view host_port);

// 8-4-4-4-12 hexadecimal digits, e.g. 3f2a1b4c-0000-4000-8000-00000000cafe.
bool is_guid(std::string_view text);

// [a-z0-9_-]{1,64}: the `tenant` column and a safe file/metric label.
bool is_tenant_name(std::string_view text);

}  // namespace cwsync::config_detail
