#include "daemon/ticket_report.h"

#include <sstream>

#include "daemon/command.h"
#include "daemon/queue_report.h"
#include "storage/cache_store.h"
#include "storage/queue_store.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<TimePoint>& v) { return v ? json(format_iso8601(*v)) : json(nullptr); }

std::string age_text(std::optional<TimePoint> at, TimePoint now) {
  if (!at) return "never";
  return format_iso8601(*at) + " (" +
         format_age(std::chrono::duration_cast<std::chrono::milliseconds>(now - *at)) + ")";
}

// Why a tenant has no live row for the ticket, in words.
std::string reason_for(const Tenant& t, const std::optional<storage::SyncState>& sync,
                       const std::optional<storage::CachedTicket>& tombstoned) {
  if (!t.tickets.enabled) {
    return "tickets are not enabled for tenant " + t.name +
           " (set tickets: { enabled: true } in its config)";
  }
  if (tombstoned) {
    return "it was deleted upstream: the reconcile of " +
           format_iso8601(*tombstoned->deleted_at) + " no longer found it";
  }
  if (!sync || (!sync->last_incremental_at && !sync->cursor)) {
    return "tenant " + t.name + "'s tickets have not been synced yet (run `cwsync sync --once "
           "--entity tickets` or wait for the daemon)";
  }
  return "tenant " + t.name + " has no such ticket cached: it was closed more than " +
         std::to_string(t.tickets.closed_for_days) +
         " days ago (tickets.closed_for_days), or it does not exist upstream";
}

json ticket_fields(const storage::CachedTicket& c) {
  const storage::TicketRow& t = c.row;
  return {{"id", t.id},
          {"provider", t.provider},
          {"number", t.number},
          {"summary", opt(t.summary)},
          {"record_type", opt(t.record_type)},
          {"board", {{"id", opt(t.board_id)}, {"name", opt(t.board)}}},
          {"status", {{"id", opt(t.status_id)}, {"name", opt(t.status)}}},
          {"priority", opt(t.priority)},
          {"company", {{"id", opt(t.company_id)}, {"identifier", opt(t.company_identifier)},
                       {"name", opt(t.company)}}},
          {"contact", {{"id", opt(t.contact_id)}, {"name", opt(t.contact)}}},
          {"owner", {{"identifier", opt(t.owner_identifier)}, {"name", opt(t.owner)}}},
          {"parent_id", opt(t.parent_id)},
          {"closed", t.closed},
          {"closed_at", opt(t.closed_at)},
          {"created_at", opt(t.created_at)},
          {"updated_at", opt(t.updated_at)},
          {"synced_at", format_iso8601(c.synced_at)},
          {"deleted_at", opt(c.deleted_at)}};
}

}  // namespace

Status require_ticket_schema(storage::Database& db) {
  auto v = db.user_version();
  if (!v.ok()) return v.error();
  if (*v < kTicketSchemaVersion) {
    return make_error(ErrorKind::kDatabase,
                      "the database is at schema version " + std::to_string(*v) +
                          ", before the ticket cache and search index (version " +
                          std::to_string(kTicketSchemaVersion) +
                          "); run `cwsync migrate` (the daemon also migrates when it starts)",
                      db.path());
  }
  return {};
}

json search_json(const std::string& text, const std::string& match,
                 const std::vector<storage::SearchHit>& hits) {
  json list = json::array();
  for (const auto& h : hits) {
    list.push_back({{"kind", h.kind}, {"tenant", h.tenant}, {"id", h.id}, {"number", opt(h.number)},
                    {"title", opt(h.title)}, {"body", opt(h.body)}, {"snippet", h.snippet},
                    {"rank", h.rank}, {"ranked", h.ranked}});
  }
  return {{"query", text}, {"match", match}, {"hits", list}};
}

std::string search_text(const std::vector<storage::SearchHit>& hits) {
  if (hits.empty()) return "no matches\n";
  std::ostringstream out;
  if (!hits.front().ranked) {
    out << "(more than " << storage::kSearchRankLimit
        << " records match: newest first, not by relevance; add words to narrow it)\n";
  }
  for (const auto& h : hits) {
    out << h.kind << "  " << h.tenant << "  " << h.id << "  " << h.title.value_or("(no title)");
    if (h.body && !h.body->empty()) out << "  (" << *h.body << ")";
    out << "\n    " << h.snippet << "\n";
  }
  return out.str();
}

