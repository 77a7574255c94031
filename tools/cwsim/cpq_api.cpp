// CPQ (Sell) REST API: /api/quotes, /api/quotes/{id}, /api/quotes/{n}/versions,
// /api/quoteItems. Bare JSON arrays, 1-based page, pageSize <= 1000, the last
// page is the first short one. Rows are listed in creation order.
#include "conditions.h"
#include "json_query.h"
#include "quote_fields.h"
#include "state.h"

#include <regex>

namespace cwsim {
namespace {

const std::vector<std::string> kItemFields = {
    "id", "idQuote", "idQuoteTabs", "sortOrder", "shortDescription", "manufacturerPartNumber", "productType",
    "uom", "quantity", "quoteItemPrice", "cost", "extendedPrice", "recurringAmount", "recurringTotal",
    "period", "isOptional", "isSold", "createDate", "modifyDate"};

bool is_guid(const std::string& s) {
  static const std::regex kGuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  return std::regex_match(s, kGuid);
}

// 401 wrong keys, 404 unknown access key, 403 tenant without API licence:
// the setup guide's troubleshooting table.
std::optional<Response> check_auth(const State& st, const Request& req) {
  auto creds = basic_auth(req);
  if (!creds) return cpq_error(401, "Authorization has been denied for this request.");
  const std::string& user = creds->first;
  size_t plus = user.find('+');
  if (plus == std::string::npos) return cpq_error(401, "Authorization has been denied for this request.");
  std::string access = user.substr(0, plus), pub = user.substr(plus + 1);
  bool known = is_tenant(st, st.opts.access_key, access, false) ||
               access == st.opts.no_license_access_key;
  if (!known) return cpq_error(404, "The access key '" + access + "' does not match any Sell account.");
  if (pub != st.opts.public_key || creds->second != st.opts.private_key) {
    return cpq_error(401, "Authorization has been denied for this request.");
  }
  if (access == st.opts.no_license_access_key) {
    return cpq_error(403, "This account is not licensed for API access. Contact your Sell administrator.");
  }
  return std::nullopt;
}

std::shared_ptr<const Condition> parse_conditions(const Request& req, const std::vector<std::string>* item_fields) {
  auto text = req.param("conditions");
  if (!text || text->empty()) return nullptr;
  std::shared_ptr<const Condition> c;
  try {
    c = Condition::parse(*text, Dialect::kCpq);
  } catch (const ConditionError& e) {
    throw HttpError{cpq_error(400, e.what())};
  }
  for (const std::string& f : c->fields()) {
    bool ok = item_fields ? known_path(*item_fields, f) : find_quote_field(f) != nullptr;
    if (!ok) throw HttpError{cpq_error(400, "Invalid conditions: unknown field '" + f + "'.")};
  }
  return c;
}

bool parse_bool_param(const Request& req, const std::string& name) {
  auto v = req.param(name);
  if (!v || v->empty()) return false;
  if (compare_nocase(*v, "true") == 0) return true;
  if (compare_nocase(*v, "false") == 0) return false;
  throw HttpError{cpq_error(400, "The value '" + *v + "' is not valid for " + name + ".")};
}

Paging paging(const Request& req) {
  auto p = parse_paging(req, 50, false);
  if (auto* r = std::get_if<Response>(&p)) throw HttpError{*r};
  return std::get<Paging>(p);
}

struct FieldSpec {
  std::vector<const QuoteField*> fields;  // empty = all
  uint32_t id = 0;
};

// includeFields names QuoteView properties; unknown names are ignored.
FieldSpec field_spec(Store& store, const Request& req) {
  FieldSpec spec;
  std::string key;
  if (auto v = req.param("includeFields")) {
    std::vector<bool> wanted(quote_fields().size(), false);
    for (const std::string& name : split_list(*v)) {
      if (const QuoteField* f = find_quote_field(name)) wanted[static_cast<size_t>(f - quote_fields().data())] = true;
    }
    for (size_t k = 0; k < wanted.size(); ++k) {
      if (!wanted[k]) continue;
      spec.fields.push_back(&quote_fields()[k]);
      key += std::string(quote_fields()[k].name) + ",";
    }
  }
  auto [it, inserted] = store.field_specs.emplace(key, static_cast<uint32_t>(store.field_specs.size() + 1));
  spec.id = it->second;
  return spec;
}

const std::string& cached_json(const Store& store, const Quote& q, const FieldSpec& spec) {
  if (q.cache_spec != spec.id) {
    q.cache = serialize_quote(store, q, spec.fields);
    q.cache_spec = spec.id;
  }
  return q.cache;
}

Condition::Resolver quote_resolver(const Store& store, const Quote*& current, const Condition& c) {
  std::vector<std::pair<std::string, const QuoteField*>> fields;
  for (const std::string& f : c.fields()) fields.emplace_back(f, find_quote_field(f));
  return [&store, &current, fields](std::string_view name) {
    for (const auto& [n, f] : fields) {
      if (n == name) return f->get(store, *current);
    }
    return Value::null();
  };
}

// The rows a listing shows, memoized per (conditions, showAllVersions) until
// the next mutation. Call with store.mu held.
const std::vector<uint32_t>& matching_rows(Store& store, const std::string& key, const Condition* cond,
                                           bool all_versions) {
  auto& cache = store.listing_cache;
  for (size_t k = 0; k < cache.size(); ++k) {
    if (cache[k].key == key && cache[k].generation == store.generation) {
      std::rotate(cache.begin(), cache.begin() + static_cast<std::ptrdiff_t>(k), cache.begin() + static_cast<std::ptrdiff_t>(k) + 1);
      return cache.front().rows;
    }
  }
  Store::Listing l;
  l.key = key;
  l.generation = store.generation;
  const Quote* current = nullptr;
  Condition::Resolver resolve;
  if (cond) resolve = quote_resolver(store, current, *cond);
  for (size_t k = 0; k < store.quotes.size(); ++k) {
    const Quote& q = store.quotes[k];
    if (!store.quote_visible(q, all_versions)) continue;
    if (cond) {
      current = &q;
      if (!cond->matches(resolve)) continue;
    }
    l.rows.push_back(static_cast<uint32_t>(k));
  }
  cache.insert(cache.begin(), std::move(l));
  if (cache.size() > 4) cache.pop_back();
  return cache.front().rows;
}

Response list_quotes(State& st, const Request& req) {
  Paging pg = paging(req);
  bool all_versions = parse_bool_param(req, "showAllVersions");
  auto cond = parse_conditions(req, nullptr);
  Store& store = st.store;
  std::lock_guard lk(store.mu);
  FieldSpec spec = field_spec(store, req);
  std::string key = (all_versions ? "1|" : "0|") + req.param("conditions").value_or("");
  const std::vector<uint32_t>& rows = matching_rows(store, key, cond.get(), all_versions);
  size_t first = static_cast<size_t>(pg.page - 1) * static_cast<size_t>(pg.page_size);
  size_t last = std::min(rows.size(), first + static_cast<size_t>(pg.page_size));
  std::string body = "[";
  for (size_t k = first; k < last; ++k) {
    if (k > first) body += ',';
    body += cached_json(store, store.quotes[rows[k]], spec);
  }
  body += ']';
  return raw_json_response(200, std::move(body));
}

Response get_quote(State& st, const Request& req, const std::string& id) {
  Store& store = st.store;
  std::lock_guard lk(store.mu);
  auto it = store.quote_by_id.find(id);
  if (it == store.quote_by_id.end()) return cpq_error(404, "Quote '" + id + "' was not found.");
  FieldSpec spec = field_spec(store, req);
  return raw_json_response(200, cached_json(store, store.quotes[it->second], spec));
}

Response quote_versions(State& st, const Request& req, const std::string& number_text) {
  Paging pg = paging(req);
  int64_t number = 0;
  try {
    number = std::stoll(number_text);
  } catch (const std::exception&) {
    return cpq_error(400, "The quote number '" + number_text + "' is not valid.");
  }
  Store& store = st.store;
  std::lock_guard lk(store.mu);
  FieldSpec spec = field_spec(store, req);
  std::string body = "[";
  auto it = store.quote_versions.find(number);
  if (it != store.quote_versions.end()) {
    std::vector<size_t> rows = it->second;
    std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return store.quotes[a].quote_version < store.quotes[b].quote_version;
    });
    size_t first = static_cast<size_t>(pg.page - 1) * static_cast<size_t>(pg.page_size);
    for (size_t k = first; k < rows.size() && k < first + static_cast<size_t>(pg.page_size); ++k) {
      if (k > first) body += ',';
      body += cached_json(store, store.quotes[rows[k]], spec);
    }
  }
  body += ']';
  return raw_json_response(200, std::move(body));
}

