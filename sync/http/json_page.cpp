#include "sync/http/json_page.h"

#include <cmath>
#include <cstdlib>

namespace cwsync {
namespace {

using nlohmann::json;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Byte ranges of the top-level elements of an array that nlohmann has already
// validated, so this only tracks string state and nesting; it is a locator,
// not a parser. Returns false when the shape is not what was validated (then
// the caller falls back to dump()).
bool locate_elements(std::string_view body, std::vector<std::string_view>& out) {
  std::size_t i = 0;
  while (i < body.size() && is_space(body[i])) ++i;
  if (i == body.size() || body[i] != '[') return false;
  ++i;
  for (;;) {
    while (i < body.size() && (is_space(body[i]) || body[i] == ',')) ++i;
    if (i >= body.size()) return false;
    if (body[i] == ']') return true;
    std::size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < body.size(); ++i) {
      char c = body[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') {
        if (depth == 0) break;  // the closing ']' of the list after a scalar
        if (--depth == 0) { ++i; break; }
      } else if (c == ',' && depth == 0) break;
    }
    std::size_t end = i;
    while (end > start && is_space(body[end - 1])) --end;
    if (end == start) return false;
    out.push_back(body.substr(start, end - start));
  }
}

// Poco's DateTimeParser is lenient (it accepts "not a date"), so check the
// "YYYY-MM-DD" prefix before handing the text to it.
bool looks_like_date(std::string_view s) {
  if (s.size() < 10) return false;
  for (std::size_t k : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[k] < '0' || s[k] > '9') return false;
  }
  return s[4] == '-' && s[7] == '-' && (s.size() == 10 || s[10] == 'T' || s[10] == ' ');
}

std::optional<TimePoint> to_seconds(std::optional<TimePoint> t) {
  if (!t) return t;
  return std::chrono::floor<std::chrono::seconds>(*t);
}

}  // namespace

Error malformed_element(std::string_view what, std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message), std::string(what));
}

Result<std::int64_t> required_integer_id(const nlohmann::json& obj, std::string_view what) {
  const nlohmann::json* id = json_read::child(obj, "id");
  if (id != nullptr && id->is_number_integer()) return id->get<std::int64_t>();
  const bool vowel = !what.empty() && std::string_view("aeiou").find(what[0]) != std::string_view::npos;
  return malformed_element(what, std::string(vowel ? "an " : "a ") + std::string(what) +
                                     " without an integer id");
}

namespace json_read {

const json* child(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> text(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<double> number_from_text(std::string_view s) {
  // strtod stops at a NUL, so text with an embedded NUL is not a number;
  // the copy gives strtod its terminator.
  const std::string text(s);
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d)) return d;
  return std::nullopt;
}

std::optional<std::int64_t> integer_from_double(double d) {
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (std::trunc(d) != d || d >= kLimit || d < -kLimit) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

std::optional<TimePoint> time_from_text(std::string_view s) {
  if (!looks_like_date(s)) return std::nullopt;
  return to_seconds(parse_iso8601(s));
}

std::optional<double> number(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  // Some CPQ instances send decimals as strings.
  if (v->is_string()) return number_from_text(v->get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::int64_t> integer(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v != nullptr && v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }
  auto d = number(obj, key);
  if (!d) return std::nullopt;
  return integer_from_double(*d);
}

std::optional<bool> boolean(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::optional<TimePoint> time(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return time_from_text(v->get_ref<const std::string&>());
}

std::optional<std::string> id_text(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<long long>());
  return std::nullopt;
}

}  // namespace json_read

Result<SplitPage> split_page(const std::string& body, std::string_view what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return malformed_element(what, "the response is not valid JSON (truncated or not JSON: " +
                               std::to_string(body.size()) + " bytes)");
  }
  bool envelope = false;
  if (doc.is_object()) {
    auto it = doc.find("data");
    if (it == doc.end() || !it->is_array()) it = doc.find("items");
    if (it == doc.end() || !it->is_array()) {
      return malformed_element(what, "expected a JSON array of objects, got an object without a data or items array");
    }
    json data = std::move(*it);
    doc = std::move(data);
    envelope = true;
  }
  if (!doc.is_array()) {
    return malformed_element(what, std::string("expected a JSON array, got ") + doc.type_name());
  }
  SplitPage page;
  page.elements.reserve(doc.size());
  for (std::size_t k = 0; k < doc.size(); ++k) {
    if (!doc[k].is_object()) {
      return malformed_element(what, "element " + std::to_string(k) + " is " + doc[k].type_name() +
                                 ", expected an object");
    }
  }
  std::vector<std::string_view> raws;
  raws.reserve(doc.size());
  if (envelope || !locate_elements(body, raws) || raws.size() != doc.size()) {
    // Envelopes are a defensive case only (CPQ sends bare arrays): pay for dump().
    page.sliced = false;
    page.fallback.reserve(doc.size());
    for (const json& e : doc) page.fallback.push_back(e.dump());
    raws.clear();
    for (const std::string& s : page.fallback) raws.emplace_back(s);
  }
  for (std::size_t k = 0; k < doc.size(); ++k) {
    page.elements.push_back(PageElement{std::move(doc[k]), raws[k]});
  }
  return page;
}

}  // namespace cwsync
