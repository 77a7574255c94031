// Autotask PSA REST API under /ATServicesRest/V1.0/: zone lookup, header
// auth, queries with paging and counts, entity information, and the writes
// cwsync makes (ticket notes, ticket status, time entries). Validation and
// business-rule failures answer 500 {"errors":[...]}, as Autotask does.
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "autotask.h"

namespace cwsim {
namespace {

constexpr std::string_view kRoot = "/atservicesrest/";

// Where a path's REST root ends and the zone prefix before it ("" for
// /ATServicesRest/..., "/ws2" for /ws2/ATServicesRest/...); nullopt when the
// path is not under one.
struct RootSplit {
  std::string prefix;
  size_t rest = 0;  // index of the first character after the root
};
std::optional<RootSplit> split_root(const std::string& path) {
  auto root_at = [&](size_t at) {
    return path.size() >= at + kRoot.size() &&
           compare_nocase(std::string_view(path).substr(at, kRoot.size()), kRoot) == 0;
  };
  if (root_at(0)) return RootSplit{"", kRoot.size()};
  const size_t slash = path.size() > 1 && path[0] == '/' ? path.find('/', 1) : std::string::npos;
  if (slash != std::string::npos && root_at(slash) && valid_zone_prefix(path.substr(0, slash)))
    return RootSplit{path.substr(0, slash), slash + kRoot.size()};
  return std::nullopt;
}

bool seg_is(const std::vector<std::string>& seg, size_t k, const char* name) {
  return seg.size() > k && compare_nocase(seg[k], name) == 0;
}

// An integer from a JSON number or a numeric string (picklist values are
// served as strings, so clients send either).
std::optional<int64_t> int_of(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return parse_id(v.get<std::string>());
  return std::nullopt;
}

Json body_of(const Request& req) {
  Json body = Json::parse(req.body.empty() ? std::string("null") : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw HttpError{at_error(500, "The request body must be a JSON object.")};
  }
  return body;
}

// The REST root of zone `prefix` as clients reach it.
std::string base_url(const Request& req, const std::string& prefix) {
  return "http://" + (req.host.empty() ? std::string("127.0.0.1") : req.host) + prefix +
         "/ATServicesRest/";
}
// The REST root the request came in under (its zone's, as only the current
// zone is served).
std::string base_url(const Request& req) {
  auto split = split_root(req.path);
  return base_url(req, split ? split->prefix : std::string());
}

std::string encode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "&=+?#/,[]{}\":' ", out);
  return out;
}

Response ok(const Json& body) { return json_response(200, body); }

// The resource the API user acts as: the one whose email or userName is the
// --at-username, else the API member.
int64_t api_resource(const State& st) {
  for (const Json& m : st.store.members) {
    if (compare_nocase(m["primaryEmail"].get<std::string>(), st.opts.at_username) == 0 ||
        compare_nocase(m["identifier"].get<std::string>(), st.opts.at_username) == 0) {
      return m["id"].get<int64_t>();
    }
  }
  return st.store.members.back()["id"].get<int64_t>();
}

bool active_resource(const Store& s, const Json& id) {
  auto n = int_of(id);
  if (!n) return false;
  Json r = at_resource(s, *n);
  return r.is_object() && r["isActive"].get<bool>();
}

// ---- queries -------------------------------------------------------------

