// Autotask query bodies: {"filter":[...], "IncludeFields":[...], "MaxRecords":N}.
// Filter items are {op, field, value, udf} or {op:"and"|"or", items:[...]};
// the top-level array is an implicit "and" (docs/simulator.md, "Autotask queries").
#include <algorithm>
#include <optional>

#include "autotask.h"

namespace cwsim {
namespace {

const std::vector<std::string> kFieldOps = {
    "eq",       "noteq",    "gt",    "gte",      "lt", "lte",  "beginswith",
    "endswith", "contains", "exist", "notexist", "in", "notin"};

struct Invalid {
  std::string message;
};

bool is_date_field(const AtField* f) { return f && std::string(f->type) == "datetime"; }

std::string as_text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::optional<double> as_number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (compare_nocase(s, "true") == 0) return 1.0;
    if (compare_nocase(s, "false") == 0) return 0.0;
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

void check_item(const AtEntity& e, const Json& item, int depth) {
  if (!item.is_object()) throw Invalid{"Each filter item must be an object."};
  if (depth > 32) throw Invalid{"The filter is nested too deeply."};
  const Json* op_json = at_member(item, "op");
  if (!op_json || !op_json->is_string()) throw Invalid{"Each filter item needs an 'op'."};
  const std::string op = lower_ascii(op_json->get<std::string>());
  if (op == "and" || op == "or") {
    const Json* items = at_member(item, "items");
    if (!items || !items->is_array() || items->empty())
      throw Invalid{"An '" + op + "' group needs a non-empty 'items' array."};
    for (const Json& sub : *items) check_item(e, sub, depth + 1);
    return;
  }
  if (std::find(kFieldOps.begin(), kFieldOps.end(), op) == kFieldOps.end()) {
    throw Invalid{"The operator '" + op_json->get<std::string>() + "' is not supported."};
  }
  const Json* field = at_member(item, "field");
  if (!field || !field->is_string() || field->get<std::string>().empty())
    throw Invalid{"A filter item needs a 'field'."};
  const Json* udf = at_member(item, "udf");
  const bool is_udf = udf && udf->is_boolean() && udf->get<bool>();
  const AtField* f = is_udf ? nullptr : find_at_field(e, field->get<std::string>());
  if (!is_udf && !f) {
    throw Invalid{"Unable to find " + field->get<std::string>() + " in the " + e.name + " entity."};
  }
  if (op == "exist" || op == "notexist") return;
  const Json* value = at_member(item, "value");
  if (!value) throw Invalid{"The filter on " + field->get<std::string>() + " needs a 'value'."};
  if (op == "in" || op == "notin") {
    if (!value->is_array()) throw Invalid{"The value of '" + op + "' must be an array."};
    return;
  }
  if (is_date_field(f) && !(value->is_string() && parse_time(value->get<std::string>()))) {
    throw Invalid{"The value for " + field->get<std::string>() + " is not a valid date."};
  }
}

// The record's value for a filter item: a field, or a user-defined field.
Json field_value(const AtEntity& e, const Json& item, const Json& row, const AtField*& def) {
  const std::string name = at_member(item, "field")->get<std::string>();
  const Json* udf = at_member(item, "udf");
  if (udf && udf->is_boolean() && udf->get<bool>()) {
    def = nullptr;
    for (const Json& u : row.value("userDefinedFields", Json::array())) {
      if (compare_nocase(u.value("name", std::string()), name) == 0)
        return u.value("value", Json());
    }
    return nullptr;
  }
  def = find_at_field(e, name);
  return row.value(def->name, Json());
}

// <0, 0, >0, or nullopt when the two cannot be compared (null field).
std::optional<int> compare(const AtField* f, const Json& v, const Json& x) {
  if (v.is_null() || x.is_null()) return std::nullopt;
  if (is_date_field(f)) {
    if (!v.is_string() || !x.is_string()) return std::nullopt;
    const std::optional<TimeMs> a = parse_time(v.get<std::string>());
    const std::optional<TimeMs> b = parse_time(x.get<std::string>());
    if (!a.has_value() || !b.has_value()) return std::nullopt;
    const TimeMs ta = a.value(), tb = b.value();
    return ta < tb ? -1 : (ta > tb ? 1 : 0);
  }
  if (v.is_number() || v.is_boolean()) {
    auto a = as_number(v), b = as_number(x);
    if (!a || !b) return std::nullopt;
    return *a < *b ? -1 : (*a > *b ? 1 : 0);
  }
  return compare_nocase(as_text(v), as_text(x));
}

bool eval(const AtEntity& e, const Json& item, const Json& row) {
  const std::string op = lower_ascii(at_member(item, "op")->get<std::string>());
  if (op == "and" || op == "or") {
    for (const Json& sub : *at_member(item, "items")) {
      const bool hit = eval(e, sub, row);
      if (op == "or" && hit) return true;
      if (op == "and" && !hit) return false;
    }
    return op == "and";
  }
  const AtField* def = nullptr;
  const Json v = field_value(e, item, row, def);
  if (op == "exist") return !v.is_null() && !(v.is_string() && v.get<std::string>().empty());
  if (op == "notexist") return v.is_null() || (v.is_string() && v.get<std::string>().empty());
  const Json& x = *at_member(item, "value");
  if (op == "in" || op == "notin") {
    bool found = false;
    for (const Json& each : x) found = found || compare(def, v, each) == 0;
    return v.is_null() ? false : (op == "in") == found;
  }
  if (op == "contains" || op == "beginswith" || op == "endswith") {
    if (v.is_null()) return false;
    const std::string text = as_text(v), needle = as_text(x);
    if (op == "contains") return contains_nocase(text, needle);
    if (needle.size() > text.size()) return false;
    const size_t at = op == "beginswith" ? 0 : text.size() - needle.size();
    return compare_nocase(std::string_view(text).substr(at, needle.size()), needle) == 0;
  }
  const std::optional<int> c = compare(def, v, x);
  if (!c) return false;
  if (op == "eq") return *c == 0;
  if (op == "noteq") return *c != 0;
  if (op == "gt") return *c > 0;
  if (op == "gte") return *c >= 0;
  if (op == "lt") return *c < 0;
  return *c <= 0;  // lte
}

}  // namespace

const Json* at_member(const Json& body, const char* key) {
  if (!body.is_object()) return nullptr;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (compare_nocase(it.key(), key) == 0) return &it.value();
  }
  return nullptr;
}

