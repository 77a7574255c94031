// Listing helpers for records stored as JSON (PSA objects, CPQ line items):
// field access by "a/b" path, `fields=` projection, `orderBy=` sorting.
#pragma once

#include "http_util.h"
#include "store.h"

#include <string>
#include <string_view>
#include <vector>

namespace cwsim {

// The value at "a/b/c" in `j` (Value::null() when absent). String values
// point into `j`.
Value json_value(const Json& j, std::string_view path);
// True when `path` is in `known` or is a parent of an entry ("member" for
// "member/id"). Case-insensitive.
bool known_path(const std::vector<std::string>& known, std::string_view path);
// Copies only `paths` ("id", "company/name", ...) from `j`, keeping nesting.
Json project(const Json& j, const std::vector<std::string>& paths);

struct SortKey {
  std::string path;
  bool desc = false;
};
// Parses "a/b asc, id desc". Throws HttpError-compatible std::invalid_argument.
std::vector<SortKey> parse_order_by(const std::string& text);
// Stable sort of `rows` by keys (nulls first ascending, like SQL Server).
void sort_rows(std::vector<const Json*>& rows, const std::vector<SortKey>& keys);

}  // namespace cwsim