Response query(State& st, const Request& req, const AtEntity& e,
               const std::vector<std::string>& rest) {
  const bool count = seg_is(rest, 1, "count");
  const bool paging = seg_is(rest, 1, "next") || seg_is(rest, 1, "prev");
  if (rest.size() > 2 || (rest.size() == 2 && !count && !paging))
    return at_error(404, "No such route: " + req.path);
  std::string search;
  Json body;
  if (req.method == "GET") {
    auto s = req.param("search");
    // A POST query's next page is a POST of the same body; there is nothing to GET.
    if (!s || paging)
      return at_error(405, "The requested resource does not support http method 'GET'.");
    search = *s;
    body = Json::parse(search, nullptr, false);
    if (body.is_discarded()) return at_error(500, "The search parameter is not valid JSON.");
  } else if (req.method == "POST") {
    body = body_of(req);
  } else {
    return at_error(405,
                    "The requested resource does not support http method '" + req.method + "'.");
  }
  auto parsed = parse_at_query(e, body);
  if (auto* r = std::get_if<Response>(&parsed)) return *r;
  const AtQuery& q = std::get<AtQuery>(parsed);

  std::vector<Json> hits;
  {
    std::lock_guard lk(st.store.mu);
    for (Json& row : e.rows(st.store)) {
      if (at_matches(e, q.filter, row)) hits.push_back(std::move(row));
    }
  }
  if (count) return ok({{"queryCount", hits.size()}});
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
  std::optional<int64_t> after;
  if (auto a = req.param("after")) {
    try {
      after = std::stoll(*a);
    } catch (const std::exception&) {
      return at_error(500, "The paging token is invalid.");
    }
  }
  size_t first = 0;
  while (after && first < hits.size() && hits[first]["id"].get<int64_t>() <= *after) ++first;
  const auto max = static_cast<size_t>(q.max_records);
  const size_t end = std::min(hits.size(), first + max);
  Json items = Json::array();
  for (size_t k = first; k < end; ++k) items.push_back(at_project(e, q, hits[k]));

  const std::string url = base_url(req) + "V1.0/" + e.name + "/query";
  auto page_url = [&](const char* which, std::optional<int64_t> from) -> Json {
    std::string u = search.empty() ? url + "/" + which : url + "?search=" + encode(search);
    if (from) u += std::string(search.empty() ? "?" : "&") + "after=" + std::to_string(*from);
    return u;
  };
  Json next =
      end < hits.size() ? page_url("next", hits[end - 1]["id"].get<int64_t>()) : Json(nullptr);
  Json prev = nullptr;
  if (first > 0) {
    const size_t start = first > max ? first - max : 0;
    prev = page_url(
        "prev", start == 0 ? std::nullopt : std::optional(hits[start - 1]["id"].get<int64_t>()));
  }
  return ok({{"items", items},
             {"pageDetails",
              {{"count", items.size()},
               {"requestCount", q.max_records},
               {"prevPageUrl", prev},
               {"nextPageUrl", next}}}});
}

Response entity_information(const AtEntity& e, const std::vector<std::string>& rest) {
  if (rest.size() == 1) {
    return ok({{"info",
                {{"name", e.name},
                 {"canCreate", e.can_create},
                 {"canDelete", false},
                 {"canQuery", true},
                 {"canUpdate", e.can_update},
                 {"hasUserDefinedFields", e.has_udf},
                 {"supportsWebhookCallouts", false},
                 {"userAccessForCreate", "All"},
                 {"userAccessForDelete", "None"},
                 {"userAccessForQuery", "All"},
                 {"userAccessForUpdate", e.can_update ? "All" : "None"}}}});
  }
  if (rest.size() == 2 && seg_is(rest, 1, "fields")) return ok(at_field_info(e));
  if (rest.size() == 2 && seg_is(rest, 1, "userDefinedFields"))
    return ok({{"fields", Json::array()}});
  return at_error(404, "No such entity information.");
}

// ---- writes ----------------------------------------------------------------

// A required picklist value: an active entry of `picks`, else the error text.
std::optional<std::string> check_pick(const Json* v, const std::vector<AtPick>& picks,
                                      const char* field, int64_t& out) {
  if (!v || v->is_null()) return std::string("Missing Required Field: ") + field + ".";
  auto n = int_of(*v);
  const AtPick* p = n ? find_pick(picks, *n) : nullptr;
  if (!p || !p->active)
    return "Value " + v->dump() + " is not an active value of the " + field + " picklist.";
  out = *n;
  return std::nullopt;
}

