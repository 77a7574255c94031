// The Link response header (RFC 8288), which PSA uses for paging:
//   Link: <https://host/v4_6_release/apis/3.0/x?page=2>; rel="next", <...>; rel="last"
// Poco has no parser for it; this one is small and tolerant: a malformed
// link-value is skipped, never fatal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sync/http/http_client.h"

namespace cwsync {

struct LinkValue {
  std::string target;  // the URI-reference between < and >, verbatim
  // Parameters in order; names lower-cased, quoted values unquoted.
  std::vector<std::pair<std::string, std::string>> params;

  // The first value of parameter `name` (case-insensitive), or nullopt.
  std::optional<std::string> param(std::string_view name) const;
  // True when the rel parameter's space-separated list contains `rel`
  // (case-insensitive).
  bool has_rel(std::string_view rel) const;
};

// Parses one Link field value into its link-values. Commas and semicolons
// inside <...> or quoted strings do not split. Pure; never throws.
std::vector<LinkValue> parse_link_header(std::string_view value);

// The target of the first link with relation `rel` across every Link field
// of `headers`, or nullopt.
std::optional<std::string> find_link(const HttpHeaders& headers, std::string_view rel);

}  // namespace cwsync
