// Data changes at run time: create, modify, delete, bump_version, archive.
// One call stamps every record it touches with the same time, which is how
// tests get "many records sharing one modifyDate/lastUpdated".
#include "autotask.h"
#include "state.h"

#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>

namespace cwsim {
namespace {

struct Spec {
  std::string entity, kind;
  int count = 1;
  Json ids;
  TimeMs ts = 0;
  Json fields;
};

Spec read_spec(const Json& j) {
  if (!j.is_object()) throw std::invalid_argument("a mutation is a JSON object");
  Spec s;
  try {
    s.entity = j.value("entity", std::string("quotes"));
    s.kind = j.value("kind", std::string("modify"));
    s.count = j.value("count", 1);
    s.ids = j.value("ids", Json::array());
    s.fields = j.value("fields", Json::object());
    if (j.contains("timestamp") && !j["timestamp"].is_null()) {
      auto t = parse_time(j["timestamp"].get<std::string>());
      if (!t) throw std::invalid_argument("timestamp is not ISO-8601");
      s.ts = *t;
    }
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("bad mutation field: ") + e.what());
  }
  if (s.count < 1 || s.count > 100000) throw std::invalid_argument("count must be 1..100000");
  if (!s.ids.is_array()) throw std::invalid_argument("ids must be an array");
  if (s.ts == 0) s.ts = now_ms();
  return s;
}

void reindex(Store& st) {
  st.quote_by_id.clear();
  st.quote_versions.clear();
  for (size_t k = 0; k < st.quotes.size(); ++k) {
    st.quote_by_id[st.quotes[k].id] = k;
    st.quote_versions[st.quotes[k].quote_number].push_back(k);
  }
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// Targets: the listed ids, or `count` distinct pseudo-random visible rows.
std::vector<size_t> quote_targets(Store& st, const Spec& s) {
  std::vector<size_t> out;
  if (!s.ids.empty()) {
    for (const Json& id : s.ids) {
      auto it = id.is_string() ? st.quote_by_id.find(id.get<std::string>()) : st.quote_by_id.end();
      if (it == st.quote_by_id.end()) throw std::invalid_argument("unknown quote id " + id.dump());
      out.push_back(it->second);
    }
    return out;
  }
  std::vector<size_t> visible;
  for (size_t k = 0; k < st.quotes.size(); ++k) {
    if (st.quote_visible(st.quotes[k], false)) visible.push_back(k);
  }
  std::set<size_t> chosen;
  while (chosen.size() < std::min<size_t>(static_cast<size_t>(s.count), visible.size())) {
    chosen.insert(visible[st.next_random() % visible.size()]);
  }
  return {chosen.begin(), chosen.end()};
}

void apply_quote_fields(Quote& q, const Json& f) {
  if (f.contains("name")) q.name = f["name"].get<std::string>();
  if (f.contains("quoteStatus")) q.quote_status = f["quoteStatus"].get<std::string>();
  if (f.contains("isAccepted")) q.is_accepted = f["isAccepted"].get<bool>();
  if (f.contains("isLost")) q.is_lost = f["isLost"].get<bool>();
  if (f.contains("isSent")) q.is_sent = f["isSent"].get<bool>();
  if (f.contains("probability")) q.probability = f["probability"].get<int>();
  if (f.contains("quoteTotal")) q.quote_total = f["quoteTotal"].get<double>();
  if (f.contains("crmOpportunityId")) {
    q.crm_opportunity_id = f["crmOpportunityId"].is_null() ? std::nullopt : std::optional(f["crmOpportunityId"].get<std::string>());
  }
}

Json mutate_quotes(State& state, const Spec& s) {
  Store& st = state.store;
  Json affected = Json::array();
  Rng rng(st.next_random());
  if (s.kind == "create") {
    std::vector<size_t> templates = quote_targets(st, Spec{s.entity, s.kind, 1, Json::array(), s.ts, s.fields});
    if (templates.empty()) throw std::invalid_argument("no quote to copy from");
    for (int k = 0; k < s.count; ++k) {
      Quote q = st.quotes[templates[0]];
      q.seq = st.next_seq++;
      q.id = rng.guid();
      q.quote_number = st.next_quote_number++;
      q.quote_version = 1;
      q.latest = true;
      q.is_archive = q.is_accepted = q.is_lost = q.is_sent = false;
      q.lost_reason.reset();
      q.won_or_lost_date.reset();
      q.quote_status = "Draft";
      q.create_date = q.modify_date = s.ts;
      q.item_seed = rng.next();
      q.cache_spec = 0;
      apply_quote_fields(q, s.fields);
      affected.push_back(q.id);
      st.quotes.push_back(std::move(q));
    }
    reindex(st);
    return affected;
  }
  std::vector<size_t> targets = quote_targets(st, s);
  if (s.kind == "delete") {
    std::set<int64_t> numbers;
    for (size_t t : targets) numbers.insert(st.quotes[t].quote_number);
    std::vector<Quote> kept;
    kept.reserve(st.quotes.size());
    for (Quote& q : st.quotes) {
      if (numbers.count(q.quote_number)) {
        st.deleted_quotes.push_back({{"id", q.id}, {"quoteNumber", q.quote_number}, {"quoteVersion", q.quote_version},
                                     {"deletedAt", format_time_ms(s.ts)}});
        affected.push_back(q.id);
      } else {
        kept.push_back(std::move(q));
      }
    }
    st.quotes = std::move(kept);
    reindex(st);
    return affected;
  }
  if (s.kind == "bump_version") {
    std::set<int64_t> done;
    for (size_t t : targets) {
      int64_t number = st.quotes[t].quote_number;
      if (!done.insert(number).second) continue;
      size_t latest = st.quote_versions[number].back();
      for (size_t row : st.quote_versions[number]) if (st.quotes[row].latest) latest = row;
      Quote q = st.quotes[latest];
      st.quotes[latest].latest = false;
      st.quotes[latest].cache_spec = 0;
      q.seq = st.next_seq++;
      q.id = rng.guid();
      q.quote_version += 1;
      q.create_date = q.modify_date = s.ts;
      q.quote_total = round2(q.quote_total * 1.05);
      q.subtotal = round2(q.subtotal * 1.05);
      q.item_seed = rng.next();
      q.cache_spec = 0;
      apply_quote_fields(q, s.fields);
      affected.push_back(q.id);
      st.quotes.push_back(std::move(q));
    }
    reindex(st);
    return affected;
  }
  if (s.kind == "modify" || s.kind == "archive") {
    for (size_t t : targets) {
      Quote& q = st.quotes[t];
      q.modify_date = s.ts;
      if (s.kind == "archive") {
        q.is_archive = true;
      } else if (s.fields.empty()) {
        q.quote_total = round2(q.quote_total + 100.0);
        q.probability = std::min(100, q.probability + 10);
      }
      apply_quote_fields(q, s.fields);
      q.cache_spec = 0;
      affected.push_back(q.id);
    }
    return affected;
  }
  throw std::invalid_argument("unknown quote mutation '" + s.kind + "' (create, modify, delete, bump_version, archive)");
}

// What differs between the PSA collections mutations touch (opportunities,
// tickets): everything else (targets, fields, stamps) is shared.
struct PsaCollection {
  const char* noun;                        // "opportunity", "ticket"
  std::map<int64_t, Json>& rows;
  std::vector<Json>& deleted;              // tombstones {id, deletedAt}
  int64_t& next_id;
  // status:{id} → {status, closed flag}; nullopt for an unknown id.
  std::function<std::optional<std::pair<Json, bool>>(const Json& id)> status;
  std::function<void(Json&, int64_t id)> fresh;     // a created record's own fields
  std::function<void(Json&, const std::string& ts)> touch;  // modify without fields
};

Json mutate_psa(Store& st, const Spec& s, PsaCollection c) {
  Json affected = Json::array();
  std::string ts = format_time(s.ts);
  std::vector<int64_t> targets;
  if (!s.ids.empty()) {
    for (const Json& id : s.ids) {
      if (!id.is_number_integer() || !c.rows.count(id.get<int64_t>())) {
        throw std::invalid_argument(std::string("unknown ") + c.noun + " id " + id.dump());
      }
      targets.push_back(id.get<int64_t>());
    }
  } else if (s.kind != "create") {
    std::vector<int64_t> all;
    for (const auto& [id, o] : c.rows) all.push_back(id);
    std::set<int64_t> chosen;
    while (!all.empty() && chosen.size() < std::min<size_t>(static_cast<size_t>(s.count), all.size())) {
      chosen.insert(all[st.next_random() % all.size()]);
    }
    targets.assign(chosen.begin(), chosen.end());
  }
  auto apply_fields = [&](Json& o) {
    for (auto& [k, v] : s.fields.items()) {
      if (k == "status" && v.is_object() && v.contains("id")) {
        if (auto found = c.status(v["id"])) {
          o["status"] = found->first;
          o["closedFlag"] = found->second;
          o["closedDate"] = found->second ? Json(ts) : Json(nullptr);
        }
      } else {
        o[k] = v;
      }
    }
  };
  if (s.kind == "create") {
    if (c.rows.empty()) throw std::invalid_argument(std::string("no ") + c.noun + " to copy from");
    for (int k = 0; k < s.count; ++k) {
      auto it = c.rows.begin();
      std::advance(it, static_cast<long>(st.next_random() % c.rows.size()));
      Json o = it->second;
      int64_t id = c.next_id++;
      o["id"] = id;
      o["closedFlag"] = false;
      o["closedDate"] = nullptr;
      c.fresh(o, id);
      o["_info"]["dateEntered"] = ts;
      o["_info"]["lastUpdated"] = ts;
      apply_fields(o);
      c.rows[id] = std::move(o);
      affected.push_back(id);
    }
    return affected;
  }
  for (int64_t id : targets) {
    if (s.kind == "delete") {
      c.rows.erase(id);
      c.deleted.push_back({{"id", id}, {"deletedAt", ts}});
    } else if (s.kind == "modify") {
      Json& o = c.rows[id];
      o["_info"]["lastUpdated"] = ts;
      if (s.fields.empty()) c.touch(o, ts);
      apply_fields(o);
    } else {
      throw std::invalid_argument(std::string("unknown ") + c.noun + " mutation '" + s.kind +
                                  "' (create, modify, delete)");
    }
    affected.push_back(id);
  }
  return affected;
}

Json mutate_opportunities(State& state, const Spec& s) {
  Store& st = state.store;
  return mutate_psa(st, s,
      {"opportunity", st.opportunities, st.deleted_opportunities, st.next_opportunity_id,
       [&st](const Json& id) -> std::optional<std::pair<Json, bool>> {
         for (const Json& stt : st.opportunity_statuses) {
           if (stt["id"] == id) return std::pair{Json{{"id", stt["id"]}, {"name", stt["name"]}}, stt["closedFlag"].get<bool>()};
         }
         return std::nullopt;
       },
       [](Json& o, int64_t id) {
         o["name"] = "New opportunity " + std::to_string(id);
         o["status"] = {{"id", 1}, {"name", "Open"}};
       },
       [](Json& o, const std::string& ts) { o["notes"] = "Updated by cwsim at " + ts; }});
}

// Tickets: a status id must belong to the ticket's board in PATCH, but a
// mutation is the simulator's own hand and may set any board status.
Json mutate_tickets(State& state, const Spec& s) {
  Store& st = state.store;
  return mutate_psa(st, s,
      {"ticket", st.tickets, st.deleted_tickets, st.next_ticket_id,
       [&st](const Json& id) -> std::optional<std::pair<Json, bool>> {
         for (const Json& bs : st.board_statuses) {
           if (bs["id"] == id) {
             return std::pair{Json{{"id", bs["id"]}, {"name", bs["name"]}, {"Sort", bs["sortOrder"]}},
                              bs["closedStatus"].get<bool>()};
           }
         }
         return std::nullopt;
       },
       [](Json& t, int64_t id) {
         t["summary"] = "New ticket " + std::to_string(id);
         t["parentTicketId"] = nullptr;
       },
       [](Json& t, const std::string& ts) { t["_info"]["updatedBy"] = "cwsim " + ts; }});
}

}  // namespace

// {"entity":"notes","kind":"create","ticket":T,"count":N}: N notes on ticket
// T from another writer (a technician in PSA's UI), e.g. between a lost POST
// and cwsync's check. Caller holds store.mu.
Json create_notes(Store& s, const Json& spec) {
  if (spec.value("kind", std::string("create")) != "create") {
    throw std::invalid_argument("notes support kind create only");
  }
  if (!spec.contains("ticket") || !spec["ticket"].is_number_integer()) {
    throw std::invalid_argument("a notes mutation needs an integer 'ticket'");
  }
  const int64_t ticket = spec["ticket"].get<int64_t>();
  if (!s.tickets.count(ticket)) throw std::invalid_argument("no ticket " + std::to_string(ticket));
  const int count = spec.value("count", 1);
  if (count < 1 || count > 100000) throw std::invalid_argument("count must be 1..100000");
  const std::string now = format_time(now_ms());
  Json affected = Json::array();
  for (int k = 0; k < count; ++k) {
    const int64_t id = s.next_note_id++;
    s.notes[ticket].push_back({{"id", id}, {"ticketId", ticket},
                               {"text", "Update " + std::to_string(k + 1) + " from another writer"},
                               {"detailDescriptionFlag", false}, {"internalAnalysisFlag", true},
                               {"resolutionFlag", false}, {"issueFlag", false},
                               {"member", {{"id", 1}, {"identifier", "tech"}, {"name", "Technician"}}},
                               {"contact", nullptr}, {"customerUpdatedFlag", false},
                               {"processNotifications", false}, {"dateCreated", now},
                               {"createdBy", "tech"}, {"internalFlag", true}, {"externalFlag", false},
                               {"_info", {{"lastUpdated", now}, {"updatedBy", "tech"}}}});
    affected.push_back(id);
  }
  return {{"entity", "notes"}, {"kind", "create"}, {"timestamp", now}, {"affected", affected}};
}

Json apply_mutation(State& st, const Json& spec) {
  if (spec.is_object() && spec.value("entity", std::string()) == "notes") {
    std::lock_guard lk(st.store.mu);
    return create_notes(st.store, spec);
  }
  if (spec.is_object() && spec.value("entity", std::string()).rfind("autotask_", 0) == 0) {
    std::lock_guard lk(st.store.mu);
    return mutate_autotask(st.store, spec);
  }
  Spec s = read_spec(spec);
  std::lock_guard lk(st.store.mu);
  ++st.store.generation;
  Json affected;
  if (s.entity == "quotes") {
    affected = mutate_quotes(st, s);
  } else if (s.entity == "opportunities") {
    affected = mutate_opportunities(st, s);
  } else if (s.entity == "tickets") {
    affected = mutate_tickets(st, s);
  } else {
    throw std::invalid_argument(
        "entity must be quotes, opportunities, tickets, notes, autotask_notes, autotask_tickets or "
        "autotask_zone");
  }
  return {{"entity", s.entity}, {"kind", s.kind}, {"timestamp", format_time_ms(s.ts)}, {"affected", affected}};
}

Json random_mutation(State& st) {
  uint64_t r;
  bool have_opps;
  {
    std::lock_guard lk(st.store.mu);
    r = st.store.next_random();
    have_opps = !st.store.opportunities.empty();
  }
  static const char* kQuoteKinds[] = {"modify", "modify", "modify", "create", "create", "bump_version", "delete", "archive"};
  static const char* kOppKinds[] = {"modify", "modify", "modify", "create", "delete"};
  Json spec;
  if (have_opps && r % 10 < 3) {
    spec = {{"entity", "opportunities"}, {"kind", kOppKinds[(r >> 8) % 5]}};
  } else {
    spec = {{"entity", "quotes"}, {"kind", kQuoteKinds[(r >> 8) % 8]}};
  }
  spec["count"] = 1 + static_cast<int>((r >> 16) % 3);
  return apply_mutation(st, spec);
}

}  // namespace cwsim
