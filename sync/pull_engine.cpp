#include "sync/pull_engine.h"

#include "base/log.h"

namespace cwsync {
namespace {

using storage::SyncCursor;

bool after(const RowStamp& row, const SyncCursor& c) {
  const TimePoint t = row.modified.value_or(TimePoint{});
  return t > c.modified_at || (t == c.modified_at && row.cursor_id > c.id);
}

}  // namespace

std::string padded_cursor_id(const std::string& id) {
  return id.size() >= 12 ? id : std::string(12 - id.size(), '0') + id;
}

Error no_connection(const PullContext& ctx, const char* api) {
  return make_error(ErrorKind::kConfig, std::string("tenant has no ") + api + " connection",
                    ctx.tenant.name);
}

Result<std::optional<SyncCursor>> start_cursor(const PullContext& ctx, storage::Entity entity) {
  if (ctx.full) return std::optional<SyncCursor>();
  auto c = ctx.cache.cursor(ctx.tenant.name, entity);
  if (!c.ok()) return c.error();
  return *c;
}

Status run_incremental_pull(const PullContext& ctx, PullStats& stats, const PullEntity& entity,
                            const std::optional<SyncCursor>& cursor, PullAdapter& adapter,
                            const PageLoop& loop) {
  const std::string& tenant = ctx.tenant.name;
  const TimePoint fence = ctx.clock.now() - ctx.settle;
  std::optional<SyncCursor> next = cursor;  // newest settled (modified, id) seen

  auto on_page = [&](const Page& page) -> Result<PageVerdict> {
    const std::string what =
        std::string("GET ") + entity.path + " page " + std::to_string(page.number);
    stats.pages += 1;
    adapter.clear();  // rows of the previous page, committed or not
    std::size_t count = 0;
    bool last = false;
    {
      // One of the two parses, by entity; both say kMalformed alike.
      std::optional<SplitPage> split;
      std::optional<FastPage> fast;
      if (entity.fast_pages) {
        auto parsed = parse_fast_page(page.response.body, what);
        if (!parsed.ok()) return parsed.error();
        fast = std::move(*parsed);
        count = fast->size();
      } else {
        auto parsed = split_page(page.response.body, what);
        if (!parsed.ok()) return parsed.error();
        split = std::move(*parsed);
        count = split->elements.size();
      }
      last = entity.last_page == LastPage::kShortPage
                 ? count < static_cast<std::size_t>(entity.page_size)
             : entity.last_page == LastPage::kNoNextPageUrl
                 ? !page_details_next_url(page.response).has_value()
                 : !find_link(page.response.headers, "next").has_value();
      for (std::size_t k = 0; k < count; ++k) {
        auto stamp = fast ? adapter.add_fields(fast->fields(k), fast->raw(k))
                          : adapter.add(split->elements[k]);
        if (!stamp.ok()) return make_error(ErrorKind::kMalformed, stamp.error().describe(), what);
        const TimePoint t = stamp->modified.value_or(TimePoint{});
        if (t <= fence && (!next || after(*stamp, *next))) next = SyncCursor{t, stamp->cursor_id};
        if (cursor && !after(*stamp, *cursor)) adapter.drop_last();  // already stored
      }
    }
    // The rows hold copies of what they need: the page's DOM (or flat
    // fields) is gone with `split` (`fast`), and the body goes too, before
    // the item requests and the next page's body arrive (peak memory is one
    // page, not two).
    if (page.release_body) page.release_body();
    // A full page means another page follows: fetch it while this page's
    // items are fetched and written (docs/sync.md, "Overlapped requests").
    if (!last && page.fetch_next_early) page.fetch_next_early();
    const std::size_t changed = adapter.held();
    const bool move_cursor = last && next && (!cursor || !(*next == *cursor));
    if (changed == 0 && !move_cursor) return PageVerdict{count, false};
    if (changed > 0) {
      if (auto s = adapter.prepare(); !s.ok()) return s.error();
    }

    auto writer = ctx.cache.begin_page(tenant, ctx.clock.now());
    if (!writer.ok()) return writer.error();
    if (auto s = adapter.write(*writer); !s.ok()) return s.error();
    if (move_cursor) {
      if (auto s = writer->advance_cursor(entity.entity, *next); !s.ok()) return s.error();
    }
    auto committed = writer->commit();
    if (!committed.ok()) return committed.error();
    stats.upserted +=
        committed->quotes + committed->items + committed->opportunities + committed->tickets;
    log::debug("sync_page")
        .tenant(tenant)
        .entity(entity.name)
        .field("page", page.number)
        .field("rows", static_cast<std::int64_t>(count))
        .field("changed", static_cast<std::int64_t>(changed))
        .field("items", committed->items)
        .field("cursor_advanced", committed->cursor_advanced)
        .msg(std::string("stored a page of ") + entity.name);
    if (ctx.on_page) ctx.on_page();
    return PageVerdict{count, false};
  };
  return loop(on_page);
}

Result<RowStamp> PullAdapter::add_fields(const ElementFields&, std::string_view) {
  return make_error(ErrorKind::kInternal,
                    "this entity's adapter reads split_page elements, not fast pages");
}

Status OpportunityRowsAdapter::write(storage::PageWriter& writer) {
  for (const storage::OpportunityRow& o : rows_) {
    if (auto s = writer.upsert_opportunity(o); !s.ok()) return s;
  }
  return {};
}

RowStamp OpportunityRowsAdapter::hold(storage::OpportunityRow row) {
  RowStamp stamp{row.last_updated, padded_cursor_id(row.id)};
  rows_.push_back(std::move(row));
  return stamp;
}

}  // namespace cwsync
