#include "sync/http/http_url.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace cwsync {

std::string url_join(std::string_view base, std::string_view path) {
  std::string out(base);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += path;
  return out;
}

std::string encode_query_value(std::string_view value) {
  std::string out;
  // Poco always encodes controls, space, non-ASCII and its ILLEGAL set;
  // these are the query delimiters it would otherwise leave alone.
  Poco::URI::encode(std::string(value), "?#/:;+@&=", out);
  return out;
}

UrlBuilder::UrlBuilder(std::string url) : url_(std::move(url)) {}

UrlBuilder& UrlBuilder::add(std::string_view name, std::string_view value) {
  // Poco::URI::addQueryParameter re-encodes the existing query, which would
  // rewrite what the caller (or a server's next link) wrote; append instead.
  const size_t hash = url_.find('#');
  std::string fragment;
  if (hash != std::string::npos) {
    fragment = url_.substr(hash);
    url_.resize(hash);
  }
  const size_t q = url_.find('?');
  if (q == std::string::npos) {
    url_ += '?';
  } else if (q + 1 < url_.size() && url_.back() != '&') {
    url_ += '&';
  }
  url_ += encode_query_value(name) + "=" + encode_query_value(value) + fragment;
  return *this;
}

UrlBuilder& UrlBuilder::add(std::string_view name, long long value) {
  return add(name, std::to_string(value));
}

UrlBuilder& UrlBuilder::set(std::string_view name, std::string_view value) {
  const size_t q = url_.find('?');
  if (q == std::string::npos) return add(name, value);
  const size_t hash = url_.find('#', q);
  const std::string fragment = hash == std::string::npos ? "" : url_.substr(hash);
  const std::string query = url_.substr(q + 1, (hash == std::string::npos ? url_.size() : hash) - q - 1);
  std::string kept;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string part = query.substr(start, amp - start);
    std::string raw_name = part.substr(0, part.find('='));
    std::string decoded;
    try {
      Poco::URI::decode(raw_name, decoded);
    } catch (const Poco::Exception&) {
      decoded = raw_name;
    }
    if (!part.empty() && decoded != name) {
      if (!kept.empty()) kept += '&';
      kept += part;
    }
    start = amp + 1;
  }
  url_ = url_.substr(0, q) + (kept.empty() ? "" : "?" + kept) + fragment;
  return add(name, value);
}

bool UrlBuilder::fits_with(std::string_view name, std::string_view value, std::size_t max) const {
  return UrlBuilder(url_).add(name, value).length() <= max;
}

}  // namespace cwsync