std::optional<std::string> required_text(const Json& body, const char* field, size_t max_len,
                                         std::string& out) {
  const Json* v = at_member(body, field);
  if (!v || !v->is_string() || v->get<std::string>().empty()) {
    return std::string("Missing Required Field: ") + field + ".";
  }
  out = v->get<std::string>();
  if (out.size() > max_len)
    return std::string("The ") + field + " field is longer than " + std::to_string(max_len) +
           " characters.";
  return std::nullopt;
}

Response post_note(State& st, const Request& req, int64_t ticket_id, int64_t creator,
                   Json impersonator) {
  Json body = body_of(req);
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  auto t = s.at.tickets.find(ticket_id);
  if (t == s.at.tickets.end())
    return at_error(500, "Tickets with id " + std::to_string(ticket_id) + " does not exist.");
  if (const Json* tid = at_member(body, "ticketID");
      tid && !tid->is_null() && int_of(*tid) != ticket_id) {
    return at_error(500, "The ticketID of the note does not match its parent ticket " +
                             std::to_string(ticket_id) + ".");
  }
  std::string title, description;
  int64_t note_type = 0, publish = 0;
  for (auto err :
       {required_text(body, "title", 250, title),
        required_text(body, "description", 32000, description),
        check_pick(at_member(body, "noteType"), at_note_types(), "noteType", note_type),
        check_pick(at_member(body, "publish"), at_publish_values(), "publish", publish)}) {
    if (err) return at_error(500, *err);
  }
  const std::string now = at_time(now_ms());
  const int64_t id = s.at.next_note_id++;
  s.at.notes[ticket_id].push_back({{"id", id},
                                   {"ticketID", ticket_id},
                                   {"title", title},
                                   {"description", description},
                                   {"noteType", note_type},
                                   {"publish", publish},
                                   {"createDateTime", now},
                                   {"lastActivityDate", now},
                                   {"creatorResourceID", creator},
                                   {"impersonatorCreatorResourceID", impersonator}});
  t->second["lastActivityDate"] = now;
  return ok({{"itemId", id}});
}

Response patch_ticket(State& st, const Request& req) {
  Json body = body_of(req);
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  const Json* id_json = at_member(body, "id");
  auto id = id_json ? int_of(*id_json) : std::nullopt;
  if (!id) return at_error(500, "Missing Required Field: id.");
  auto t = s.at.tickets.find(*id);
  if (t == s.at.tickets.end())
    return at_error(500, "Tickets with id " + std::to_string(*id) + " does not exist.");
  Json updated = t->second;
  const TimeMs now = now_ms();
  for (auto it = body.begin(); it != body.end(); ++it) {
    const AtField* f =
        find_at_entity("Tickets") ? find_at_field(*find_at_entity("Tickets"), it.key()) : nullptr;
    if (!f || f->read_only) continue;  // unknown and read-only fields are ignored
    const std::string name = f->name;
    const Json& v = it.value();
    int64_t pick = 0;
    if (name == "status" || name == "priority" || (name == "queueID" && !v.is_null())) {
      if (auto err = check_pick(&v, *f->picks, f->name, pick)) return at_error(500, *err);
      updated[name] = pick;
      if (name == "status")
        updated["completedDate"] = pick == 5 ? Json(at_time(now)) : Json(nullptr);
    } else if (name == "assignedResourceID" && !v.is_null() && !active_resource(s, v)) {
      return at_error(500,
                      "Value " + v.dump() + " is not an active resource for assignedResourceID.");
    } else if (name == "title" && (!v.is_string() || v.get<std::string>().empty())) {
      return at_error(500, "Missing Required Field: title.");
    } else if (name == "companyID" && !int_of(v)) {
      return at_error(500, "Missing Required Field: companyID.");
    } else {
      updated[name] = int_of(v) && std::string(f->type) == "integer" ? Json(*int_of(v)) : v;
    }
  }
  if (!updated["assignedResourceRoleID"].is_null()) {
    bool valid = false;
    for (const Json& rr :
         at_resource_roles(s, updated["assignedResourceID"].is_null()
                                  ? -1
                                  : updated["assignedResourceID"].get<int64_t>())) {
      valid = valid || rr["roleID"] == updated["assignedResourceRoleID"];
    }
    if (!valid)
      return at_error(500, "The assignedResourceRoleID is not a role of the assigned resource.");
  }
  updated["lastActivityDate"] = at_time(now);
  updated["lastTrackedModificationDateTime"] = at_time(now);
  t->second = updated;
  return ok({{"itemId", *id}});
}

