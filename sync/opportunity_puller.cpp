#include "sync/opportunity_puller.h"

#include <vector>

#include "base/log.h"
#include "sync/api_pager.h"
#include "sync/http_link.h"
#include "sync/http_url.h"
#include "sync/psa_codebase.h"
#include "sync/row_mappers.h"

namespace cwsync {
namespace {

using storage::Entity;
using storage::OpportunityRow;
using storage::SyncCursor;

bool after(const std::optional<TimePoint>& t, const std::string& id, const SyncCursor& c) {
  TimePoint tt = t.value_or(TimePoint{});
  return tt > c.modified_at || (tt == c.modified_at && id > c.id);
}

// Ids are compared as text in the cursor; pad so "10" sorts after "9".
std::string cursor_id(const std::string& id) {
  return id.size() >= 12 ? id : std::string(12 - id.size(), '0') + id;
}

}  // namespace

Result<OpportunityStatusTable> load_statuses(const PullContext& ctx, PullStats& stats,
                                             bool force) {
  const std::string& tenant = ctx.tenant.name;
  if (!force) {
    auto cached = ctx.cache.get_meta(tenant, kStatusMetaKey);
    if (!cached.ok()) return cached.error();
    if (*cached) {
      auto t = OpportunityStatusTable::from_json(**cached);
      if (t.ok() && t->fetched_at() && ctx.clock.now() - *t->fetched_at() < kStatusRefresh) {
        return t;
      }
    }
  }
  auto r = ctx.clients.psa()->execute(
      get_request(UrlBuilder("sales/opportunities/statuses").add("pageSize", 1000).str()),
      counted_call(stats, "opportunity statuses"));
  if (!r.ok()) return r.error();
  auto body = parse_json_body(*r, "GET", "sales/opportunities/statuses");
  if (!body.ok()) return body.error();
  auto table = OpportunityStatusTable::from_api(*body);
  if (!table.ok()) return table.error();
  if (auto s = ctx.cache.put_meta(tenant, kStatusMetaKey, table->to_json(ctx.clock.now()),
                                  ctx.clock.now());
      !s.ok()) {
    return s.error();
  }
  log::info("opportunity_statuses_refreshed")
      .tenant(tenant)
      .entity("opportunities")
      .field("statuses", static_cast<std::int64_t>(table->size()))
      .msg("cached the PSA opportunity status table");
  return table;
}

Status pull_psa_opportunities(const PullContext& ctx, PullStats& stats) {
  if (ctx.clients.psa() == nullptr) {
    return make_error(ErrorKind::kConfig, "tenant has no psa connection", ctx.tenant.name);
  }
  const std::string& tenant = ctx.tenant.name;
  std::optional<SyncCursor> cursor;
  if (!ctx.full) {
    auto c = ctx.cache.cursor(tenant, Entity::kOpportunities);
    if (!c.ok()) return c.error();
    cursor = *c;
  }
  auto statuses = load_statuses(ctx, stats, false);
  if (!statuses.ok()) return statuses.error();
  bool refreshed = false;

  const TimePoint fence = ctx.clock.now() - ctx.settle;
  std::optional<SyncCursor> next = cursor;
  UrlBuilder url("sales/opportunities");
  if (cursor) url.add("conditions", "lastUpdated > [" + format_iso8601(cursor->modified_at) + "]");
  url.add("orderBy", "_info/lastUpdated asc, id asc");
  url.add("pageSize", ctx.defaults.page_size);
  HttpRequest first = get_request(url.str());
  first.headers.set("pagination-type", "forward-only");

  auto handler = [&](const Page& page) -> Result<PageVerdict> {
    std::string what = "GET sales/opportunities page " + std::to_string(page.number);
    stats.pages += 1;
    auto split = split_page(page.response.body, what);
    if (!split.ok()) return split.error();
    const bool last = !find_link(page.response.headers, "next").has_value();
    std::vector<OpportunityRow> changed;
    for (const PageElement& e : split->elements) {
      auto m = map_psa_opportunity(e.value, e.raw, *statuses);
      if (m.ok() && m->unknown_status && !refreshed) {
        // A status added since the table was cached: refresh once per run.
        refreshed = true;
        auto fresh = load_statuses(ctx, stats, true);
        if (!fresh.ok()) return fresh.error();
        statuses = std::move(fresh);
        m = map_psa_opportunity(e.value, e.raw, *statuses);
      }
      if (!m.ok()) return make_error(ErrorKind::kMalformed, m.error().describe(), what);
      std::string cid = cursor_id(m->row.id);
      TimePoint t = m->row.last_updated.value_or(TimePoint{});
      if (t <= fence && (!next || after(m->row.last_updated, cid, *next))) next = SyncCursor{t, cid};
      if (cursor && !after(m->row.last_updated, cid, *cursor)) continue;
      changed.push_back(std::move(m->row));
    }
    const bool move_cursor = last && next && (!cursor || !(*next == *cursor));
    if (changed.empty() && !move_cursor) return PageVerdict{split->elements.size(), false};
    auto writer = ctx.cache.begin_page(tenant, ctx.clock.now());
    if (!writer.ok()) return writer.error();
    for (const OpportunityRow& o : changed) {
      if (auto s = writer->upsert_opportunity(o); !s.ok()) return s.error();
    }
    if (move_cursor) {
      if (auto s = writer->advance_cursor(Entity::kOpportunities, *next); !s.ok()) return s.error();
    }
    auto committed = writer->commit();
    if (!committed.ok()) return committed.error();
    stats.upserted += committed->opportunities;
    log::debug("sync_page")
        .tenant(tenant)
        .entity("opportunities")
        .field("page", page.number)
        .field("rows", static_cast<std::int64_t>(split->elements.size()))
        .field("changed", static_cast<std::int64_t>(changed.size()))
        .field("cursor_advanced", committed->cursor_advanced)
        .msg("stored an opportunity page");
    if (ctx.on_page) ctx.on_page();
    return PageVerdict{split->elements.size(), false};
  };
  auto paged = ctx.clients.psa()->for_each_page(std::move(first), handler,
                                                counted_call(stats, "opportunities"));
  if (!paged.ok()) return paged.error();
  return {};
}

}  // namespace cwsync