std::variant<AtQuery, Response> parse_at_query(const AtEntity& e, const Json& body) {
  try {
    if (!body.is_object()) throw Invalid{"The query body must be a JSON object."};
    AtQuery q;
    const Json* filter = at_member(body, "filter");
    if (!filter || !filter->is_array() || filter->empty()) {
      throw Invalid{"A filter is required: e.g. [{\"op\":\"gte\",\"field\":\"id\",\"value\":0}]."};
    }
    for (const Json& item : *filter) check_item(e, item, 0);
    q.filter = *filter;
    if (const Json* inc = at_member(body, "IncludeFields"); inc && !inc->is_null()) {
      if (!inc->is_array()) throw Invalid{"IncludeFields must be an array of field names."};
      for (const Json& name : *inc) {
        const AtField* f = name.is_string() ? find_at_field(e, name.get<std::string>()) : nullptr;
        if (!f) throw Invalid{"Unable to find " + as_text(name) + " in the " + e.name + " entity."};
        q.include.push_back(f);
      }
    }
    if (const Json* max = at_member(body, "MaxRecords"); max && !max->is_null()) {
      if (!max->is_number_integer() || max->get<int64_t>() < 1 || max->get<int64_t>() > 500) {
        throw Invalid{"MaxRecords must be between 1 and 500."};
      }
      q.max_records = max->get<int>();
    }
    return q;
  } catch (const Invalid& bad) {
    return at_error(500, bad.message);
  }
}

bool at_matches(const AtEntity& e, const Json& filter, const Json& row) {
  for (const Json& item : filter) {
    if (!eval(e, item, row)) return false;
  }
  return true;
}

Json at_project(const AtEntity& e, const AtQuery& q, const Json& row) {
  if (q.include.empty()) return row;
  Json out = {{"id", row.value("id", Json())}};
  for (const AtField* f : q.include) out[f->name] = row.value(f->name, Json());
  if (e.has_udf) out["userDefinedFields"] = row.value("userDefinedFields", Json::array());
  return out;
}

}  // namespace cwsim