std::optional<TimeMs> date_of(const Json* v) {
  return v && v->is_string() ? parse_time(v->get<std::string>()) : std::nullopt;
}

Response post_time_entry(State& st, const Request& req, int64_t creator) {
  Json body = body_of(req);
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  const Json* res = at_member(body, "resourceID");
  if (!res || res->is_null()) return at_error(500, "Missing Required Field: resourceID.");
  if (!active_resource(s, *res))
    return at_error(500, "Value " + res->dump() + " is not an active resource for resourceID.");
  const int64_t resource = *int_of(*res);
  const Json* tid = at_member(body, "ticketID");
  auto ticket = tid ? int_of(*tid) : std::nullopt;
  if (!ticket)
    return at_error(500, "Missing Required Field: ticketID (cwsim simulates ticket time only).");
  auto t = s.at.tickets.find(*ticket);
  if (t == s.at.tickets.end())
    return at_error(500, "Tickets with id " + std::to_string(*ticket) + " does not exist.");
  const Json* role_json = at_member(body, "roleID");
  auto role = role_json ? int_of(*role_json) : std::nullopt;
  if (!role) return at_error(500, "Missing Required Field: roleID.");
  bool role_ok = false;
  for (const Json& rr : at_resource_roles(s, resource))
    role_ok = role_ok || (rr["roleID"] == *role && rr["isActive"].get<bool>());
  if (!role_ok) {
    return at_error(500, "The roleID " + std::to_string(*role) +
                             " is not an active role of resource " + std::to_string(resource) +
                             ".");
  }
  auto worked = date_of(at_member(body, "dateWorked"));
  if (!worked) return at_error(500, "Missing Required Field: dateWorked.");
  auto start = date_of(at_member(body, "startDateTime"));
  auto end = date_of(at_member(body, "endDateTime"));
  if (start && end && *end <= *start)
    return at_error(500, "The endDateTime must be after the startDateTime.");
  double hours = 0;
  const Json* h = at_member(body, "hoursWorked");
  if (h && h->is_number()) {
    hours = h->get<double>();
  } else if (start && end) {
    hours = static_cast<double>(*end - *start) / 3'600'000.0;
  } else {
    return at_error(500, "Missing Required Field: hoursWorked.");
  }
  if (!(hours > 0) || hours > 24)
    return at_error(500, "The hoursWorked must be greater than 0 and at most 24.");
  std::string summary;
  if (auto err = required_text(body, "summaryNotes", 32000, summary)) return at_error(500, *err);
  const Json* internal = at_member(body, "internalNotes");
  const Json* non_billable = at_member(body, "isNonBillable");
  const std::string now = at_time(now_ms());
  const int64_t id = s.at.next_time_entry_id++;
  s.at.time_entries.push_back(
      {{"id", id},
       {"resourceID", resource},
       {"ticketID", *ticket},
       {"roleID", *role},
       {"dateWorked", at_time(truncate_to_day(*worked))},
       {"startDateTime", start ? Json(at_time(*start)) : Json(nullptr)},
       {"endDateTime", end ? Json(at_time(*end)) : Json(nullptr)},
       {"hoursWorked", hours},
       {"hoursToBill", hours},
       {"summaryNotes", summary},
       {"internalNotes", internal && internal->is_string() ? *internal : Json("")},
       {"isNonBillable", non_billable && non_billable->is_boolean() && non_billable->get<bool>()},
       {"timeEntryType", 2},
       {"createDateTime", now},
       {"lastModifiedDateTime", now},
       {"creatorUserID", creator}});
  t->second["lastActivityDate"] = now;
  return ok({{"itemId", id}});
}

