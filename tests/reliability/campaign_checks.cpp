#include "campaign_checks.h"

#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "sync/note_marker.h"

namespace cwsync::test {
namespace {

using nlohmann::json;

SQLite::Database open_ro(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

// Every text cwsim stored that can carry a marker: ConnectWise note texts and
// time-entry notes, Autotask note descriptions and time-entry summaryNotes.
std::vector<std::string> stored_texts(const SimControl& sim) {
  std::vector<std::string> texts;
  // Keep each reply alive: a range-for over get(...)["x"] would iterate a
  // member of a destroyed temporary.
  const json notes = sim.get("/_sim/store/notes");
  for (const auto& n : notes["notes"]) {
    texts.push_back(n.value("text", ""));
  }
  const json entries = sim.get("/_sim/store/time-entries");
  for (const auto& e : entries["time_entries"]) {
    if (e.contains("notes") && e["notes"].is_string()) texts.push_back(e["notes"]);
  }
  const json at_notes = sim.get("/_sim/store/autotask-notes");
  for (const auto& n : at_notes["notes"]) {
    if (n.contains("description") && n["description"].is_string()) texts.push_back(n["description"]);
  }
  const json at_entries = sim.get("/_sim/store/autotask-time-entries");
  for (const auto& e : at_entries["time_entries"]) {
    if (e.contains("summaryNotes") && e["summaryNotes"].is_string()) texts.push_back(e["summaryNotes"]);
  }
  return texts;
}

// A cursor may equal a committed row or trail it; it may never point past the
// newest committed row (1 s tolerance: the cache stores second precision).
void check_cursor(SQLite::Database& db, const std::string& entity, const std::string& table,
                  const std::string& column, Findings& f) {
  SQLite::Statement q(db, "SELECT cursor_modified_at FROM sync_state WHERE tenant = 'acme' AND entity = ?");
  q.bind(1, entity);
  if (!q.executeStep() || q.getColumn(0).isNull()) return;
  const std::string cursor = q.getColumn(0).getString();
  SQLite::Statement rows(db, "SELECT COUNT(*) FROM " + table + " WHERE tenant = 'acme' AND julianday(" +
                                 column + ") >= julianday(?) - 1.0 / 86400");
  rows.bind(1, cursor);
  rows.executeStep();
  if (rows.getColumn(0).getInt64() == 0) {
    f.add(&Findings::cursor_ahead, entity + " cursor " + cursor + " is past every committed row");
  }
}

void check_activity(SQLite::Database& db, std::int64_t id, const std::string& status, Findings& f) {
  SQLite::Statement q(db, "SELECT event FROM psa_activity_log WHERE post_id = ? ORDER BY id");
  q.bind(1, id);
  std::vector<std::string> events;
  while (q.executeStep()) events.push_back(q.getColumn(0).getString());
  auto count = [&](const char* e) {
    int n = 0;
    for (const auto& x : events) n += x == e;
    return n;
  };
  const std::string who = "post " + std::to_string(id) + " (" + status + ")";
  if (events.empty() || events.front() != "enqueued" || count("enqueued") != 1) {
    f.add(&Findings::log_gaps, who + ": the log does not start with exactly one 'enqueued'");
    return;
  }
  // A deduplicated post logs `deduplicated` then `succeeded` (the state it
  // ends in); either way there is exactly one `succeeded`.
  const int done = count("succeeded");
  if (status == "succeeded" && (done != 1 || count("deduplicated") > 1)) {
    f.add(&Findings::log_gaps, who + ": " + std::to_string(done) + " succeeded and " +
                                   std::to_string(count("deduplicated")) + " deduplicated events");
  }
  if (status != "succeeded" && done + count("deduplicated") != 0) {
    f.add(&Findings::log_gaps, who + ": a success event but the post is not succeeded");
  }
  if (status == "dead" && count("dead_lettered") == 0) {
    f.add(&Findings::log_gaps, who + ": dead without a 'dead_lettered' event");
  }
}

}  // namespace

void Findings::add(int Findings::*counter, const std::string& what) {
  ++(this->*counter);
  if (details.size() < 20) details.push_back(what);
}

std::map<std::int64_t, int> applied_counts(const std::vector<CampaignPost>& posts,
                                           const SimControl& sim) {
  const std::vector<std::string> texts = stored_texts(sim);
  std::map<std::int64_t, int> counts;
  for (const auto& p : posts) {
    if (p.kind == "status") continue;
    int n = 0;
    for (const auto& t : texts) n += t.find(p.marker) != std::string::npos;
    counts[p.id] = n;
  }
  return counts;
}

void check_invariants(const std::string& db_path, const std::vector<CampaignPost>& posts,
                      const SimControl& sim, Findings& f) {
  SQLite::Database db = open_ro(db_path);
  {
    SQLite::Statement q(db, "PRAGMA integrity_check");
    std::string verdict = q.executeStep() ? q.getColumn(0).getString() : "no answer";
    if (verdict != "ok") f.add(&Findings::integrity_failures, "integrity_check: " + verdict);
  }
  static const std::set<std::string> known = {"pending", "in_flight", "succeeded", "dead"};
  for (const auto& p : posts) {
    SQLite::Statement q(db, "SELECT status FROM psa_posts WHERE id = ?");
    q.bind(1, p.id);
    if (!q.executeStep()) {
      f.add(&Findings::lost, "post " + std::to_string(p.id) + " is gone from psa_posts");
      ++f.lost_by_provider[p.provider];
      continue;
    }
    const std::string status = q.getColumn(0).getString();
    if (!known.count(status)) {
      f.add(&Findings::lost, "post " + std::to_string(p.id) + " in unknown state " + status);
      ++f.lost_by_provider[p.provider];
      continue;
    }
    check_activity(db, p.id, status, f);
  }
  check_cursor(db, "quotes", "cpq_quotes", "modify_date", f);
  check_cursor(db, "opportunities", "cpq_opportunities", "last_updated", f);
  const std::map<std::int64_t, int> counts = applied_counts(posts, sim);
  for (const auto& p : posts) {
    const auto it = counts.find(p.id);
    if (it == counts.end() || it->second <= 1) continue;
    const int n = it->second;
    f.add(&Findings::duplicated, p.provider + " post " + std::to_string(p.id) + " applied " +
                                     std::to_string(n) + " times");
    ++f.duplicated_by_provider[p.provider];
  }
}

std::string autotask_tenant_yaml(const std::string& name, const std::string& sim_base_url,
                                 const std::string& secret, const std::string& queue) {
  return "  - name: " + name + "\n"
         "    psa:\n"
         "      provider: autotask\n"
         "      username: apiuser@msp.example.com\n"
         "      " + secret + "\n"
         "      integration_code: CWSIMINTEGRATIONCODE\n"
         "      zone_url: " + sim_base_url + "/ATServicesRest/\n"
         "      rate_limit: { requests: 100000, per: 1h }\n"
         "    queue: " + queue + "\n";
}

CampaignPost insert_post(SQLite::Database& db, const std::string& tenant, const std::string& provider,
                         const std::string& kind, int ticket, const nlohmann::json& payload,
                         const std::string& now) {
  SQLite::Statement ins(db, now.empty()
      ? "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) VALUES (?, ?, ?, ?)"
      : "INSERT INTO psa_posts (tenant, kind, ticket_id, payload, created_at, next_retry_at) "
        "VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, tenant);
  ins.bind(2, kind);
  ins.bind(3, ticket);
  ins.bind(4, payload.dump());
  if (!now.empty()) {
    ins.bind(5, now);
    ins.bind(6, now);
  }
  ins.exec();
  const std::int64_t id = db.getLastInsertRowid();
  const std::string key =
      db.execAndGet("SELECT idempotency_key FROM psa_posts WHERE id = " + std::to_string(id)).getString();
  return {id, kind, format_marker("[cwsync:{marker}]", key), provider, ticket};
}

int undelivered(const std::string& db_path) {
  SQLite::Database db = open_ro(db_path);
  return db.execAndGet("SELECT COUNT(*) FROM psa_posts WHERE status IN ('pending', 'in_flight')").getInt();
}

std::string compare_cache(const std::string& db_path, const SimControl& sim) {
  SQLite::Database db = open_ro(db_path);
  auto live = [&](const std::string& table) {
    std::set<std::string> ids;
    SQLite::Statement q(db, "SELECT id FROM " + table + " WHERE tenant = 'acme' AND deleted_at IS NULL");
    while (q.executeStep()) ids.insert(q.getColumn(0).getString());
    return ids;
  };
  std::set<std::string> quotes_up, opps_up;
  const json quotes = sim.get("/_sim/store/quotes?visible=true");
  for (const auto& q : quotes["quotes"]) quotes_up.insert(q["id"].get<std::string>());
  const json opps = sim.get("/_sim/store/opportunities");
  for (const auto& o : opps["opportunities"]) opps_up.insert(std::to_string(o["id"].get<long long>()));
  std::string out;
  auto diff = [&](const char* what, const std::set<std::string>& cache, const std::set<std::string>& up) {
    int missing = 0, extra = 0;
    for (const auto& id : up) missing += !cache.count(id);
    for (const auto& id : cache) extra += !up.count(id);
    if (missing || extra) {
      out += std::string(what) + ": " + std::to_string(missing) + " missing from the cache, " +
             std::to_string(extra) + " live in the cache but gone upstream; ";
    }
  };
  diff("quotes", live("cpq_quotes"), quotes_up);
  diff("opportunities", live("cpq_opportunities"), opps_up);
  return out;
}

}  // namespace cwsync::test
