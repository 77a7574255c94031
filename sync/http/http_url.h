// Building request URLs: path joining and query encoding (via Poco::URI), and
// the 2000-character limit ConnectWise documents (docs/design.md, "Upstream").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cwsync {

inline constexpr std::size_t kMaxUrlLength = 2000;

// Joins a base URL ending in a directory ("https://h/v2025_1/apis/3.0/") and
// a relative path ("/service/tickets/5/notes" or "service/..."), with exactly
// one slash between them. Pure.
std::string url_join(std::string_view base, std::string_view path);

// An absolute URL under construction. Values are percent-encoded as query
// parameters (space → %20, brackets and quotes encoded), so conditions like
// `modifyDate >= [2026-01-01]` can be passed verbatim.
class UrlBuilder {
 public:
  // `url` may already carry a query; its parameters are kept as they are.
  explicit UrlBuilder(std::string url);

  // Appends name=value.
  UrlBuilder& add(std::string_view name, std::string_view value);
  UrlBuilder& add(std::string_view name, long long value);
  // Replaces every parameter called `name` by one name=value (appends if
  // missing); other parameters keep their order.
  UrlBuilder& set(std::string_view name, std::string_view value);

  const std::string& str() const { return url_; }
  std::size_t length() const { return url_.size(); }
  // Whether the URL with name=value appended stays within `max` characters.
  // Use it to size batches such as `idQuote in ("a","b",...)`.
  bool fits_with(std::string_view name, std::string_view value,
                 std::size_t max = kMaxUrlLength) const;

 private:
  std::string url_;
};

// The percent-encoded form of a query parameter value, as UrlBuilder writes it.
std::string encode_query_value(std::string_view value);

}  // namespace cwsync