// ---- routing ---------------------------------------------------------------

Response zone_information(State& st, const Request& req) {
  if (req.method != "GET")
    return at_error(405,
                    "The requested resource does not support http method '" + req.method + "'.");
  auto user = req.param("user");
  if (!user || compare_nocase(*user, st.opts.at_username) != 0) {
    return at_error(500, "Zone information could not be determined");
  }
  const std::string host = req.host.empty() ? std::string("127.0.0.1") : req.host;
  std::string zone, zone_url;
  {
    std::lock_guard lk(st.store.mu);
    zone = st.store.at.zone;
    zone_url = st.store.at.zone_url;
  }
  return ok({{"zoneName", zone.empty() ? std::string("cwsim Simulated Zone")
                                       : "cwsim Simulated Zone " + zone.substr(1)},
             {"url", zone_url.empty() ? base_url(req, zone) : zone_url},
             {"webUrl", "http://" + host + "/"},
             {"ci", 0}});
}

Response route(State& st, const Request& req, const std::vector<std::string>& seg, int64_t creator,
               const Json& impersonator) {
  const std::string& m = req.method;
  auto not_allowed = [&] {
    return at_error(405, "The requested resource does not support http method '" + m + "'.");
  };
  if (seg.size() == 1 && compare_nocase(seg[0], "ThresholdInformation") == 0) {
    return m == "GET" ? ok(st.at_limits.threshold(now_ms())) : not_allowed();
  }
  const AtEntity* e = find_at_entity(seg[0]);
  if (!e) return at_error(404, "The entity " + seg[0] + " is not served by cwsim.");
  const std::vector<std::string> rest(seg.begin() + 1, seg.end());
  if (seg_is(rest, 0, "query")) return query(st, req, *e, rest);
  if (seg_is(rest, 0, "entityInformation"))
    return m == "GET" ? entity_information(*e, rest) : not_allowed();
  const std::string name = e->name;
  if (rest.empty()) {
    if (name == "Tickets" && m == "PATCH") return patch_ticket(st, req);
    if (name == "TimeEntries" && m == "POST") return post_time_entry(st, req, creator);
    return not_allowed();
  }
  auto id = parse_id(rest[0]);
  if (!id) return at_error(404, "No such route: " + req.path);
  if (rest.size() == 1) {
    if (m != "GET") return not_allowed();
    std::lock_guard lk(st.store.mu);
    for (Json& row : e->rows(st.store)) {
      if (row["id"] == *id) return ok({{"item", std::move(row)}});
    }
    return json_response(404, {{"item", nullptr}});
  }
  const bool notes = name == "Tickets" && seg_is(rest, 1, "Notes");
  const bool roles = name == "Resources" && seg_is(rest, 1, "Roles");
  if (rest.size() != 2 || (!notes && !roles)) return at_error(404, "No such route: " + req.path);
  if (notes && m == "POST") return post_note(st, req, *id, creator, impersonator);
  if (m != "GET") return not_allowed();
  std::lock_guard lk(st.store.mu);
  Json items = Json::array();
  if (notes) {
    auto it = st.store.at.notes.find(*id);
    if (it != st.store.at.notes.end()) items = it->second;
  } else {
    for (Json& rr : at_resource_roles(st.store, *id)) items.push_back(std::move(rr));
  }
  return ok({{"items", items},
             {"pageDetails",
              {{"count", items.size()},
               {"requestCount", 500},
               {"prevPageUrl", nullptr},
               {"nextPageUrl", nullptr}}}});
}

