// Shared by fuzz_fast_page and tests/sync/fast_page_test.cpp: parse_fast_page
// (simdjson) must answer exactly as split_page (nlohmann) for any body: the
// same error message, the same element bytes, the same mapped rows (or the
// same mapping error) for quotes and for quote items.
#pragma once

#include <string>

#include "row_equal.h"
#include "sync/cpq/quote_mapper.h"
#include "sync/http/fast_page.h"
#include "sync/http/json_page.h"

namespace cwsync_fuzz {

// Both mappings of one element agree (rows identical, or both errors with
// the same message).
template <class Row>
bool same_result(const cwsync::Result<Row>& a, const cwsync::Result<Row>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error().describe() == b.error().describe();
  return same_row(*a, *b);
}

// "" when both paths agree on `body`, else what differs first.
inline std::string fast_page_difference(const std::string& body) {
  using namespace cwsync;
  auto dom = split_page(body, "page");
  auto fast = parse_fast_page(body, "page");
  if (dom.ok() != fast.ok()) {
    return std::string("split_page ") + (dom.ok() ? "accepted" : "refused") +
           " the body, parse_fast_page " + (fast.ok() ? "accepted" : "refused") + " it";
  }
  if (!dom.ok()) {
    return dom.error().describe() == fast.error().describe()
               ? ""
               : "errors differ: " + dom.error().describe() + " / " + fast.error().describe();
  }
  if (dom->elements.size() != fast->size()) return "element counts differ";
  for (std::size_t k = 0; k < fast->size(); ++k) {
    const PageElement& e = dom->elements[k];
    const std::string at = "element " + std::to_string(k) + ": ";
    if (e.raw != fast->raw(k)) return at + "raw bytes differ";
    if (fast->used_simdjson() &&
        (fast->raw(k).data() < body.data() ||
         fast->raw(k).data() + fast->raw(k).size() > body.data() + body.size())) {
      return at + "raw is not inside the body";
    }
    if (!same_result(map_quote(e.value, e.raw), map_quote(fast->fields(k), fast->raw(k)))) {
      return at + "map_quote differs";
    }
    if (!same_result(map_quote_item(e.value, e.raw),
                     map_quote_item(fast->fields(k), fast->raw(k)))) {
      return at + "map_quote_item differs";
    }
  }
  return "";
}

}  // namespace cwsync_fuzz
