#include "sync/cpq_puller.h"

#include <unordered_map>

#include "base/log.h"
#include "sync/api_pager.h"
#include "sync/http_url.h"
#include "sync/row_mappers.h"

namespace cwsync {
namespace {

using storage::Entity;
using storage::QuoteItemRow;
using storage::QuoteRow;
using storage::SyncCursor;

// Room for "&page=NNNNN&pageSize=1000" appended by the pager.
constexpr std::size_t kPagingReserve = 40;

bool after(const std::optional<TimePoint>& t, const std::string& id, const SyncCursor& c) {
  TimePoint tt = t.value_or(TimePoint{});
  return tt > c.modified_at || (tt == c.modified_at && id > c.id);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Fetches the live items of `ids`: quote id → items (every id gets an entry,
// so a quote whose items were all removed gets an empty list).
Result<std::unordered_map<std::string, std::vector<QuoteItemRow>>> fetch_items(
    const PullContext& ctx, PullStats& stats, const std::vector<std::string>& ids,
    int page_size) {
  std::unordered_map<std::string, std::vector<QuoteItemRow>> out;
  for (const auto& id : ids) out[id];
  std::string base = ctx.clients.cpq_api_base() + "/quoteItems";
  for (const std::string& cond : item_conditions(base, ids)) {
    std::string url = UrlBuilder(base).add("conditions", cond).str();
    auto paged = for_each_numbered_page(
        *ctx.clients.cpq(), url, page_size,
        [&](const Page& page) -> Result<PageVerdict> {
          std::string what = "GET quoteItems page " + std::to_string(page.number);
          auto split = split_page(page.response.body, what);
          if (!split.ok()) return split.error();
          for (const PageElement& e : split->elements) {
            auto item = map_quote_item(e.value, e.raw);
            if (!item.ok()) return make_error(ErrorKind::kMalformed, item.error().message, what);
            auto it = out.find(item->quote_id);
            if (it != out.end()) it->second.push_back(std::move(*item));
          }
          return PageVerdict{split->elements.size(), false};
        },
        counted_call(stats, "quote items"));
    if (!paged.ok()) return paged.error();
  }
  return out;
}

}  // namespace

const std::vector<std::string>& quote_include_fields() {
  static const std::vector<std::string> kFields = {
      "id", "quoteNumber", "quoteVersion", "name", "quoteStatus", "quoteType", "accountName",
      "customer", "isAccepted", "isSent", "isArchive", "isLost", "lostReason", "wonOrLostDate",
      "quoteTotal", "subtotal", "tax", "grossMargin", "probability", "createDate", "modifyDate",
      "expirationDate", "expectedCloseDate", "crmOpportunityId", "primaryRep", "insideRep",
      "zCustomText1", "zCustomDecimal1", "zCustomDate1"};
  return kFields;
}

std::vector<std::string> item_conditions(const std::string& base_url,
                                         const std::vector<std::string>& quote_ids) {
  std::vector<std::string> out;
  UrlBuilder probe(base_url);
  const std::size_t max = kMaxUrlLength - kPagingReserve;
  std::string current;
  for (const std::string& id : quote_ids) {
    std::string quoted = "\"" + id + "\"";
    std::string candidate = current.empty() ? quoted : current + "," + quoted;
    if (!current.empty() && !probe.fits_with("conditions", "idQuote in (" + candidate + ")", max)) {
      out.push_back("idQuote in (" + current + ")");
      candidate = quoted;
    }
    current = std::move(candidate);
  }
  if (!current.empty()) out.push_back("idQuote in (" + current + ")");
  return out;
}

Status pull_quotes(const PullContext& ctx, PullStats& stats) {
  ApiClient* api = ctx.clients.cpq();
  if (api == nullptr) {
    return make_error(ErrorKind::kConfig, "tenant has no cpq connection", ctx.tenant.name);
  }
  const std::string& tenant = ctx.tenant.name;
  std::optional<SyncCursor> cursor;
  if (!ctx.full) {
    auto c = ctx.cache.cursor(tenant, Entity::kQuotes);
    if (!c.ok()) return c.error();
    cursor = *c;
  }
  const TimePoint fence = ctx.clock.now() - ctx.settle;
  std::optional<SyncCursor> next = cursor;  // newest settled (modifyDate, id) seen
  const bool derive_pipeline = ctx.tenant.opportunities == OpportunitySource::kQuotes;
  const int page_size = ctx.defaults.page_size;

  UrlBuilder url(ctx.clients.cpq_api_base() + "/quotes");
  url.add("includeFields", join(quote_include_fields()));
  if (cursor) {
    // Date-only conditions: re-read from the day before the cursor's day.
    url.add("conditions", "modifyDate >= [" +
                              format_date(cursor->modified_at - std::chrono::hours(24)) + "]");
  }

  auto handler = [&](const Page& page) -> Result<PageVerdict> {
    std::string what = "GET quotes page " + std::to_string(page.number);
    stats.pages += 1;
    auto split = split_page(page.response.body, what);
    if (!split.ok()) return split.error();
    const std::size_t count = split->elements.size();
    const bool last = count < static_cast<std::size_t>(page_size);
    std::vector<QuoteRow> changed;
    for (const PageElement& e : split->elements) {
      auto q = map_quote(e.value, e.raw);
      if (!q.ok()) return make_error(ErrorKind::kMalformed, q.error().describe(), what);
      TimePoint t = q->modify_date.value_or(TimePoint{});
      if (t <= fence && (!next || after(q->modify_date, q->id, *next))) next = SyncCursor{t, q->id};
      if (cursor && !after(q->modify_date, q->id, *cursor)) continue;  // already stored
      changed.push_back(std::move(*q));
    }
    std::unordered_map<std::string, std::vector<QuoteItemRow>> items;
    if (!changed.empty()) {
      std::vector<std::string> ids;
      ids.reserve(changed.size());
      for (const auto& q : changed) ids.push_back(q.id);
      auto fetched = fetch_items(ctx, stats, ids, page_size);
      if (!fetched.ok()) return fetched.error();
      items = std::move(*fetched);
    }
    const bool move_cursor = last && next && (!cursor || !(*next == *cursor));
    if (changed.empty() && !move_cursor) return PageVerdict{count, false};

    auto writer = ctx.cache.begin_page(tenant, ctx.clock.now());
    if (!writer.ok()) return writer.error();
    for (const QuoteRow& q : changed) {
      if (auto s = writer->upsert_quote(q); !s.ok()) return s.error();
      if (auto s = writer->replace_items(q.id, items[q.id]); !s.ok()) return s.error();
      if (derive_pipeline) {
        if (auto s = writer->upsert_opportunity(quote_opportunity(q)); !s.ok()) return s.error();
      }
    }
    if (move_cursor) {
      if (auto s = writer->advance_cursor(Entity::kQuotes, *next); !s.ok()) return s.error();
    }
    auto committed = writer->commit();
    if (!committed.ok()) return committed.error();
    stats.upserted += committed->quotes + committed->items + committed->opportunities;
    log::debug("sync_page")
        .tenant(tenant)
        .entity("quotes")
        .field("page", page.number)
        .field("rows", static_cast<std::int64_t>(count))
        .field("changed", static_cast<std::int64_t>(changed.size()))
        .field("items", committed->items)
        .field("cursor_advanced", committed->cursor_advanced)
        .msg("stored a quote page");
    if (ctx.on_page) ctx.on_page();
    return PageVerdict{count, false};
  };

  auto paged = for_each_numbered_page(*api, url.str(), page_size, handler,
                                      counted_call(stats, "quotes"));
  if (!paged.ok()) return paged.error();
  return {};
}

}  // namespace cwsync