Response list_items(State& st, const Request& req) {
  Paging pg = paging(req);
  auto cond = parse_conditions(req, &kItemFields);
  std::vector<std::string> include;
  if (auto v = req.param("includeFields")) {
    for (const std::string& f : split_list(*v)) {
      if (known_path(kItemFields, f)) include.push_back(f);
    }
  }
  Store& store = st.store;
  std::lock_guard lk(store.mu);
  // Items are regenerated per quote, so pin to the quotes the filter names
  // when it can; otherwise walk every row.
  std::vector<size_t> rows;
  std::optional<std::vector<std::string>> pinned;
  if (cond) pinned = cond->pinned_values("idQuote");
  if (pinned) {
    for (const std::string& id : *pinned) {
      auto it = store.quote_by_id.find(id);
      if (it != store.quote_by_id.end()) rows.push_back(it->second);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  } else {
    rows.resize(store.quotes.size());
    for (size_t k = 0; k < rows.size(); ++k) rows[k] = k;
  }
  int64_t skip = static_cast<int64_t>(pg.page - 1) * pg.page_size;
  Json out = Json::array();
  for (size_t row : rows) {
    for (Json& item : store.quote_items(store.quotes[row])) {
      if (cond && !cond->matches([&](std::string_view f) { return json_value(item, f); })) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      out.push_back(include.empty() ? std::move(item) : project(item, include));
      if (static_cast<int>(out.size()) == pg.page_size) return json_response(200, out);
    }
  }
  return json_response(200, out);
}

}  // namespace

Response handle_cpq(State& st, const Request& req) {
  if (auto denied = check_auth(st, req)) return *denied;
  std::vector<std::string> seg = split_list(req.path.substr(5), '/');  // after "/api/"
  if (req.method != "GET") {
    return cpq_error(405, "The requested resource does not support http method '" + req.method + "'.");
  }
  if (seg.size() == 1 && compare_nocase(seg[0], "quotes") == 0) return list_quotes(st, req);
  if (seg.size() == 1 && compare_nocase(seg[0], "quoteItems") == 0) return list_items(st, req);
  if (seg.size() == 2 && compare_nocase(seg[0], "quotes") == 0 && is_guid(seg[1])) return get_quote(st, req, seg[1]);
  if (seg.size() == 3 && compare_nocase(seg[0], "quotes") == 0 && compare_nocase(seg[2], "versions") == 0) {
    return quote_versions(st, req, seg[1]);
  }
  return cpq_error(404, "No HTTP resource was found that matches the request URI '" + req.path + "'.");
}

}  // namespace cwsim
