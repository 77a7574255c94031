#include "psa_list.h"

#include "conditions.h"
#include "json_query.h"

#include <Poco/URI.h>

#include <stdexcept>
#include <variant>

namespace cwsim {
namespace {

Response invalid(const std::string& field, const std::string& message) {
  return psa_error(400, "InvalidObject", message,
                   Json::array({{{"code", "InvalidField"}, {"message", message}, {"resource", "query"}, {"field", field}}}));
}

std::string link(const Request& req, const std::map<std::string, std::string>& overrides,
                 const std::vector<std::string>& drop) {
  Poco::URI uri("http://" + (req.host.empty() ? std::string("127.0.0.1") : req.host));
  uri.setPath(req.path);
  for (const auto& [k, v] : req.params) {
    bool skip = overrides.count(k) > 0;
    for (const std::string& d : drop) skip = skip || compare_nocase(d, k) == 0;
    for (const auto& [ok, ov] : overrides) skip = skip || compare_nocase(ok, k) == 0;
    if (!skip) uri.addQueryParameter(k, v);
  }
  for (const auto& [k, v] : overrides) uri.addQueryParameter(k, v);
  return "<" + uri.toString() + ">";
}

std::vector<std::string> fields_param(const Request& req) {
  std::vector<std::string> out;
  if (auto f = req.param("fields")) {
    for (std::string p : split_list(*f)) {
      for (char& c : p) if (c == '.') c = '/';
      out.push_back(p);
    }
  }
  return out;
}

// The request's `conditions`, checked against `known`; a 400 response when
// they do not parse or name an unknown field.
std::variant<std::shared_ptr<const Condition>, Response> read_conditions(const Request& req,
                                                                         const std::vector<std::string>& known) {
  std::shared_ptr<const Condition> cond;
  if (auto text = req.param("conditions"); text && !text->empty()) {
    try {
      cond = Condition::parse(*text, Dialect::kPsa);
    } catch (const ConditionError& e) {
      return invalid("conditions", e.what());
    }
    for (const std::string& f : cond->fields()) {
      if (!known_path(known, f)) return invalid("conditions", "Cannot find field '" + f + "' in conditions.");
    }
  }
  return cond;
}

bool matches(const std::shared_ptr<const Condition>& cond, const Json* row) {
  return !cond || cond->matches([row](std::string_view f) { return json_value(*row, f); });
}

}  // namespace

Response psa_count(const Request& req, std::vector<const Json*> rows, const std::vector<std::string>& known) {
  auto cond_or = read_conditions(req, known);
  if (auto* r = std::get_if<Response>(&cond_or)) return *r;
  const auto& cond = std::get<std::shared_ptr<const Condition>>(cond_or);
  int64_t n = 0;
  for (const Json* row : rows) n += matches(cond, row) ? 1 : 0;
  return json_response(200, Json{{"count", n}});
}

Response psa_object(const Request& req, const Json& obj, int status) {
  std::vector<std::string> fields = fields_param(req);
  return json_response(status, fields.empty() ? obj : project(obj, fields));
}

Response psa_list(const Request& req, std::vector<const Json*> rows, const std::vector<std::string>& known) {
  auto pg_or = parse_paging(req, 25, true);
  if (auto* r = std::get_if<Response>(&pg_or)) return *r;
  Paging pg = std::get<Paging>(pg_or);

  auto cond_or = read_conditions(req, known);
  if (auto* r = std::get_if<Response>(&cond_or)) return *r;
  const auto cond = std::get<std::shared_ptr<const Condition>>(cond_or);
  std::vector<SortKey> order;
  try {
    order = parse_order_by(req.param("orderBy").value_or("id asc"));
  } catch (const std::invalid_argument& e) {
    return invalid("orderBy", e.what());
  }
  for (const SortKey& k : order) {
    if (!known_path(known, k.path)) return invalid("orderBy", "Cannot find field '" + k.path + "' in orderBy.");
  }

  bool forward_only = compare_nocase(req.header("pagination-type"), "forward-only") == 0;
  std::optional<int64_t> page_id;
  if (auto v = req.param("pageId"); v && forward_only) {
    try {
      page_id = std::stoll(*v);
    } catch (const std::exception&) {
      return invalid("pageId", "The pageId parameter must be an integer.");
    }
  }

  std::vector<const Json*> hits;
  for (const Json* row : rows) {
    if (page_id && (*row)["id"].get<int64_t>() <= *page_id) continue;
    if (!matches(cond, row)) continue;
    hits.push_back(row);
  }
  // Forward-only paging walks ids upwards; the pageId is the last id seen.
  if (forward_only) order = {SortKey{"id", false}};
  sort_rows(hits, order);

  std::vector<std::string> fields = fields_param(req);
  size_t first = forward_only ? 0 : static_cast<size_t>(pg.page - 1) * static_cast<size_t>(pg.page_size);
  Json out = Json::array();
  for (size_t k = first; k < hits.size() && out.size() < static_cast<size_t>(pg.page_size); ++k) {
    out.push_back(fields.empty() ? *hits[k] : project(*hits[k], fields));
  }
  Response resp = json_response(200, out);

  std::vector<std::string> links;
  std::string size = std::to_string(pg.page_size);
  if (forward_only) {
    if (hits.size() > static_cast<size_t>(pg.page_size)) {
      std::string last_id = std::to_string((*hits[static_cast<size_t>(pg.page_size) - 1])["id"].get<int64_t>());
      links.push_back(link(req, {{"pageSize", size}, {"pageId", last_id}}, {"page"}) + "; rel=\"next\"");
    }
  } else {
    size_t last = hits.empty() ? 1 : (hits.size() + static_cast<size_t>(pg.page_size) - 1) / static_cast<size_t>(pg.page_size);
    if (pg.page > 1) {
      links.push_back(link(req, {{"page", std::to_string(pg.page - 1)}, {"pageSize", size}}, {}) + "; rel=\"prev\"");
      links.push_back(link(req, {{"page", "1"}, {"pageSize", size}}, {}) + "; rel=\"first\"");
    }
    if (static_cast<size_t>(pg.page) < last) {
      links.push_back(link(req, {{"page", std::to_string(pg.page + 1)}, {"pageSize", size}}, {}) + "; rel=\"next\"");
      links.push_back(link(req, {{"page", std::to_string(last)}, {"pageSize", size}}, {}) + "; rel=\"last\"");
    }
  }
  if (!links.empty()) {
    std::string header;
    for (const std::string& l : links) header += (header.empty() ? "" : ", ") + l;
    resp.headers.emplace_back("Link", header);
  }
  return resp;
}

}  // namespace cwsim
