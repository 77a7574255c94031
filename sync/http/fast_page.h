// The fast way to read a JSON list page (the CPQ quote and quote-item pages,
// 68 MB for a 30,000-quote sync): simdjson On-Demand walks the body once and
// keeps each element's scalar fields in flat arrays, with no DOM (nlohmann's
// per-node std::map allocations were most of the parse cost; docs/sync.md, "The JSON path of CPQ pages").
//
// It answers exactly as split_page + json_read:: do (sync/http/json_page.h):
//  - raw is the element's bytes in the body (simdjson's raw_json(), trimmed);
//  - ElementFields reads with the json_read:: rules (the shared
//    number_from_text / integer_from_double / time_from_text);
//  - whenever simdjson refuses the body, or it is not a bare array of objects
//    (an envelope, a scalar, a bad element, an integer beyond 64 bits), the
//    page is handed to split_page, so a malformed page gets split_page's own
//    kMalformed error and an envelope its own raw handling.
// Every value is walked (nested arrays too), so a body simdjson accepts is
// valid JSON; fuzz_fast_page checks both paths agree.
//
//   auto page = parse_fast_page(body, "GET quotes page 3");   // kMalformed as split_page
//   for (std::size_t k = 0; k < page->size(); ++k) map_quote(page->fields(k), page->raw(k));
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "sync/http/json_page.h"

namespace cwsync {

// One field of an element (or of an object-valued field: one level down is
// what the mappers read, e.g. customer.id). Strings point into the page's arena.
struct FlatField {
  enum class Type : std::uint8_t { kNull, kString, kInt, kUint, kDouble, kBool, kObject, kArray };
  std::string_view key;
  std::uint32_t hash = 0;  // of key (fnv1a below), for the per-element index
  Type type = Type::kNull;
  bool boolean = false;
  union {  // by type: a page of 1000 quotes holds ~30,000 of these
    std::int64_t i = 0;
    std::uint64_t u;
    double d;
  };
  std::string_view text;                         // kString; NUL-terminated in the arena
  std::uint32_t child_begin = 0, child_end = 0;  // kObject: its fields in FastPage::children_
};

class FastPage;

// One element's fields, read with the json_read:: rules (null, missing or the
// wrong type → nullopt). Over either representation: a FastPage element or
// an nlohmann object (the split_page path), so each mapper is written once.
class ElementFields {
 public:
  // By pointer: a reference would let map_quote({{"id", "x"}}, raw) (a
  // braced nlohmann object, as tests write) build either overload.
  explicit ElementFields(const nlohmann::json* obj) : dom_(obj) {}

  std::optional<std::string> text(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<TimePoint> time(std::string_view key) const;
  std::optional<std::string> id_text(std::string_view key) const;
  // A JSON integer as nlohmann's get<int64_t>() gives it (an unsigned above
  // INT64_MAX wraps, as it does there), nullopt for any other type.
  std::optional<std::int64_t> exact_integer(std::string_view key) const;
  bool is_object(std::string_view key) const;
  // id_text of obj[key][sub] when obj[key] is an object.
  std::optional<std::string> child_id_text(std::string_view key, std::string_view sub) const;

 private:
  friend class FastPage;
  ElementFields(const FastPage* page, std::size_t element);
  const FlatField* find(std::string_view key) const;

  const nlohmann::json* dom_ = nullptr;
  const FastPage* page_ = nullptr;
  const FlatField* begin_ = nullptr;
  const FlatField* end_ = nullptr;
  // key hash → 1 + index of the last field with that key (0: empty); unused
  // when the element has more fields than fit (then find() scans).
  std::array<std::uint16_t, 128> index_{};
  bool indexed_ = false;
};

class FastPage {
 public:
  std::size_t size() const { return dom_ ? dom_->elements.size() : elements_.size(); }
  std::string_view raw(std::size_t k) const {
    return dom_ ? dom_->elements[k].raw : elements_[k].raw;
  }
  ElementFields fields(std::size_t k) const {
    return dom_ ? ElementFields(&dom_->elements[k].value) : ElementFields(this, k);
  }
  bool used_simdjson() const { return !dom_.has_value(); }

  FastPage() = default;
  FastPage(FastPage&&) noexcept = default;
  FastPage& operator=(FastPage&&) noexcept = default;
  FastPage(const FastPage&) = delete;  // fields point into arena_ (a move keeps its buffer)
  FastPage& operator=(const FastPage&) = delete;

 private:
  friend class ElementFields;
  friend Result<FastPage> parse_fast_page(const std::string& body, std::string_view what);
  friend class FastPageBuilder;
  struct Element {
    std::string_view raw;
    std::uint32_t begin = 0, end = 0;  // its fields in fields_
  };
  std::vector<Element> elements_;
  std::vector<FlatField> fields_;
  std::vector<FlatField> children_;
  // Unescaped keys and strings, NUL-terminated; reserved once, never grows.
  // A vector, not a string: a moved std::string may move its characters
  // (the small-string buffer), a vector's buffer stays where the views point.
  std::vector<char> arena_;
  std::optional<SplitPage> dom_;  // set when the page took the split_page path
};

// Parses a list page like split_page(body, what) (same errors, same raw
// bytes, same values through ElementFields). Reads up to SIMDJSON_PADDING
// bytes past body.size() when body.capacity() allows (reserve_json_padding);
// otherwise copies the body once into a padded buffer. The result references
// `body`.
Result<FastPage> parse_fast_page(const std::string& body, std::string_view what);
Result<FastPage> parse_fast_page(std::string&& body, std::string_view what) = delete;

// The spare capacity parse_fast_page reads past a body's end
// (SIMDJSON_PADDING): the HTTP client reserves it with the body.
inline constexpr std::size_t kJsonPadding = 64;

// Gives a complete `body` that spare capacity (one reallocation when it has
// less), for bodies not read by the HTTP client (benchmarks, tests).
void reserve_json_padding(std::string& body);

}  // namespace cwsync
