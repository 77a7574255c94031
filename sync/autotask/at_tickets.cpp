#include "sync/autotask/at_tickets.h"

#include <charconv>
#include <map>
#include <set>
#include <vector>

#include "sync/autotask/at_records.h"
#include "sync/http/json_page.h"
#include "sync/pull_engine.h"
#include "sync/ticket_adapter.h"

namespace cwsync {
namespace {

using nlohmann::json;
using storage::Entity;
using storage::TicketRow;

// "First Last" of a contact or resource.
std::optional<std::string> person_name(const json& item) {
  const std::string first = json_read::text(item, "firstName").value_or("");
  const std::string last = json_read::text(item, "lastName").value_or("");
  if (first.empty() || last.empty()) {
    return first.empty() && last.empty() ? std::nullopt : std::optional(first + last);
  }
  return first + " " + last;
}

// Fills the company, contact and owner (the assigned resource) of the page's
// rows.
class TicketNames {
 public:
  TicketNames(AutotaskEndpoint& at, PullStats& stats) : at_(at), stats_(stats) {}

  Status fill(std::vector<TicketRow>& rows) {
    std::set<std::string> companies, contacts, resources;
    for (const TicketRow& t : rows) {
      if (t.company_id) companies.insert(*t.company_id);
      if (t.contact_id) contacts.insert(*t.contact_id);
      if (t.owner_identifier) resources.insert(*t.owner_identifier);
    }
    if (auto s = companies_.fetch(at_, stats_, companies); !s.ok()) return s;
    if (auto s = contacts_.fetch(at_, stats_, contacts); !s.ok()) return s;
    if (auto s = resources_.fetch(at_, stats_, resources); !s.ok()) return s;
    for (TicketRow& t : rows) {
      t.company = companies_.value(t.company_id, company_name);
      t.contact = contacts_.value(t.contact_id, person_name);
      t.owner = resources_.value(t.owner_identifier, person_name);
    }
    return {};
  }

