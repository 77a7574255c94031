// The control API (/_sim/...): faults, rate limits, mutations, inspection.
// Unauthenticated; the server only accepts it from loopback peers.
#include "autotask.h"
#include "quote_fields.h"
#include "state.h"

#include <stdexcept>

namespace cwsim {
namespace {

Response ok(const Json& body) { return json_response(200, body); }
Response bad(const std::string& msg) { return json_response(400, {{"error", msg}}); }

Json body_json(const Request& req) {
  if (req.body.empty()) return Json::object();
  try {
    return Json::parse(req.body);
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("body is not JSON: ") + e.what());
  }
}

Json values(const std::map<int64_t, Json>& m) {
  Json rows = Json::array();
  for (const auto& [id, row] : m) rows.push_back(row);
  return rows;
}

bool truthy(const Request& req, const std::string& name) {
  auto v = req.param(name);
  return v && (*v == "1" || compare_nocase(*v, "true") == 0);
}

Response store_view(State& st, const Request& req, const std::string& what) {
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  if (what == "quotes") {
    bool visible_only = truthy(req, "visible");
    Json rows = Json::array();
    for (const Quote& q : s.quotes) {
      bool visible = s.quote_visible(q, false);
      if (visible_only && !visible) continue;
      Json j = Json::parse(serialize_quote(s, q, {}));
      j["_sim"] = {{"seq", q.seq}, {"latest", q.latest}, {"visible", visible}};
      rows.push_back(std::move(j));
    }
    return ok({{"quotes", rows}, {"deleted", s.deleted_quotes}});
  }
  if (what == "opportunities") return ok({{"opportunities", values(s.opportunities)}, {"deleted", s.deleted_opportunities}});
  if (what == "notes") {
    Json rows = Json::array();
    auto ticket = req.param("ticket");
    for (const auto& [id, list] : s.notes) {
      if (ticket && std::to_string(id) != *ticket) continue;
      for (const Json& n : list) rows.push_back(n);
    }
    return ok({{"notes", rows}});
  }
  if (what == "time-entries") return ok({{"time_entries", s.time_entries}});
  if (what == "tickets") return ok({{"tickets", values(s.tickets)}, {"deleted", s.deleted_tickets}});
  if (what == "members") return ok({{"members", s.members}});
  if (what == "boards") return ok({{"boards", s.boards}, {"statuses", s.board_statuses}});
  if (what == "opportunity-statuses") return ok({{"statuses", s.opportunity_statuses}});
  if (what == "autotask-tickets") {
    Json statuses = Json::array();  // the Tickets status picklist, as entityInformation has it
    for (const AtPick& p : at_ticket_statuses()) {
      statuses.push_back({{"value", p.value}, {"label", p.label}, {"isActive", p.active}});
    }
    return ok({{"tickets", values(s.at.tickets)}, {"statuses", statuses}});
  }
  if (what == "autotask-notes") {
    Json rows = Json::array();
    auto ticket = req.param("ticket");
    for (const auto& [id, list] : s.at.notes) {
      if (ticket && std::to_string(id) != *ticket) continue;
      for (const Json& n : list) rows.push_back(n);
    }
    return ok({{"notes", rows}});
  }
  if (what == "autotask-time-entries") return ok({{"time_entries", s.at.time_entries}});
  return json_response(404, {{"error", "unknown store view " + what}});
}

Response faults(State& st, const Request& req, const std::vector<std::string>& seg) {
  if (seg.size() == 2) {
    if (req.method == "GET") return ok({{"faults", st.faults.list()}});
    if (req.method == "DELETE") {
      st.faults.clear();
      return ok({{"cleared", true}});
    }
    if (req.method == "POST") {
      Json spec = body_json(req);
      // A list adds several rules in order.
      if (spec.is_array()) {
        Json ids = Json::array();
        for (const Json& r : spec) ids.push_back(st.faults.add(r));
        return ok({{"ids", ids}});
      }
      return ok({{"id", st.faults.add(spec)}});
    }
  }
  if (seg.size() == 3 && req.method == "DELETE") {
    bool removed = st.faults.remove(std::stoi(seg[2]));
    return json_response(removed ? 200 : 404, {{"removed", removed}});
  }
  return json_response(405, {{"error", "method not allowed"}});
}

Response rate_limit(State& st, const Request& req) {
  if (req.method == "GET") return ok({{"rate_limits", st.limiter.to_json()}});
  if (req.method == "DELETE") {
    st.limiter.disable(req.param("api").value_or("*"));
    return ok({{"rate_limits", st.limiter.to_json()}});
  }
  Json b = body_json(req);
  std::string api = b.value("api", std::string("cpq"));
  if (api != "cpq" && api != "psa" && api != "autotask") return bad("api must be cpq, psa or autotask");
  int requests = b.value("requests", 0), window = b.value("window_ms", 0);
  if (b.contains("rate")) {
    auto r = parse_rate(b["rate"].get<std::string>());
    if (!r) return bad("rate must look like 25/5s");
    requests = r->first;
    window = r->second;
  }
  if (requests <= 0 || window <= 0) return bad("requests and window_ms must be positive");
  st.limiter.configure(api, requests, window);
  return ok({{"rate_limits", st.limiter.to_json()}});
}

// The Autotask limits: GET reads them, POST changes any of hourly_limit,
// concurrency and threshold_delay_ms, DELETE forgets the hour's count.
Response autotask_limits(State& st, const Request& req) {
  if (req.method == "DELETE") st.at_limits.clear();
  if (req.method == "POST") {
    Json b = body_json(req);
    Json now = st.at_limits.to_json(now_ms());
    int hourly = b.value("hourly_limit", now["hourly_limit"].get<int>());
    int concurrency = b.value("concurrency", now["concurrency"].get<int>());
    int delay = b.value("threshold_delay_ms", now["threshold_delay_ms"].get<int>());
    if (hourly < 1 || concurrency < 1 || delay < 0) {
      return bad("hourly_limit and concurrency must be >= 1, threshold_delay_ms >= 0");
    }
    st.at_limits.configure(hourly, concurrency, delay);
  }
  return ok({{"autotask", st.at_limits.to_json(now_ms())}});
}

// The Autotask zone: GET reads it, POST {"path_prefix":"/ws2"} moves the
// database there (the `autotask_zone` mutation); an optional "url" is what
// the zone lookup names instead (a zone on another host).
Response autotask_zone(State& st, const Request& req) {
  if (req.method == "POST") {
    Json b = body_json(req);
    if (!b.is_object()) return bad("the body must be {\"path_prefix\":\"/ws2\"}");
    apply_mutation(st, {{"entity", "autotask_zone"},
                        {"kind", "move"},
                        {"path_prefix", b.value("path_prefix", Json())},
                        {"url", b.value("url", Json(""))}});
  } else if (req.method != "GET") {
    return json_response(405, {{"error", "method not allowed"}});
  }
  std::lock_guard lk(st.store.mu);
  return ok({{"path_prefix", st.store.at.zone},
             {"root", st.store.at.zone + "/ATServicesRest/"},
             {"url", st.store.at.zone_url}});
}

}  // namespace

