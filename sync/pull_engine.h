// The incremental-pull engine every cached entity shares: cursor, settle
// window, page commit and the sync_page log. An entity plugs in a small
// PullAdapter that says how to map, identify and store its rows; the engine
// says when to commit (docs/sync.md, "Cursors").
//
// Upstream pages are not in cursor order (CPQ lists in creation order, PSA's
// forward-only paging walks ids), so rows are upserted page by page
// (idempotent) and the cursor moves only in the final page's transaction, to
// the newest (modified, id) seen that is older than the settle window. A
// failed or malformed page commits nothing and ends the run; the next run
// re-reads from the last committed cursor.
//
//   QuoteAdapter adapter(ctx, stats);
//   auto cursor = start_cursor(ctx, Entity::kQuotes);
//   run_incremental_pull(ctx, stats, {Entity::kQuotes, "quotes", "quotes", LastPage::kShortPage,
//   1000},
//                        *cursor, adapter, [&](const PageHandler& h) { return ...pages(h); });
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "storage/cache_store.h"
#include "sync/http/api_pager.h"
#include "sync/http/fast_page.h"
#include "sync/http/http_link.h"
#include "sync/http/json_page.h"
#include "sync/sync_pass.h"

namespace cwsync {

// A row's position in cursor order: its upstream change time and its id as
// the cursor stores it (ties on time are broken by id, compared as text).
struct RowStamp {
  std::optional<TimePoint> modified;
  std::string cursor_id;
};

// A numeric upstream id as the cursor stores it: zero-padded to 12 digits so
// that text order is number order ("10" after "9").
std::string padded_cursor_id(const std::string& id);

// One entity's part of a pull. Called from the pulling thread only.
class PullAdapter {
 public:
  virtual ~PullAdapter() = default;
  // Maps one element of the page being read and holds the row for this page.
  // Returns its stamp. Errors: the mapping problem (the engine names the
  // page and makes it kMalformed).
  virtual Result<RowStamp> add(const PageElement& element) = 0;
  // The same for an entity whose pages are read with parse_fast_page
  // (PullEntity::fast_pages): the element's fields and its bytes. Such an
  // adapter must override it; the default reports the bug (kInternal).
  virtual Result<RowStamp> add_fields(const ElementFields& fields, std::string_view raw);
  // Forgets the row add() just held: it is not newer than the cursor.
  virtual void drop_last() = 0;
  // How many rows the page holds for writing.
  virtual std::size_t held() const = 0;
  // Before the page's transaction: fetch what the held rows need (a quote's
  // items). Errors end the run; nothing of the page is written.
  virtual Status prepare() { return {}; }
  // Inside the page's transaction: write the held rows.
  virtual Status write(storage::PageWriter& writer) = 0;
  // Before each page: forget the rows held for the previous one.
  virtual void clear() = 0;
};

// The part every opportunity adapter shares (ConnectWise, Autotask): the
// page's mapped rows, held until written with upsert_opportunity. A
// subclass maps an element and calls hold().
class OpportunityRowsAdapter : public PullAdapter {
 public:
  void drop_last() override { rows_.pop_back(); }
  std::size_t held() const override { return rows_.size(); }
  Status write(storage::PageWriter& writer) override;
  void clear() override { rows_.clear(); }

 protected:
  // Holds `row`; its stamp is (last_updated, the id padded for text order).
  RowStamp hold(storage::OpportunityRow row);
  // The rows held for this page, for a subclass's prepare() to complete.
  std::vector<storage::OpportunityRow>& held_rows() { return rows_; }

 private:
  std::vector<storage::OpportunityRow> rows_;
};

// How the entity's API marks its last page.
enum class LastPage {
  kShortPage,   // CPQ: no next link; the first page shorter than page_size
  kNoNextLink,  // PSA: the page without a Link rel="next"
  kNoNextPageUrl,  // the page whose pageDetails.nextPageUrl is null
};

struct PullEntity {
  storage::Entity entity;
  const char* name;  // the `entity` log field: "quotes", "opportunities"
  const char* path;  // names a bad page in errors: "GET sales/opportunities page 2"
  LastPage last_page;
  int page_size = 0;  // for kShortPage
  // Parse pages with parse_fast_page (simdjson, flat fields) and hand them to
  // add_fields, instead of split_page (nlohmann DOM) and add: the CPQ pages,
  // which are most of a sync's bytes (the DOM was a quarter of a full
  // sync's CPU; docs/sync.md, "Efficiency"). Same errors, same raw bytes,
  // same values.
  bool fast_pages = false;
};

// Fetches the pages in order, handing each to `handler`; returns the paging
// error or the handler's (for_each_numbered_page / for_each_page).
using PageLoop = std::function<Status(const PageHandler& handler)>;

// The cursor the run starts from: nullopt for a full pull (ctx.full) or an
// entity never pulled. Errors: kDatabase.
Result<std::optional<storage::SyncCursor>> start_cursor(const PullContext& ctx,
                                                        storage::Entity entity);

// The kConfig error of a pull or reconcile whose tenant has no `api`
// ("cpq", "psa") connection.
Error no_connection(const PullContext& ctx, const char* api);

// Runs the pages `loop` delivers through `adapter`, committing each page
// that changed something together with (on the last page) the cursor.
// Counts pages and upserted rows in `stats`. Errors: the loop's, the
// adapter's, kMalformed naming the page, kDatabase.
Status run_incremental_pull(const PullContext& ctx, PullStats& stats, const PullEntity& entity,
                            const std::optional<storage::SyncCursor>& cursor, PullAdapter& adapter,
                            const PageLoop& loop);

}  // namespace cwsync