 private:
  AutotaskEndpoint& at_;
  PullStats& stats_;
  RecordLookup companies_{"Companies", {"companyName"}, "ticket Companies"};
  RecordLookup contacts_{"Contacts", {"firstName", "lastName"}, "ticket Contacts"};
  RecordLookup resources_{"Resources", {"firstName", "lastName"}, "ticket Resources"};
};

json with_cursor(json window, const std::optional<storage::SyncCursor>& cursor) {
  json filter = json::array({std::move(window)});
  // gte, not gt: rows sharing the cursor's second are read again and the
  // engine skips those not after (modified_at, id); a tie is never lost.
  if (cursor)
    filter.push_back(at_filter("gte", "lastActivityDate", format_iso8601(cursor->modified_at)));
  return filter;
}

// The tickets among `ids` that exist, read whole and without the window
// (the confirm step of reconcile_tickets_by_count): one query `id in [...]`,
// mapped and named as the pull does, so a refreshed row keeps its company
// and contact names.
Result<std::vector<TicketRow>> read_at_tickets(PullStats& stats,
                                               AutotaskEndpoint& at,
                                               const std::vector<std::string>& ids) {
  json values = json::array();
  for (const std::string& id : ids) {
    std::int64_t n = 0;  // cached ids are the integers the mapper wrote
    if (std::from_chars(id.data(), id.data() + id.size(), n).ec == std::errc()) values.push_back(n);
  }
  const json filter = json::array({{{"op", "in"}, {"field", "id"}, {"value", values}}});
  auto labels = read_picklist_labels(at, "Tickets", {"status", "priority", "queueID"},
                                     counted_call(stats, "ticket fields"));
  if (!labels.ok()) return labels.error();
  std::vector<TicketRow> rows;
  auto paged = at.query(
      "Tickets", filter, {},
      collect_tickets(rows, stats, "Tickets/query by id",
                      [&labels](const json& obj, std::string_view raw) {
                        return map_autotask_ticket(obj, raw, *labels);
                      }),
      counted_call(stats, "tickets by id"));
  if (!paged.ok()) return paged.error();
  TicketNames names(at, stats);
  if (auto s = names.fill(rows); !s.ok()) return s.error();
  return rows;
}

}  // namespace

json at_ticket_window(TimePoint cutoff, int closed_for_days) {
  json open = at_filter("noteq", "status", kAutotaskTicketComplete);
  if (closed_for_days <= 0) return open;
  return {{"op", "or"},
          {"items", json::array({open, at_filter("gt", "completedDate", format_iso8601(cutoff))})}};
}

Result<TicketRow> map_autotask_ticket(const json& obj, std::string_view raw,
                                      const AtPicklistLabels& labels) {
  using namespace json_read;
  auto id = required_integer_id(obj, "ticket");
  if (!id.ok()) return id.error();
  TicketRow t;
  t.provider = "autotask";
  t.id = std::to_string(*id);
  t.number = text(obj, "ticketNumber").value_or(t.id);
  t.summary = text(obj, "title");
  const auto status = integer(obj, "status");
  t.status_id = id_text(obj, "status");
  t.status = picklist_label(labels, "status", status);
  t.priority = picklist_label(labels, "priority", integer(obj, "priority"));
  t.board_id = id_text(obj, "queueID");
  t.board = picklist_label(labels, "queueID", integer(obj, "queueID"));
  t.company_id = id_text(obj, "companyID");
  t.contact_id = id_text(obj, "contactID");
  t.owner_identifier = id_text(obj, "assignedResourceID");  // the resource id
  t.closed = status == kAutotaskTicketComplete;
  t.closed_at = time(obj, "completedDate");
  t.created_at = time(obj, "createDate");
  t.updated_at = time(obj, "lastActivityDate");
  t.raw_json.assign(raw);
  return t;
}

Status pull_autotask_tickets(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at) {
  auto cursor = start_cursor(ctx, Entity::kTickets);
  if (!cursor.ok()) return cursor.error();
  auto labels = read_picklist_labels(at, "Tickets", {"status", "priority", "queueID"},
                                     counted_call(stats, "ticket fields"));
  if (!labels.ok()) return labels.error();
  const json filter = with_cursor(
      at_ticket_window(ticket_window_cutoff(ctx), ctx.tenant.tickets.closed_for_days), *cursor);
  TicketNames names(at, stats);
  TicketAdapter adapter(
      [&labels](const json& obj, std::string_view raw) {
        return map_autotask_ticket(obj, raw, *labels);
      },
      [&names](std::vector<TicketRow>& rows) { return names.fill(rows); });
  return run_incremental_pull(
      ctx, stats, {Entity::kTickets, "tickets", "Tickets/query", LastPage::kNoNextPageUrl}, *cursor,
      adapter, [&](const PageHandler& handler) -> Status {
        auto paged = at.query("Tickets", filter, {}, handler, counted_call(stats, "tickets"));
        if (!paged.ok()) return paged.error();
        return {};
      });
}

Status reconcile_autotask_tickets(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at,
                                  ReconcileResult& out) {
  const TimePoint cutoff = ticket_window_cutoff(ctx);
  const json filter = json::array({at_ticket_window(cutoff, ctx.tenant.tickets.closed_for_days)});
  CallOptions o = counted_call(stats, "ticket count");
  o.resend = Resend::kIfRetryable;  // a count changes nothing
  auto r =
      at.execute(json_request("POST", "Tickets/query/count", json{{"filter", filter}}.dump()), o);
  if (!r.ok()) return r.error();
  auto body = parse_json_body(*r, "POST", "Tickets/query/count");
  if (!body.ok()) return body.error();
  auto count = json_read::integer(*body, "queryCount");
  if (!count) {
    return make_error(ErrorKind::kMalformed, "expected {\"queryCount\": N}",
                      "POST Tickets/query/count");
  }
  return reconcile_tickets_by_count(
      ctx, stats, out, *count, cutoff, [&](storage::TombstoneReconcile& rec) -> Status {
        const IdPageSink sink = [&](const std::vector<std::string>& ids) {
          return rec.add_live_ids(ids);
        };
        auto paged =
            at.query("Tickets", filter, {"id"}, id_page_handler(stats, "Tickets/query ids", sink),
                     counted_call(stats, "ticket ids"));
        if (!paged.ok()) return paged.error();
        return Status{};
      },
      [&](const std::vector<std::string>& ids) { return read_at_tickets(stats, at, ids); });
}

}  // namespace cwsync
