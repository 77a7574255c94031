#include "sync/connectwise/opportunity_puller.h"

#include <vector>

#include "base/log.h"
#include "sync/http/api_pager.h"
#include "sync/http/http_url.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/pull_engine.h"
#include "sync/http/json_page.h"

namespace cwsync {
namespace {

using storage::Entity;
using storage::OpportunityRow;

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

namespace {

// PSA opportunities, mapped through the status table (won/lost/closed flags);
// a status added since the table was cached refreshes it once per run.
class OpportunityAdapter final : public OpportunityRowsAdapter {
 public:
  OpportunityAdapter(const PullContext& ctx, PullStats& stats, OpportunityStatusTable statuses)
      : ctx_(ctx), stats_(stats), statuses_(std::move(statuses)) {}

  Result<RowStamp> add(const PageElement& e) override {
    auto m = map_psa_opportunity(e.value, e.raw, statuses_);
    if (m.ok() && m->unknown_status && !refreshed_) {
      refreshed_ = true;
      auto fresh = load_statuses(ctx_, stats_, true);
      if (!fresh.ok()) return fresh.error();
      statuses_ = std::move(*fresh);
      m = map_psa_opportunity(e.value, e.raw, statuses_);
    }
    if (!m.ok()) return m.error();
    return hold(std::move(m->row));
  }

 private:
  const PullContext& ctx_;
  PullStats& stats_;
  OpportunityStatusTable statuses_;
  bool refreshed_ = false;
};

}  // namespace

Status pull_psa_opportunities(const PullContext& ctx, PullStats& stats) {
  PsaEndpoint* psa = ctx.clients.psa();
  if (psa == nullptr) {
    return no_connection(ctx, "psa");
  }
  auto cursor = start_cursor(ctx, Entity::kOpportunities);
  if (!cursor.ok()) return cursor.error();
  auto statuses = load_statuses(ctx, stats, false);
  if (!statuses.ok()) return statuses.error();

  UrlBuilder url("sales/opportunities");
  if (*cursor) {
    url.add("conditions", "lastUpdated > [" + format_iso8601((*cursor)->modified_at) + "]");
  }
  url.add("orderBy", "_info/lastUpdated asc, id asc");
  url.add("pageSize", ctx.defaults.page_size);
  HttpRequest first = get_request(url.str());
  first.headers.set("pagination-type", "forward-only");

  OpportunityAdapter adapter(ctx, stats, std::move(*statuses));
  return run_incremental_pull(
      ctx, stats, {Entity::kOpportunities, "opportunities", "sales/opportunities",
                           LastPage::kNoNextLink}, *cursor,
      adapter, [&](const PageHandler& handler) -> Status {
        auto paged = psa->for_each_page(std::move(first), handler,
                                        counted_call(stats, "opportunities"));
        if (!paged.ok()) return paged.error();
        return {};
      });
}

Status list_psa_opportunity_ids(const PullContext& ctx, PullStats& stats, const IdPageSink& sink) {
  PsaEndpoint* psa = ctx.clients.psa();
  if (psa == nullptr) {
    return no_connection(ctx, "psa");
  }
  HttpRequest first = get_request(UrlBuilder("sales/opportunities")
                                      .add("fields", "id")
                                      .add("pageSize", ctx.defaults.page_size)
                                      .str());
  first.headers.set("pagination-type", "forward-only");
  auto paged = psa->for_each_page(std::move(first),
                                  id_page_handler(stats, "GET sales/opportunities ids", sink),
      counted_call(stats, "opportunity ids"));
  if (!paged.ok()) return paged.error();
  return {};
}

}  // namespace cwsync
