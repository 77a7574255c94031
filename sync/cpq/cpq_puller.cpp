#include "sync/cpq/cpq_puller.h"

#include <optional>
#include <unordered_map>

#include "base/log.h"
#include "sync/http/api_pager.h"
#include "sync/http/fan_out.h"
#include "sync/http/http_url.h"
#include "sync/pull_engine.h"
#include "sync/cpq/quote_mapper.h"

namespace cwsync {
namespace {

using storage::Entity;
using storage::QuoteItemRow;
using storage::QuoteRow;
// Room for "&page=NNNNN&pageSize=1000" appended by the pager.
constexpr std::size_t kPagingReserve = 40;
// Item batches of one page in flight at once (docs/sync.md, "Overlapped
// requests"). With the next quote page fetched meanwhile that is 4 requests:
// enough for a 5 req/s budget at 600 ms per response, no more than the 4
// keep-alive connections HttpClient pools per host (a server that gives each
// connection a thread is not made to queue one), and at most 3 at once per
// endpoint, the strictest concurrency limit documented upstream (Autotask).
constexpr std::size_t kItemRequestsInFlight = 3;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// The items of one `idQuote in (...)` batch, every page of it; counts its
// attempts in `calls` (for sync_runs.api_calls), failed or not.
Result<std::vector<QuoteItemRow>> fetch_item_batch(const PullContext& ctx, const std::string& url,
                                                   int page_size, std::int64_t& calls) {
  std::vector<QuoteItemRow> items;
  CallOptions options = CallOptions::labeled("quote items");
  options.on_attempt = [&calls](const AttemptInfo&) { ++calls; };
  auto paged = for_each_numbered_page(
      *ctx.clients.cpq(), url, page_size,
      [&](const Page& page) -> Result<PageVerdict> {
        std::string what = "GET quoteItems page " + std::to_string(page.number);
        // simdjson, as the quote pages (sync/http/fast_page.h): item
        // batches are two thirds of a quote sync's bytes.
        auto parsed = parse_fast_page(page.response.body, what);
        if (!parsed.ok()) return parsed.error();
        items.reserve(items.size() + parsed->size());
        for (std::size_t k = 0; k < parsed->size(); ++k) {
          auto item = map_quote_item(parsed->fields(k), parsed->raw(k));
          if (!item.ok()) return make_error(ErrorKind::kMalformed, item.error().message, what);
          items.push_back(std::move(*item));
        }
        return PageVerdict{parsed->size(), false};
      },
      options);
  if (!paged.ok()) return paged.error();
  return items;
}

// Fetches the live items of `ids`: quote id → items (every id gets an entry,
// so a quote whose items were all removed gets an empty list). The batches
// run kItemRequestsInFlight at a time; the first failed batch (in batch
// order) is the error, and no batch starts after a failure.
Result<std::unordered_map<std::string, std::vector<QuoteItemRow>>> fetch_items(
    const PullContext& ctx, PullStats& stats, const std::vector<std::string>& ids,
    int page_size) {
  std::unordered_map<std::string, std::vector<QuoteItemRow>> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out[id];
  const std::string base = ctx.clients.cpq_api_base() + "/quoteItems";
  const std::vector<std::string> conditions = item_conditions(base, ids);
  std::vector<std::optional<Result<std::vector<QuoteItemRow>>>> got(conditions.size());
  std::vector<std::int64_t> calls(conditions.size(), 0);
  fan_out(conditions.size(), kItemRequestsInFlight, [&](std::size_t i) {
    got[i] = fetch_item_batch(ctx, UrlBuilder(base).add("conditions", conditions[i]).str(),
                              page_size, calls[i]);
    return got[i]->ok();
  });
  for (std::int64_t n : calls) stats.api_calls += n;
  for (auto& batch : got) {
    if (!batch) break;  // not started: an earlier batch failed
    if (!batch->ok()) return batch->error();
  }
  // Regrouped by quote one batch at a time (a quote's items all come from
  // its own batch) into vectors sized exactly, each batch freed once moved:
  // the page's items are held once plus one batch, not twice.
  std::unordered_map<std::vector<QuoteItemRow>*, std::size_t> counts;
  for (auto& batch : got) {
    if (!batch) break;
    counts.clear();
    for (const QuoteItemRow& item : **batch) {
      auto it = out.find(item.quote_id);
      if (it != out.end()) ++counts[&it->second];
    }
    for (auto& [items, n] : counts) items->reserve(items->size() + n);
    for (QuoteItemRow& item : **batch) {
      auto it = out.find(item.quote_id);
      if (it != out.end()) it->second.push_back(std::move(item));
    }
    batch.reset();
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
  // Percent-encoding works character by character, so the encoded length of
  // a condition is the sum of its parts' encoded lengths: each id is encoded
  // once, not the whole growing list once per id (that was quadratic, 4% of
  // a full sync's instructions).
  static constexpr std::string_view kOpen = "idQuote in (", kClose = ")";
  const std::size_t max = kMaxUrlLength - kPagingReserve;
  const std::size_t fixed = UrlBuilder(base_url).add("conditions", "").length() +
                            encode_query_value(kOpen).size() + encode_query_value(kClose).size();
  const std::size_t comma = encode_query_value(",").size();
  std::vector<std::string> out;
  std::string current;
  std::size_t length = fixed;
  for (const std::string& id : quote_ids) {
    const std::string quoted = "\"" + id + "\"";
    const std::size_t encoded = encode_query_value(quoted).size();
    if (!current.empty() && length + comma + encoded > max) {
      out.push_back(std::string(kOpen) + current + std::string(kClose));
      current.clear();
      length = fixed;
    }
    if (!current.empty()) {
      current += ',';
      length += comma;
    }
    current += quoted;
    length += encoded;
  }
  if (!current.empty()) out.push_back(std::string(kOpen) + current + std::string(kClose));
  return out;
}

namespace {

// Quotes, their items (fetched in URL-sized batches before the page's
// transaction) and, for tenants whose pipeline comes from quotes, the derived
// pipeline item.
class QuoteAdapter final : public PullAdapter {
 public:
  QuoteAdapter(const PullContext& ctx, PullStats& stats)
      : ctx_(ctx),
        stats_(stats),
        derive_pipeline_(ctx.tenant.opportunities == OpportunitySource::kQuotes) {}

  Result<RowStamp> add(const PageElement& e) override {
    return add_fields(ElementFields(&e.value), e.raw);
  }
  Result<RowStamp> add_fields(const ElementFields& fields, std::string_view raw) override {
    auto q = map_quote(fields, raw);
    if (!q.ok()) return q.error();
    RowStamp stamp{q->modify_date, q->id};
    rows_.push_back(std::move(*q));
    return stamp;
  }
  void drop_last() override { rows_.pop_back(); }
  std::size_t held() const override { return rows_.size(); }

  Status prepare() override {
    std::vector<std::string> ids;
    ids.reserve(rows_.size());
    for (const auto& q : rows_) ids.push_back(q.id);
    auto fetched = fetch_items(ctx_, stats_, ids, ctx_.defaults.page_size);
    if (!fetched.ok()) return fetched.error();
    items_ = std::move(*fetched);
    return {};
  }

  Status write(storage::PageWriter& writer) override {
    for (const QuoteRow& q : rows_) {
      if (auto s = writer.upsert_quote(q); !s.ok()) return s;
      if (auto s = writer.replace_items(q.id, items_[q.id]); !s.ok()) return s;
      if (derive_pipeline_) {
        if (auto s = writer.upsert_opportunity(quote_opportunity(q)); !s.ok()) return s;
      }
    }
    return {};
  }
  void clear() override {
    rows_.clear();
    items_.clear();
  }

 private:
  const PullContext& ctx_;
  PullStats& stats_;
  const bool derive_pipeline_;
  std::vector<QuoteRow> rows_;
  std::unordered_map<std::string, std::vector<QuoteItemRow>> items_;
};

}  // namespace

Status pull_quotes(const PullContext& ctx, PullStats& stats) {
  ApiClient* api = ctx.clients.cpq();
  if (api == nullptr) {
    return no_connection(ctx, "cpq");
  }
  auto cursor = start_cursor(ctx, Entity::kQuotes);
  if (!cursor.ok()) return cursor.error();
  const int page_size = ctx.defaults.page_size;

  UrlBuilder url(ctx.clients.cpq_api_base() + "/quotes");
  url.add("includeFields", join(quote_include_fields()));
  if (*cursor) {
    // Date-only conditions: re-read from the day before the cursor's day.
    url.add("conditions", "modifyDate >= [" +
                              format_date((*cursor)->modified_at - std::chrono::hours(24)) + "]");
  }

  QuoteAdapter adapter(ctx, stats);
  const PullEntity entity{Entity::kQuotes, "quotes", "quotes", LastPage::kShortPage, page_size,
                          /*fast_pages=*/true};
  return run_incremental_pull(
      ctx, stats, entity, *cursor, adapter,
      [&](const PageHandler& handler) -> Status {
        auto paged = for_each_numbered_page(*api, url.str(), page_size, handler,
                                            counted_call(stats, "quotes"));
        if (!paged.ok()) return paged.error();
        return {};
      });
}

}  // namespace cwsync
