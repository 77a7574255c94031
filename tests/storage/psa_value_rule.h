// The value rule of schema version 9 for the tests' reference views: the
// schema-v1 view text computes a psa item's value as the linked latest quote
// totals, 0 when none. Since version 9 an item that no latest live quote
// version links to is worth its stored value (Autotask's amount; NULL, so 0,
// for ConnectWise). Restated here independently of the migration's SQL, so
// that a reference built with it checks the migration rather than repeats it.
#pragma once

#include <regex>
#include <string>

namespace cwsync::storage::testing {

// `sql` (v1's view text, or anything restating v1's psa value) with the
// version-9 rule in place of v1's. Returns "" if v1's expression is absent,
// so a caller can assert that the substitution happened.
inline std::string with_v9_psa_value(const std::string& sql) {
  static const std::regex v1_value(
      R"(COALESCE\(\(SELECT SUM\(l\.quote_total\) FROM cpq_quote_latest l\s+)"
      R"(WHERE l\.tenant = o\.tenant AND l\.crm_opportunity_id = o\.id\), 0\.0\))");
  const std::string v9_value =
      "(SELECT CASE WHEN COUNT(*) = 0 THEN COALESCE(o.value, 0.0) ELSE TOTAL(l.quote_total) END "
      "FROM cpq_quote_latest l WHERE l.tenant = o.tenant AND l.crm_opportunity_id = o.id)";
  if (!std::regex_search(sql, v1_value)) return "";
  return std::regex_replace(sql, v1_value, v9_value);
}

}  // namespace cwsync::storage::testing
