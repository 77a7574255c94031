// Upstream JSON list pages: split into elements that keep their own bytes,
// and the tolerant typed readers every mapper (CPQ, PSA) uses.
// The CPQ quote and item pages take the faster simdjson path instead
// (sync/http/fast_page.h: 4x less CPU on a full sync's bodies), which falls
// back to split_page for anything but a bare list of objects and reads
// fields with the rules below.
//
// A list page is parsed once (to validate it and read typed values) and its
// top-level elements are then located in the body, so raw_json holds exactly
// the bytes the API sent: no dump() re-serialisation (10× the upsert cost).
//
//   auto page = split_page(body, "quotes page 3");   // kMalformed if not a list
//   for (auto& e : page->elements) rows.push_back(*map_quote(e.value, e.raw));  // sync/cpq/quote_mapper.h
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"

namespace cwsync {

struct PageElement {
  nlohmann::json value;   // the parsed element
  std::string_view raw;   // its bytes inside the page body (valid while the body lives)
};

struct SplitPage {
  std::vector<PageElement> elements;
  bool sliced = true;     // false: raw bytes could not be located (envelope); raw
                          // then points into `fallback` (dump() of each element)
  std::vector<std::string> fallback;

  // Move-only: a copy of `fallback` would leave the copied raws pointing at
  // the original's strings (a move keeps the heap buffers in place).
  SplitPage() = default;
  SplitPage(SplitPage&&) noexcept = default;
  SplitPage& operator=(SplitPage&&) noexcept = default;
  SplitPage(const SplitPage&) = delete;
  SplitPage& operator=(const SplitPage&) = delete;
};

// Parses `body` as a bare JSON array (or {"data":[...]}, {"items":[...]}) and locates each
// element's bytes. Errors: kMalformed naming `what` (truncated JSON, HTML,
// an object where a list belongs, an element that is not an object).
// Does not keep a reference to `what`; the result references `body`.
Result<SplitPage> split_page(const std::string& body, std::string_view what);
// A temporary body would leave every PageElement::raw dangling.
Result<SplitPage> split_page(std::string&& body, std::string_view what) = delete;

// The kMalformed error a mapper returns for one bad element: `message` says
// what is wrong, `what` names the element ("quote 7f3a…").
Error malformed_element(std::string_view what, std::string message);

// obj's "id" as an integer (the key of every PSA row). kMalformed "a|an <what>
// without an integer id" naming `what` otherwise.
Result<std::int64_t> required_integer_id(const nlohmann::json& obj, std::string_view what);

// ---- small typed readers shared by the mappers (tolerant: null, missing or
// the wrong type → nullopt) ---------------------------------------------------
namespace json_read {
std::optional<std::string> text(const nlohmann::json& obj, std::string_view key);
std::optional<double> number(const nlohmann::json& obj, std::string_view key);
std::optional<bool> boolean(const nlohmann::json& obj, std::string_view key);
// A whole number that fits int64; fractional, huge or non-finite values read as absent
// rather than being truncated (casting 1e300 to an integer is undefined behaviour).
std::optional<std::int64_t> integer(const nlohmann::json& obj, std::string_view key);
// ISO-8601 (with or without zone/fraction) truncated to whole seconds.
std::optional<TimePoint> time(const nlohmann::json& obj, std::string_view key);
// A string, or an integer rendered as text (ids).
std::optional<std::string> id_text(const nlohmann::json& obj, std::string_view key);
// obj[key][sub] (a reference object such as {"id":5,"name":"x"}).
const nlohmann::json* child(const nlohmann::json& obj, std::string_view key);

// The conversion rules above, on values already typed: the simdjson path
// (sync/http/fast_page.h) calls the same functions, so both read alike.
// A decimal sent as text (the whole string must be a finite number).
std::optional<double> number_from_text(std::string_view s);
// A whole double that fits int64, else nullopt.
std::optional<std::int64_t> integer_from_double(double d);
// An ISO-8601 text truncated to seconds (base/clock.h parse_iso8601).
std::optional<TimePoint> time_from_text(std::string_view s);
}  // namespace json_read

}  // namespace cwsync
