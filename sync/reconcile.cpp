#include "sync/reconcile.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "sync/http/api_pager.h"
#include "sync/http/http_url.h"
#include "sync/psa_provider.h"
#include "sync/http/json_page.h"
#include "sync/pull_engine.h"

namespace cwsync {
namespace {

using storage::Entity;

// Reads one page of ids into `ids` (and quote numbers when asked).
Result<std::size_t> read_ids(const Page& page, std::string_view what, bool numeric_ids,
                             std::vector<std::string>& ids, std::vector<std::string>* numbers) {
  auto items = parse_page_items(page);
  if (!items.ok()) return make_error(ErrorKind::kMalformed, items.error().message, std::string(what));
  for (const auto& e : *items) {
    auto id = numeric_ids ? json_read::id_text(e, "id") : json_read::text(e, "id");
    if (!id || id->empty()) {
      return make_error(ErrorKind::kMalformed, "a row without an id", std::string(what));
    }
    ids.push_back(std::move(*id));
    if (numbers != nullptr) {
      if (auto n = json_read::id_text(e, "quoteNumber")) numbers->push_back(std::move(*n));
    }
  }
  return items->size();
}

// Writes the rows a confirming listing found (whatever the window, so a
// ticket closed upstream is stored closed) and keeps them out of the
// tombstones.
Status keep_found_tickets(const PullContext& ctx, PullStats& stats,
                          storage::TombstoneReconcile& rec,
                          const std::vector<storage::TicketRow>& rows) {
  if (rows.empty()) return {};
  auto page = ctx.cache.begin_page(ctx.tenant.name, ctx.clock.now());
  if (!page.ok()) return page.error();
  std::vector<std::string> ids;
  for (const storage::TicketRow& t : rows) {
    if (auto s = page->upsert_ticket(t); !s.ok()) return s;
    ids.push_back(t.id);
  }
  auto written = page->commit();
  if (!written.ok()) return written.error();
  stats.upserted += static_cast<std::int64_t>(rows.size());
  return rec.add_live_ids(ids);
}

// A ticket the window listing lacks has either gone or left the window
// (closed, or closed before the cutoff, while the cache still has it open):
// only an upstream read without the window tells which. Asking only for the
// missing ids keeps the common case (none missing) at no extra request; a
// listing that looks like a failed read is left for the guard to refuse.
Status confirm_missing_tickets(const PullContext& ctx, PullStats& stats,
                               storage::TombstoneReconcile& rec, const TicketConfirmer& confirm) {
  auto counts = rec.count();
  if (!counts.ok()) return counts.error();
  if (counts->delete_ratio() > ctx.defaults.reconcile_max_delete_ratio) return {};
  auto missing = rec.missing_ids();
  if (!missing.ok()) return missing.error();
  for (std::size_t at = 0; at < missing->size(); at += kTicketConfirmBatch) {
    const auto end = missing->begin() +
                     static_cast<std::ptrdiff_t>(std::min(missing->size(), at + kTicketConfirmBatch));
    auto found = confirm(std::vector<std::string>(missing->begin() + static_cast<std::ptrdiff_t>(at), end));
    if (!found.ok()) return found.error();
    if (auto s = keep_found_tickets(ctx, stats, rec, *found); !s.ok()) return s;
  }
  return {};
}

}  // namespace

Status apply_reconcile(const PullContext& ctx, PullStats& stats, storage::TombstoneReconcile& rec,
                       Entity entity, ReconcileResult& out) {
  auto counts = rec.count();
  if (!counts.ok()) return counts.error();
  out.counts = *counts;
  const double max_ratio = ctx.defaults.reconcile_max_delete_ratio;
  if (counts->delete_ratio() > max_ratio) {
    out.refused = true;
    log::error("reconcile_refused")
        .tenant(ctx.tenant.name)
        .entity(storage::to_string(entity))
        .field("live_rows", counts->live_rows)
        .field("upstream_ids", counts->live_ids)
        .field("would_delete", counts->missing)
        .field("max_delete_ratio", max_ratio)
        .msg("refusing to tombstone more than the allowed share of cached rows; upstream "
             "returned too few ids (empty or failed read?)");
    return make_error(ErrorKind::kInvalidInput,
                      "reconcile refused: " + std::to_string(counts->missing) + " of " +
                          std::to_string(counts->live_rows) +
                          " rows would be tombstoned (max ratio " + std::to_string(max_ratio) + ")",
                      std::string("reconcile ") + storage::to_string(entity));
  }
  auto applied = rec.apply(ctx.clock.now(), max_ratio);
  if (!applied.ok()) return applied.error();
  out.counts = *applied;
  stats.deleted += applied->missing;
  return {};
}

Status add_psa_ids(const PullContext& ctx, PullStats& stats, storage::TombstoneReconcile& rec,
                   const std::string& path, const std::string& conditions, const char* label) {
  UrlBuilder url(path);
  url.add("fields", "id");
  if (!conditions.empty()) url.add("conditions", conditions);
  HttpRequest first = get_request(url.add("pageSize", ctx.defaults.page_size).str());
  first.headers.set("pagination-type", "forward-only");
  std::vector<std::string> ids;
  auto paged = ctx.clients.psa()->for_each_page(
      std::move(first),
      [&](const Page& page) -> Result<PageVerdict> {
        stats.pages += 1;
        ids.clear();
        auto n = read_ids(page, "GET " + path + " ids page " + std::to_string(page.number), true,
                          ids, nullptr);
        if (!n.ok()) return n.error();
        if (auto s = rec.add_live_ids(ids); !s.ok()) return s.error();
        if (ctx.on_page) ctx.on_page();
        return PageVerdict{*n, false};
      },
      counted_call(stats, label));
  if (!paged.ok()) return paged.error();
  return {};
}

Status reconcile_quotes(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                        std::vector<std::string>* quote_numbers) {
  ApiClient* api = ctx.clients.cpq();
  if (api == nullptr) return no_connection(ctx, "cpq");
  auto rec = ctx.cache.begin_reconcile(ctx.tenant.name, Entity::kQuotes);
  if (!rec.ok()) return rec.error();
  std::string url =
      UrlBuilder(ctx.clients.cpq_api_base() + "/quotes").add("includeFields", "id,quoteNumber,modifyDate").str();
  std::vector<std::string> ids;
  auto paged = for_each_numbered_page(
      *api, url, ctx.defaults.page_size,
      [&](const Page& page) -> Result<PageVerdict> {
        stats.pages += 1;
        ids.clear();
        auto n = read_ids(page, "GET quotes ids page " + std::to_string(page.number), false, ids,
                          quote_numbers);
        if (!n.ok()) return n.error();
        if (auto s = rec->add_live_ids(ids); !s.ok()) return s.error();
        if (ctx.on_page) ctx.on_page();
        return PageVerdict{*n, false};
      },
      counted_call(stats, "quote ids"));
  if (!paged.ok()) return paged.error();
  return apply_reconcile(ctx, stats, *rec, Entity::kQuotes, out);
}

Status reconcile_opportunities(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                               const std::vector<std::string>* quote_numbers) {
  auto rec = ctx.cache.begin_reconcile(ctx.tenant.name, Entity::kOpportunities);
  if (!rec.ok()) return rec.error();
  if (ctx.tenant.opportunities == OpportunitySource::kQuotes) {
    if (quote_numbers == nullptr) {
      return make_error(ErrorKind::kInternal, "quote numbers missing", "reconcile opportunities");
    }
    if (auto s = rec->add_live_ids(*quote_numbers); !s.ok()) return s;
    return apply_reconcile(ctx, stats, *rec, Entity::kOpportunities, out);
  }
  PsaProvider* psa = ctx.clients.psa_provider();
  if (psa == nullptr) {
    return no_connection(ctx, "psa");
  }
  auto listed = psa->list_opportunity_ids(ctx, stats, [&](const std::vector<std::string>& ids) {
    if (auto s = rec->add_live_ids(ids); !s.ok()) return s;
    if (ctx.on_page) ctx.on_page();
    return Status{};
  });
  if (!listed.ok()) return listed.error();
  return apply_reconcile(ctx, stats, *rec, Entity::kOpportunities, out);
}

TimePoint ticket_window_cutoff(const PullContext& ctx) {
  return ctx.clock.now() - std::chrono::hours(24) * ctx.tenant.tickets.closed_for_days;
}

Status reconcile_tickets_by_count(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                                  std::int64_t upstream, TimePoint local_cutoff,
                                  const TicketIdLister& add_ids, const TicketConfirmer& confirm) {
  auto cached = ctx.cache.live_ticket_count(ctx.tenant.name, local_cutoff);
  if (!cached.ok()) return cached.error();
  const bool differ = upstream != *cached;
  log::info("ticket_count_checked")
      .tenant(ctx.tenant.name)
      .entity("tickets")
      .field("upstream", upstream)
      .field("cached", *cached)
      .field("listing", differ || ctx.full)
      .msg(differ ? "upstream and cached ticket counts differ; listing ticket ids"
                  : "upstream and cached ticket counts agree");
  if (!differ && !ctx.full) return {};

  auto rec = ctx.cache.begin_reconcile(ctx.tenant.name, storage::Entity::kTickets, local_cutoff);
  if (!rec.ok()) return rec.error();
  if (auto s = add_ids(*rec); !s.ok()) return s;
  if (auto s = confirm_missing_tickets(ctx, stats, *rec, confirm); !s.ok()) return s;
  return apply_reconcile(ctx, stats, *rec, storage::Entity::kTickets, out);
}

}  // namespace cwsync
