// The QuoteView field table: one entry per field, used for JSON output,
// includeFields projection and conditions alike, so the three never disagree.
#pragma once

#include "store.h"

#include <string>
#include <string_view>
#include <vector>

namespace cwsim {

struct QuoteField {
  std::string_view name;
  // The value as conditions see it (customer: its id).
  Value (*get)(const Store& store, const Quote& q);
  // Writes the field into `out`, or nothing when the row lacks it.
  void (*put)(const Store& store, const Quote& q, std::string_view name, nlohmann::ordered_json& out);
};

// All fields in output order.
const std::vector<QuoteField>& quote_fields();
// Case-insensitive lookup; nullptr when QuoteView has no such field.
const QuoteField* find_quote_field(std::string_view name);
// Serialized JSON object with `fields` (all when empty), in table order.
std::string serialize_quote(const Store& store, const Quote& q, const std::vector<const QuoteField*>& fields);

}  // namespace cwsim