Response handle_control(State& st, const Request& req) {
  std::vector<std::string> seg = split_list(req.path, '/');  // "_sim", ...
  if (seg.size() < 2) return json_response(404, {{"error", "unknown control route"}});
  const std::string& what = seg[1];
  try {
    if (what == "health") return ok({{"ok", true}});
    if (what == "config" && req.method == "GET") {
      std::lock_guard lk(st.store.mu);
      return ok({{"access_key", st.opts.access_key},
                 {"no_license_access_key", st.opts.no_license_access_key},
                 {"public_key", st.opts.public_key},
                 {"private_key", st.opts.private_key},
                 {"company", st.opts.company},
                 {"client_id", st.opts.client_id},
                 {"codebase", st.codebase},
                 {"seed", st.opts.seed},
                 {"now", format_time(st.store.spec.now)},
                 {"quotes", st.opts.quotes},
                 {"opportunities", st.opts.opportunities},
                 {"tickets", st.opts.tickets},
                 {"at_username", st.opts.at_username},
                 {"at_secret", st.opts.at_secret},
                 {"at_integration_code", st.opts.at_integration_code}});
    }
    if (what == "faults") return faults(st, req, seg);
    if (what == "rate-limit") return rate_limit(st, req);
    if (what == "autotask" && seg.size() == 3 && seg[2] == "zone") return autotask_zone(st, req);
    if (what == "autotask") return autotask_limits(st, req);
    if (what == "mutate" && req.method == "POST") {
      Json spec = body_json(req);
      if (spec.is_array()) {
        Json reports = Json::array();
        for (const Json& m : spec) reports.push_back(apply_mutation(st, m));
        return ok({{"mutations", reports}});
      }
      return ok(apply_mutation(st, spec));
    }
    if (what == "requests") {
      if (req.method == "DELETE") {
        st.log.clear();
        return ok({{"cleared", true}});
      }
      uint64_t since = std::stoull(req.param("since").value_or("0"));
      return ok({{"requests", st.log.to_json(since, req.param("method").value_or(""))}});
    }
    if (what == "store" && seg.size() == 3 && req.method == "GET") return store_view(st, req, seg[2]);
    if (what == "codebase" && req.method == "POST") {
      Json b = body_json(req);
      std::string cb = b.value("codebase", std::string());
      if (cb.empty() || cb.back() != '/') return bad("codebase must end with '/', e.g. v2025_2/");
      std::lock_guard lk(st.store.mu);
      st.codebase = cb;
      return ok({{"codebase", cb}});
    }
    if (what == "reset" && req.method == "POST") {
      st.log.clear();
      st.faults.clear();
      st.limiter.disable("*");
      st.at_limits.clear();
      return ok({{"reset", true}});
    }
  } catch (const std::invalid_argument& e) {
    return bad(e.what());
  } catch (const std::out_of_range& e) {
    return bad(e.what());
  } catch (const Json::exception& e) {
    return bad(e.what());
  }
  return json_response(404, {{"error", "unknown control route " + req.method + " " + req.path}});
}

}  // namespace cwsim