std::vector<std::string> segments(const std::string& path) {
  auto split = split_root(path);
  return split_list(split ? path.substr(split->rest) : std::string(), '/');
}

}  // namespace

Response at_error(int status, const std::string& message) {
  return json_response(status, {{"errors", Json::array({message})}});
}

bool is_autotask_path(const std::string& path) { return split_root(path).has_value(); }

bool valid_zone_prefix(const std::string& prefix) {
  if (prefix.empty()) return true;
  if (prefix.size() < 2 || prefix.size() > 64 || prefix[0] != '/') return false;
  for (size_t k = 1; k < prefix.size(); ++k) {
    const char c = prefix[k];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  const std::string_view name = std::string_view(prefix).substr(1);
  return compare_nocase(name, "api") != 0 && compare_nocase(name, "_sim") != 0 &&
         compare_nocase(name, "ATServicesRest") != 0 && name != "." && name != "..";
}

std::string autotask_endpoint(const std::string& path) {
  std::vector<std::string> seg = segments(path);
  if (seg.size() < 2 || compare_nocase(seg[1], "ZoneInformation") == 0) return "";
  return seg[1];
}

Response handle_autotask(State& st, const Request& req) {
  std::vector<std::string> seg = segments(req.path);
  if (seg.size() < 2 || compare_nocase(seg[0], "V1.0") != 0) {
    return at_error(404, "The requested resource " + req.path + " was not found.");
  }
  // The lookup answers under any zone's root, as every Autotask zone does.
  if (seg.size() == 2 && compare_nocase(seg[1], "ZoneInformation") == 0)
    return zone_information(st, req);
  {
    // A zone the database is not in (any other prefix, the original one too
    // once it moved) does not know its routes: 404, before any auth.
    const std::string prefix = split_root(req.path)->prefix;
    std::lock_guard lk(st.store.mu);
    if (compare_nocase(prefix, st.store.at.zone) != 0)
      return at_error(404, "The requested resource " + req.path + " was not found.");
  }
  const std::string user = req.header("UserName");
  if (user.empty() || compare_nocase(user, st.opts.at_username) != 0 ||
      req.header("Secret") != st.opts.at_secret) {
    return at_error(401, "The UserName or Secret is invalid.");
  }
  if (req.header("ApiIntegrationCode") != st.opts.at_integration_code) {
    return at_error(500, "IntegrationCode is invalid.");
  }
  int64_t creator = 0;
  Json impersonator = nullptr;
  {
    std::lock_guard lk(st.store.mu);
    creator = api_resource(st);
    const std::string imp = req.header("ImpersonationResourceId");
    if (!imp.empty()) {
      if (!active_resource(st.store, Json(imp))) {
        return at_error(500, "ImpersonationResourceId " + imp + " is not an active resource.");
      }
      impersonator = creator;
      creator = *parse_id(imp);
    }
  }
  return route(st, req, std::vector<std::string>(seg.begin() + 1, seg.end()), creator,
               impersonator);
}

void autotask_other_writers(State& st, const Request& req, int count) {
  Json body = Json::parse(req.body.empty() ? std::string("null") : req.body, nullptr, false);
  std::optional<int64_t> ticket;
  if (body.is_object()) {
    if (const Json* t = at_member(body, "ticketID")) ticket = int_of(*t);
  }
  std::vector<std::string> seg = segments(req.path);
  if (!ticket && seg.size() == 5 && seg_is(seg, 4, "Notes")) ticket = parse_id(seg[3]);
  if (!ticket) return;
  std::lock_guard lk(st.store.mu);
  try {
    mutate_autotask(st.store,
                    {{"entity", "autotask_notes"}, {"ticket", *ticket}, {"count", count}});
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace cwsim
