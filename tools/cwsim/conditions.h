// The `conditions` query language of both ConnectWise APIs.
//
//   conditions = accountName = "Acme" and (isLost = True or quoteTotal > 10)
//
// Supported: = != <> < <= > >= contains, like (with *), in (...), not in,
// and/or/not, parentheses, "strings" or 'strings', numbers, True/False, null,
// and bracketed dates. The dialect decides what a bracket may hold: CPQ takes
// only [yyyy-MM-dd] (a time part is an error, as public clients report); PSA
// takes [yyyy-MM-ddTHH:mm:ssZ] and plain dates. PSA also maps the bare names
// `lastUpdated` and `dateEntered` to `_info/lastUpdated` and `_info/dateEntered`.
#pragma once

#include "value.h"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cwsim {

enum class Dialect { kCpq, kPsa };

// Thrown by Condition::parse with a message meant for the 400 response body.
// Never escapes the simulator's request handlers.
class ConditionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Condition {
 public:
  // Reads a field of the record under test; Value::null() when absent.
  using Resolver = std::function<Value(std::string_view field)>;

  // Parses `text`. Throws ConditionError on any syntax or literal error.
  static std::shared_ptr<const Condition> parse(std::string_view text, Dialect dialect);

  ~Condition();
  // True when the record the resolver reads satisfies the expression.
  bool matches(const Resolver& resolve) const;
  // Every field name the expression reads (after alias mapping), for callers
  // that reject unknown fields.
  const std::vector<std::string>& fields() const { return fields_; }
  // When the top-level conjunction pins `field` with `=` or `in`, the allowed
  // values as text; lets callers use an index instead of a scan.
  std::optional<std::vector<std::string>> pinned_values(std::string_view field) const;

  struct Node;

 private:
  Condition() = default;
  std::unique_ptr<Node> root_;
  std::vector<std::string> fields_;
};

}  // namespace cwsim