Result<TicketContext> read_ticket_context(storage::Database& db,
                                          const std::vector<const Tenant*>& tenants,
                                          std::int64_t id) {
  storage::CacheStore cache(db);
  TicketContext c;
  c.id = std::to_string(id);
  std::vector<std::string> found, reasons;
  for (const Tenant* t : tenants) {
    auto row = cache.get_ticket(t->name, c.id);
    if (!row.ok()) return row.error();
    auto states = cache.sync_states(t->name);
    if (!states.ok()) return states.error();
    std::optional<storage::SyncState> sync;
    for (const auto& s : *states) {
      if (s.entity == storage::Entity::kTickets) sync = s;
    }
    if (*row) {
      found.push_back(t->name);
      c.tenant = t->name;
      c.sync = sync;
      if ((*row)->deleted_at) {
        c.last_known = std::move(**row);
        c.reason = reason_for(*t, sync, c.last_known);
      } else {
        c.ticket = std::move(**row);
      }
    } else {
      reasons.push_back(reason_for(*t, sync, std::nullopt));
    }
  }
  if (found.size() > 1) {
    std::string names;
    for (const auto& n : found) names += (names.empty() ? "" : ", ") + n;
    return make_error(ErrorKind::kInvalidInput, "ticket " + c.id + " is cached for tenants " +
                                                    names + "; pass --tenant to choose one");
  }
  if (found.empty()) {
    for (const auto& r : reasons) c.reason += (c.reason.empty() ? "" : "; ") + r;
    if (tenants.size() == 1) c.tenant = tenants[0]->name;
    if (tenants.empty()) c.reason = "no tenant in the config has a psa connection";
    return c;
  }
  storage::QueueStore queue(db);
  auto posts = queue.history(c.tenant, id);
  if (!posts.ok()) return posts.error();
  c.posts = std::move(*posts);
  return c;
}

json ticket_json(const TicketContext& c, TimePoint now) {
  json posts = json::array();
  int queued = 0, delivered = 0, dead = 0;
  for (const auto& p : c.posts) {
    posts.push_back(to_json(p));
    queued += p.status == "pending" || p.status == "in_flight";
    delivered += p.status == "succeeded";
    dead += p.status == "dead";
  }
  json sync_json = nullptr;
  if (c.sync) {
    sync_json = {{"last_incremental_at", opt(c.sync->last_incremental_at)},
            {"last_reconcile_at", opt(c.sync->last_reconcile_at)},
            {"last_error", opt(c.sync->last_error)},
            {"last_error_at", opt(c.sync->last_error_at)}};
  }
  const storage::CachedTicket* shown = c.ticket ? &*c.ticket : c.last_known ? &*c.last_known : nullptr;
  json out = {{"cached", c.ticket.has_value()},
              {"tenant", c.tenant.empty() ? json(nullptr) : json(c.tenant)},
              {"id", c.id},
              {"reason", c.ticket ? json(nullptr) : json(c.reason)},
              {"ticket", shown != nullptr ? ticket_fields(*shown) : json(nullptr)},
              {"age_seconds", shown != nullptr ? json(std::chrono::duration_cast<std::chrono::seconds>(
                                                          now - shown->synced_at).count())
                                               : json(nullptr)},
              {"sync", sync_json},
              {"posts", posts},
              {"post_counts", {{"queued", queued}, {"delivered", delivered}, {"dead", dead}}}};
  return out;
}

std::string ticket_text(const TicketContext& c, TimePoint now) {
  std::ostringstream out;
  if (!c.ticket) {
    out << "ticket " << c.id << " is not cached: " << c.reason << "\n";
    return out.str();
  }
  const storage::TicketRow& t = c.ticket->row;
  out << "ticket " << t.number << " (" << c.tenant << ", " << t.provider
      << "): " << t.summary.value_or("(no summary)") << "\n"
      << "  status:   " << t.status.value_or("?") << " on board " << t.board.value_or("?")
      << ", priority " << t.priority.value_or("?") << (t.closed ? ", closed" : "") << "\n"
      << "  company:  " << t.company.value_or("?");
  if (t.company_identifier) out << " (" << *t.company_identifier << ")";
  out << ", contact " << t.contact.value_or("none") << "\n"
      << "  owner:    " << t.owner.value_or("none") << "\n"
      << "  updated:  " << (t.updated_at ? format_iso8601(*t.updated_at) : "?") << " upstream\n"
      << "  cached:   " << age_text(c.ticket->synced_at, now) << "\n"
      << "  last run: " << age_text(c.sync ? c.sync->last_incremental_at : std::nullopt, now);
  if (c.sync && c.sync->last_error) out << "; last error: " << *c.sync->last_error;
  out << "\n  posts:    " << c.posts.size() << (c.posts.empty() ? " (none queued or delivered)" : "")
      << "\n";
  for (const auto& p : c.posts) out << "    " << history_line(p) << "\n";
  return out.str();
}

}  // namespace cwsync::daemon
