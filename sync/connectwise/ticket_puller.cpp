#include "sync/connectwise/ticket_puller.h"

#include "sync/connectwise/ticket_mapper.h"
#include "sync/http/api_pager.h"
#include "sync/http/http_url.h"
#include "sync/pull_engine.h"
#include "sync/ticket_adapter.h"

namespace cwsync {
namespace {

using storage::Entity;

Status need_psa(const PullContext& ctx) {
  if (ctx.clients.psa() == nullptr) {
    return no_connection(ctx, "psa");
  }
  return {};
}

// The tickets among `ids` that exist, read whole and without the window
// (the confirm step of reconcile_tickets_by_count): one forward-only
// listing, `id in (...)`.
Result<std::vector<storage::TicketRow>> read_cw_tickets(const PullContext& ctx, PullStats& stats,
                                                        const std::vector<std::string>& ids) {
  std::string in;
  for (const std::string& id : ids) in += (in.empty() ? "" : ",") + id;
  HttpRequest first = get_request(UrlBuilder("service/tickets")
                                      .add("conditions", "id in (" + in + ")")
                                      .add("pageSize", ctx.defaults.page_size)
                                      .str());
  first.headers.set("pagination-type", "forward-only");
  std::vector<storage::TicketRow> rows;
  auto paged = ctx.clients.psa()->for_each_page(
      std::move(first), collect_tickets(rows, stats, "GET service/tickets by id", map_cw_ticket),
      counted_call(stats, "tickets by id"));
  if (!paged.ok()) return paged.error();
  return rows;
}

}  // namespace

std::string cw_ticket_window(TimePoint cutoff, int closed_for_days) {
  if (closed_for_days <= 0) return "closedFlag = false";
  return "(closedFlag = false or closedDate > [" + format_iso8601(cutoff) + "])";
}

Status pull_cw_tickets(const PullContext& ctx, PullStats& stats) {
  if (auto s = need_psa(ctx); !s.ok()) return s;
  auto cursor = start_cursor(ctx, Entity::kTickets);
  if (!cursor.ok()) return cursor.error();
  std::string conditions = cw_ticket_window(ticket_window_cutoff(ctx), ctx.tenant.tickets.closed_for_days);
  if (*cursor) {
    // >=, not >: rows sharing the cursor's second are read again and the
    // engine skips those not after (modified_at, id); a tie is never lost.
    conditions = "lastUpdated >= [" + format_iso8601((*cursor)->modified_at) + "] and " + conditions;
  }
  HttpRequest first = get_request(UrlBuilder("service/tickets")
                                      .add("conditions", conditions)
                                      .add("orderBy", "_info/lastUpdated asc, id asc")
                                      .add("pageSize", ctx.defaults.page_size)
                                      .str());
  first.headers.set("pagination-type", "forward-only");
  TicketAdapter adapter(&map_cw_ticket);
  return run_incremental_pull(
      ctx, stats, {Entity::kTickets, "tickets", "service/tickets", LastPage::kNoNextLink}, *cursor,
      adapter, [&](const PageHandler& handler) -> Status {
        auto paged = ctx.clients.psa()->for_each_page(std::move(first), handler,
                                                      counted_call(stats, "tickets"));
        if (!paged.ok()) return paged.error();
        return {};
      });
}

Status reconcile_cw_tickets(const PullContext& ctx, PullStats& stats, ReconcileResult& out) {
  if (auto s = need_psa(ctx); !s.ok()) return s;
  const TimePoint cutoff = ticket_window_cutoff(ctx);
  const std::string window = cw_ticket_window(cutoff, ctx.tenant.tickets.closed_for_days);
  // The cached rows in the same window (closed_for_days 0: cutoff is now, so
  // only open rows take part, as only open tickets are listed).
  const TimePoint local_cutoff = cutoff;

  auto r = ctx.clients.psa()->execute(
      get_request(UrlBuilder("service/tickets/count").add("conditions", window).str()),
      counted_call(stats, "ticket count"));
  if (!r.ok()) return r.error();
  auto body = parse_json_body(*r, "GET", "service/tickets/count");
  if (!body.ok()) return body.error();
  const nlohmann::json* count = json_read::child(*body, "count");
  if (count == nullptr || !count->is_number_integer()) {
    return make_error(ErrorKind::kMalformed, "expected {\"count\": N}", "GET service/tickets/count");
  }
  return reconcile_tickets_by_count(
      ctx, stats, out, count->get<std::int64_t>(), local_cutoff,
      [&](storage::TombstoneReconcile& rec) {
        return add_psa_ids(ctx, stats, rec, "service/tickets", window, "ticket ids");
      },
      [&](const std::vector<std::string>& ids) { return read_cw_tickets(ctx, stats, ids); });
}

}  // namespace cwsync
