#include "status_checks.h"

#include <optional>
#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>

namespace cwsync::test {
namespace {

using nlohmann::json;

// One applied status change, from a PATCH in cwsim's request log.
struct Patch {
  std::string provider;
  int ticket = 0;
  std::int64_t status = 0;
  int handled = 0;
};

std::optional<Patch> parse_patch(const json& e) {
  const json body = json::parse(e.value("body", std::string()), nullptr, false);
  Patch p;
  p.handled = e.value("handled", 0);
  const std::string api = e.value("api", std::string());
  const std::string path = e.value("path", std::string());
  if (api == "psa") {
    // .../service/tickets/{id}, body [{"op":"replace","path":"status","value":{"id":N}}]
    const auto slash = path.rfind('/');
    if (slash == std::string::npos || path.find("/service/tickets/") == std::string::npos) return {};
    try {
      p.ticket = std::stoi(path.substr(slash + 1));
    } catch (const std::exception&) {
      return {};
    }
    p.provider = "connectwise";
    if (!body.is_array()) return {};
    for (const json& op : body) {
      if (op.is_object() && op.value("path", std::string()) == "status" && op.contains("value") &&
          op["value"].is_object() && op["value"].contains("id") && op["value"]["id"].is_number_integer()) {
        p.status = op["value"]["id"].get<std::int64_t>();
      }
    }
  } else if (api == "autotask") {
    // .../Tickets, body {"id":N,"status":S}
    if (path.size() < 8 || path.substr(path.size() - 8) != "/Tickets" || !body.is_object()) return {};
    if (!body.contains("id") || !body["id"].is_number_integer()) return {};
    p.ticket = body["id"].get<int>();
    p.provider = "autotask";
    if (body.contains("status") && body["status"].is_number_integer()) p.status = body["status"].get<std::int64_t>();
  } else {
    return {};
  }
  if (p.status == 0) return {};
  return p;
}

// Each ticket's current status id at cwsim.
std::map<std::pair<std::string, int>, std::int64_t> current_statuses(const SimControl& sim) {
  std::map<std::pair<std::string, int>, std::int64_t> out;
  const json cw = sim.get("/_sim/store/tickets");
  for (const json& t : cw["tickets"]) {
    out[{"connectwise", t["id"].get<int>()}] = t["status"]["id"].get<std::int64_t>();
  }
  const json at = sim.get("/_sim/store/autotask-tickets");
  for (const json& t : at["tickets"]) out[{"autotask", t["id"].get<int>()}] = t["status"].get<std::int64_t>();
  return out;
}

}  // namespace

StatusLedger::StatusLedger(const SimControl& sim) {
  const json boards = sim.get("/_sim/store/boards");
  std::map<std::int64_t, std::vector<std::pair<std::string, std::int64_t>>> by_board;
  for (const json& s : boards["statuses"]) {
    if (s.value("inactive", false)) continue;
    by_board[s["board"]["id"].get<std::int64_t>()].emplace_back(s["name"].get<std::string>(),
                                                                  s["id"].get<std::int64_t>());
  }
  const json cw = sim.get("/_sim/store/tickets");
  for (const json& t : cw["tickets"]) {
    const Key k{"connectwise", t["id"].get<int>()};
    for (const auto& [name, id] : by_board[t["board"]["id"].get<std::int64_t>()]) {
      names_[k].push_back(name);
      ids_[k][name] = id;
    }
  }
  const json at = sim.get("/_sim/store/autotask-tickets");
  for (const json& t : at["tickets"]) {
    const Key k{"autotask", t["id"].get<int>()};
    for (const json& v : at["statuses"]) {
      if (!v.value("isActive", true)) continue;
      names_[k].push_back(v["label"].get<std::string>());
      ids_[k][v["label"].get<std::string>()] = v["value"].get<std::int64_t>();
    }
  }
  initial_ = current_statuses(sim);
}

const std::vector<std::string>& StatusLedger::names(const std::string& provider, int ticket) const {
  const auto it = names_.find({provider, ticket});
  if (it == names_.end() || it->second.empty()) {
    throw std::runtime_error("no statuses known for " + provider + " ticket " + std::to_string(ticket));
  }
  return it->second;
}

void StatusLedger::add(const CampaignPost& post, const std::string& status_name) {
  posts_[{post.provider, post.ticket}].push_back({post.id, status_name, "pending", false});
}

std::int64_t StatusLedger::status_id(const Key& k, const std::string& name) const {
  return ids_.at(k).at(name);
}

std::string StatusLedger::status_name(const Key& k, std::int64_t id) const {
  for (const auto& [name, v] : ids_.at(k)) {
    if (v == id) return name;
  }
  return "#" + std::to_string(id);
}

bool StatusLedger::report(Findings& f, int Findings::*counter, const std::string& what) {
  if (!reported_.insert(what).second) return false;
  f.add(counter, what);
  return true;
}

void StatusLedger::check(const std::string& db_path, const SimControl& sim, bool final, Findings& f) {
  // Every PATCH cwsim saw, in arrival order (the log keeps 500,000 entries,
  // far more than a campaign makes).
  std::map<Key, std::vector<Patch>> applied, all;
  const json log = sim.get("/_sim/requests?method=PATCH");
  for (const json& e : log["requests"]) {
    auto p = parse_patch(e);
    if (!p) continue;
    all[{p->provider, p->ticket}].push_back(*p);
    if (p->handled >= 200 && p->handled < 300) applied[{p->provider, p->ticket}].push_back(*p);
  }
  const auto now = current_statuses(sim);
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  db.exec("PRAGMA busy_timeout = 5000");
  SQLite::Statement q(db, "SELECT status, last_http_status FROM psa_posts WHERE id = ?");
  for (auto& [key, posts] : posts_) {
    const std::string who = key.first + " ticket " + std::to_string(key.second);
    const std::vector<Patch>& patches = applied[key];
    std::size_t next = 0;  // the first PATCH no post has explained yet
    std::int64_t cur = initial_.at(key);
    std::int64_t last = cur;  // the status of the last post that is not dead
    bool ok = true;
    for (Post& p : posts) {
      q.bind(1, p.id);
      const bool found = q.executeStep();
      p.db_status = found ? q.getColumn(0).getString() : "gone";
      const int http = found && !q.getColumn(1).isNull() ? q.getColumn(1).getInt() : 0;
      q.reset();
      const std::int64_t target = status_id(key, p.name);
      bool own = false;
      while (next < patches.size() && patches[next].status == target) {
        own = true;
        ++next;
      }
      p.applied = own || cur == target;
      if (own) cur = target;
      if (p.db_status == "dead") {
        // Only with a rejection cwsim's handler really answered.
        bool genuine = false;
        for (const Patch& x : all[key]) genuine = genuine || (http >= 400 && x.handled == http);
        if (!genuine) {
          const std::string what = "status post " + std::to_string(p.id) + " (" + who + ", '" + p.name +
                                   "') is dead without a rejection from cwsim (HTTP " +
                                   std::to_string(http) + ")";
          const bool first = report(f, &Findings::lost, what);
          if (first) ++f.lost_by_provider[key.first];
        }
        continue;
      }
      last = target;
      if (p.db_status == "succeeded" && !p.applied) {
        report(f, &Findings::status_not_applied, "status post " + std::to_string(p.id) + " (" + who +
                                                 ", '" + p.name + "') succeeded but cwsim never applied it");
      }
    }
    if (next < patches.size()) {
      ok = false;
      report(f, &Findings::out_of_order, who + ": PATCH to '" + status_name(key, patches[next].status) +
                                         "' (applied change " + std::to_string(next + 1) + " of " +
                                         std::to_string(patches.size()) +
                                         ") follows no status post in enqueue order");
    }
    if (final && now.at(key) != last) {
      ok = false;
      report(f, &Findings::out_of_order, who + " ends at '" + status_name(key, now.at(key)) +
                                         "', its last status post says '" + status_name(key, last) + "'");
    }
    ordered_[key] = ok;
  }
  // PATCHes of tickets that were given no status post at all.
  for (const auto& [key, patches] : applied) {
    if (!posts_.count(key) && !patches.empty()) {
      report(f, &Findings::out_of_order, key.first + " ticket " + std::to_string(key.second) +
                                         ": a status PATCH but no status post");
    }
  }
}

std::map<std::string, StatusLedger::Summary> StatusLedger::summary() const {
  std::map<std::string, Summary> out;
  for (const auto& [key, posts] : posts_) {
    Summary& s = out[key.first];
    const auto o = ordered_.find(key);
    for (const Post& p : posts) {
      ++s.posts;
      s.applied += p.applied;
      s.dead += p.db_status == "dead";
      s.in_order += o != ordered_.end() && o->second;
    }
  }
  return out;
}

void check_ticket_order(const std::string& db_path, Findings& f) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  db.exec("PRAGMA busy_timeout = 5000");
  SQLite::Statement q(db, "SELECT tenant, ticket_id, id, status FROM psa_posts ORDER BY tenant, ticket_id, id");
  std::string tenant;
  std::int64_t ticket = -1, waiting = 0;  // waiting: an undelivered post of this ticket, if any
  while (q.executeStep()) {
    const std::string t = q.getColumn(0).getString();
    const std::int64_t k = q.getColumn(1).getInt64(), id = q.getColumn(2).getInt64();
    const std::string status = q.getColumn(3).getString();
    if (t != tenant || k != ticket) {
      tenant = t;
      ticket = k;
      waiting = 0;
    }
    const bool delivered = status == "succeeded" || status == "dead";
    if (!delivered && waiting == 0) waiting = id;
    if (delivered && waiting != 0) {
      f.add(&Findings::out_of_order, tenant + " ticket " + std::to_string(ticket) + ": post " + std::to_string(id) +
                                         " is " + status + " while the earlier post " + std::to_string(waiting) +
                                         " is not delivered");
    }
  }
}

}  // namespace cwsync::test
