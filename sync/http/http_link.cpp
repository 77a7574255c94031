#include "sync/http/http_link.h"

#include <cctype>

#include <Poco/String.h>

namespace cwsync {
namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  void skip_ows() {
    while (!done() && is_ows(s_[pos_])) ++pos_;
  }
  void advance() { ++pos_; }

  // Up to (not including) any char in `stops` or whitespace.
  std::string token(std::string_view stops) {
    size_t start = pos_;
    while (!done() && stops.find(s_[pos_]) == std::string_view::npos && !is_ows(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // At an opening quote: the unescaped content; stops after the closing quote
  // (or at the end for an unterminated string).
  std::string quoted() {
    std::string out;
    ++pos_;
    while (!done()) {
      char c = s_[pos_++];
      if (c == '"') break;
      if (c == '\\' && !done()) c = s_[pos_++];
      out += c;
    }
    return out;
  }

  // At '<': the target; false when there is no closing '>'.
  bool target(std::string& out) {
    size_t close = s_.find('>', pos_ + 1);
    if (close == std::string_view::npos) return false;
    out = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return true;
  }

  // Skips to just past the next top-level comma (outside quotes and <>).
  void recover() {
    bool in_quotes = false, in_angle = false;
    while (!done()) {
      char c = s_[pos_++];
      if (in_quotes) {
        if (c == '\\' && !done()) ++pos_;
        else if (c == '"') in_quotes = false;
      } else if (in_angle) {
        if (c == '>') in_angle = false;
      } else if (c == '"') {
        in_quotes = true;
      } else if (c == '<') {
        in_angle = true;
      } else if (c == ',') {
        return;
      }
    }
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> LinkValue::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (Poco::icompare(k, std::string(name)) == 0) return v;
  }
  return std::nullopt;
}

bool LinkValue::has_rel(std::string_view rel) const {
  auto value = param("rel");
  if (!value) return false;
  size_t i = 0;
  while (i < value->size()) {
    while (i < value->size() && std::isspace(static_cast<unsigned char>((*value)[i]))) ++i;
    size_t start = i;
    while (i < value->size() && !std::isspace(static_cast<unsigned char>((*value)[i]))) ++i;
    if (i > start && Poco::icompare(value->substr(start, i - start), std::string(rel)) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<LinkValue> parse_link_header(std::string_view value) {
  std::vector<LinkValue> out;
  Scanner sc(value);
  while (true) {
    while (!sc.done() && (is_ows(sc.peek()) || sc.peek() == ',')) sc.advance();
    if (sc.done()) break;
    LinkValue link;
    if (sc.peek() != '<' || !sc.target(link.target)) {
      sc.recover();
      continue;
    }
    bool ok = true;
    while (true) {
      sc.skip_ows();
      if (sc.done() || sc.peek() == ',') break;
      if (sc.peek() != ';') {
        ok = false;
        break;
      }
      sc.advance();
      sc.skip_ows();
      std::string name = Poco::toLower(sc.token("=;,"));
      sc.skip_ows();
      std::string param_value;
      if (sc.peek() == '=') {
        sc.advance();
        sc.skip_ows();
        param_value = sc.peek() == '"' ? sc.quoted() : sc.token(";,");
      }
      if (!name.empty()) link.params.emplace_back(std::move(name), std::move(param_value));
    }
    if (ok) {
      out.push_back(std::move(link));
    } else {
      sc.recover();
    }
  }
  return out;
}

std::optional<std::string> find_link(const HttpHeaders& headers, std::string_view rel) {
  for (const auto& [name, value] : headers.fields()) {
    if (Poco::icompare(name, std::string("Link")) != 0) continue;
    for (const auto& link : parse_link_header(value)) {
      if (link.has_rel(rel)) return link.target;
    }
  }
  return std::nullopt;
}

}  // namespace cwsync
