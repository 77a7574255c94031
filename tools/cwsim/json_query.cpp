#include "json_query.h"

#include <algorithm>
#include <stdexcept>

namespace cwsim {

Value json_value(const Json& j, std::string_view path) {
  const Json* cur = &j;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!cur->is_object()) return Value::null();
    auto it = cur->find(std::string(seg));
    if (it == cur->end()) return Value::null();
    cur = &*it;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  switch (cur->type()) {
    case Json::value_t::boolean: return Value::boolean(cur->get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return Value::integer(cur->get<int64_t>());
    case Json::value_t::number_float: return Value::real(cur->get<double>());
    case Json::value_t::string: return Value::string(cur->get_ref<const std::string&>());
    default: return Value::null();
  }
}

bool known_path(const std::vector<std::string>& known, std::string_view path) {
  for (const std::string& k : known) {
    if (compare_nocase(k, path) == 0) return true;
    // A parent of a known path ("member" for "member/id") is known too.
    if (k.size() > path.size() && k[path.size()] == '/' &&
        compare_nocase(std::string_view(k).substr(0, path.size()), path) == 0) {
      return true;
    }
  }
  return false;
}

Json project(const Json& j, const std::vector<std::string>& paths) {
  Json out = Json::object();
  for (const std::string& p : paths) {
    const Json* cur = &j;
    Json* dst = &out;
    std::vector<std::string> segs = split_list(p, '/');
    for (size_t k = 0; k < segs.size(); ++k) {
      if (!cur->is_object() || !cur->contains(segs[k])) break;
      cur = &(*cur)[segs[k]];
      if (k + 1 < segs.size()) {
        if (!dst->contains(segs[k]) || !(*dst)[segs[k]].is_object()) (*dst)[segs[k]] = Json::object();
        dst = &(*dst)[segs[k]];
      } else {
        (*dst)[segs[k]] = *cur;
      }
    }
  }
  return out;
}

std::vector<SortKey> parse_order_by(const std::string& text) {
  std::vector<SortKey> keys;
  for (const std::string& part : split_list(text)) {
    std::vector<std::string> words = split_list(part, ' ');
    if (words.empty() || words.size() > 2) throw std::invalid_argument("orderBy clause '" + part + "' is invalid");
    SortKey k;
    k.path = words[0];
    for (char& c : k.path) if (c == '.') c = '/';
    if (k.path == "lastUpdated" || k.path == "dateEntered") k.path = "_info/" + k.path;
    if (words.size() == 2) {
      if (compare_nocase(words[1], "desc") == 0) k.desc = true;
      else if (compare_nocase(words[1], "asc") != 0) throw std::invalid_argument("orderBy direction '" + words[1] + "' is invalid");
    }
    keys.push_back(k);
  }
  return keys;
}

namespace {
int cmp_values(const Value& a, const Value& b) {
  auto rank = [](const Value& v) { return v.kind == Value::Kind::kNull ? 0 : 1; };
  if (rank(a) != rank(b)) return rank(a) < rank(b) ? -1 : 1;
  if (a.kind == Value::Kind::kNull) return 0;
  auto num = [](const Value& v) { return v.kind == Value::Kind::kInt ? static_cast<double>(v.i) : v.kind == Value::Kind::kReal ? v.d : v.b ? 1.0 : 0.0; };
  if (a.kind == Value::Kind::kStr && b.kind == Value::Kind::kStr) return compare_nocase(a.str, b.str);
  double x = num(a), y = num(b);
  return x < y ? -1 : (y < x ? 1 : 0);
}
}  // namespace

void sort_rows(std::vector<const Json*>& rows, const std::vector<SortKey>& keys) {
  std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
    for (const SortKey& k : keys) {
      int c = cmp_values(json_value(*a, k.path), json_value(*b, k.path));
      if (c != 0) return k.desc ? c > 0 : c < 0;
    }
    return false;
  });
}

}  // namespace cwsim
