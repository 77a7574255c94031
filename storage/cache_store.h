// CacheStore: the CPQ/PSA cache tables, sync cursors, run bookkeeping,
// tombstone reconcile and the dashboard reads. Typed rows in, typed rows out.
//
//   CacheStore cache(db);
//   auto page = cache.begin_page("acme", clock.now());      // BEGIN IMMEDIATE
//   for (auto& q : quotes) page->upsert_quote(q);
//   page->advance_cursor(Entity::kQuotes, {last.modify_date, last.id});
//   auto stats = page->commit();       // rows + cursor, all or nothing
//
// Every function takes `now` from the caller (never SQLite's clock), so tests
// own time. Errors are kDatabase unless stated (is_busy() ⇒ retry later).
// Threading: like its Database, one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/database.h"
#include "storage/rows.h"

namespace cwsync::storage {

struct PageStats {
  std::int64_t quotes = 0, items = 0, items_tombstoned = 0, opportunities = 0, tickets = 0;
  bool cursor_advanced = false;
};

// One page of rows plus the cursor, committed in ONE write transaction.
// Destroying it without commit() rolls everything back. After any failed call
// it is poisoned: later calls and commit() fail, and nothing is written.
// It holds the database's write lock: fetch and map the page first, then
// open the writer, write, commit. Do not call other CacheStore/QueueStore
// writes on the same connection while it is open.
class PageWriter {
 public:
  PageWriter(PageWriter&&) noexcept;
  PageWriter& operator=(PageWriter&&) noexcept;
  ~PageWriter();

  // Insert or update in place (key tenant+id); clears a tombstone.
  Status upsert_quote(const QuoteRow& row);
  // Makes `items` the live items of quote `quote_id`: upserts them and
  // tombstones the quote's other live items (at commit, for every replaced
  // quote of the page at once; a quote replaced twice keeps its last list).
  // kInvalidInput if an item names another quote.
  Status replace_items(std::string_view quote_id, const std::vector<QuoteItemRow>& items);
  Status upsert_opportunity(const OpportunityRow& row);
  // A ticket (psa_tickets); the search index follows in the same transaction.
  Status upsert_ticket(const TicketRow& row);
  // Moves the (tenant, entity) cursor forward; a cursor not after the stored
  // one is ignored (re-reads after a day-granular query are harmless).
  Status advance_cursor(Entity entity, const SyncCursor& cursor);
  // Commits rows and cursor together. Errors: kDatabase; nothing was written.
  Result<PageStats> commit();

  struct Impl;

 private:
  friend class CacheStore;
  explicit PageWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ReconcileCounts {
  std::int64_t live_ids = 0;       // ids handed to add_live_ids (distinct)
  std::int64_t live_rows = 0;      // untombstoned rows of (tenant, entity) before apply
  std::int64_t missing = 0;        // live rows not in the set: to be tombstoned
  std::int64_t reappeared = 0;     // tombstoned rows whose id is in the set
  std::int64_t items_tombstoned = 0;  // quotes only: items of removed quotes
  // missing / live_rows (0 when there are no rows).
  double delete_ratio() const;
};

// Tombstone reconcile for one (tenant, entity): hand over the complete set of
// ids upstream still has, look at the counts, then apply (or just drop it to
// abort). The id set lives in a TEMP table of this connection, so loading it
// takes no lock on the cache. One reconcile per connection at a time.
class TombstoneReconcile {
 public:
  TombstoneReconcile(TombstoneReconcile&&) noexcept;
  TombstoneReconcile& operator=(TombstoneReconcile&&) = delete;
  ~TombstoneReconcile();  // drops the id set

  Status add_live_ids(const std::vector<std::string>& ids);
  // What apply() would do if called now. Changes nothing.
  Result<ReconcileCounts> count();
  // The ids apply() would tombstone if called now, in id order. Changes nothing.
  Result<std::vector<std::string>> missing_ids();
  // In one write transaction: tombstones missing rows (deleted_at = now;
  // for quotes also their items), clears deleted_at of reappeared rows and
  // stamps sync_state.last_reconcile_at. If max_delete_ratio is given and
  // delete_ratio() exceeds it, returns kInvalidInput and changes nothing.
  Result<ReconcileCounts> apply(TimePoint now, std::optional<double> max_delete_ratio = {});

 private:
  friend class CacheStore;
  TombstoneReconcile(Database& db, std::string tenant, Entity entity, std::string scope);
  Database* db_;
  std::string tenant_;
  Entity entity_;
  std::string scope_;  // extra SQL condition on the rows that take part ("" = all)
};

// Above this many matches a search lists the newest hits instead of bm25
// order (docs/search.md, "Ranking").
inline constexpr int kSearchRankLimit = 2000;
// A word of a typed query (fts_query_from_text) found in more records than
// this is left out when rarer words remain (docs/search.md, "Ranking").
inline constexpr int kSearchFrequentWord = 20000;

class CacheStore {
 public:
  // `db` must outlive the store.
  explicit CacheStore(Database& db) : db_(&db) {}

  // ---- incremental sync ----------------------------------------------------
  // The stored cursor; nullopt before the first page.
  Result<std::optional<SyncCursor>> cursor(std::string_view tenant, Entity entity);
  // Forgets the cursor (next incremental run re-reads everything).
  Status reset_cursor(std::string_view tenant, Entity entity, TimePoint now);
  // Opens the write transaction for one page of `tenant`; rows get synced_at = now.
  Result<PageWriter> begin_page(std::string_view tenant, TimePoint now);

  // ---- deletion reconcile --------------------------------------------------
  // Tickets: with `closed_after`, only rows still open or closed after it take
  // part (what the pull's closed window lists); older closed rows are left as
  // they are, and so are their counts.
  Result<TombstoneReconcile> begin_reconcile(std::string_view tenant, Entity entity,
                                             std::optional<TimePoint> closed_after = {});

  // ---- run bookkeeping -----------------------------------------------------
  // Inserts a 'running' sync_runs row; returns its id.
  Result<std::int64_t> start_run(std::string_view tenant, Entity entity, RunKind kind,
                                 TimePoint now);
  // Finishes the run and updates sync_state in one transaction: ok ⇒
  // last_incremental_at / last_full_at / last_reconcile_at (by kind) = now and
  // last_error cleared; failed ⇒ last_error(_at). kInvalidInput if
  // outcome.status is kRunning; kNotFound for an unknown run id.
  Status finish_run(std::int64_t run_id, const RunOutcome& outcome, TimePoint now);
  // Closes every run still 'running' as failed with error "interrupted: ...".
  // Only for a process that knows no other syncer is alive (DbLock::
  // join_syncers): such rows were left by a process that was killed.
  // Returns how many.
  Result<std::int64_t> close_interrupted_runs(TimePoint now);
  // Newest first; all tenants when tenant is nullopt. limit <= 0: no limit.
  Result<std::vector<SyncRunRow>> recent_runs(std::optional<std::string> tenant, int limit);

  // ---- small per-tenant caches (sync_meta) -------------------------------
  Result<std::optional<std::string>> get_meta(std::string_view tenant, std::string_view key);
  Status put_meta(std::string_view tenant, std::string_view key, std::string_view value_json,
                  TimePoint now);

  // The upstream's request count the last pull read (kUpstreamUsageKey);
  // nullopt when none was recorded or it is unreadable.
  Result<std::optional<UpstreamUsage>> get_usage(std::string_view tenant);
  Status put_usage(std::string_view tenant, const UpstreamUsage& usage);

  // ---- settings table --------------------------------------------------------
  Result<std::optional<std::string>> setting(std::string_view key);
  // The setting as an integer, or `fallback` when absent or not a number.
  Result<int> setting_int(std::string_view key, int fallback);
  Status set_setting(std::string_view key, std::string_view value);

  // ---- reads for the CLI, health and metrics (cache_queries.cpp) -----------
  // Every sync_state row, by tenant then entity.
  Result<std::vector<SyncState>> sync_states(std::optional<std::string> tenant = {});
  // The cpq_pipeline view's numbers for `days` and `now` instead of the
  // settings window and the real clock.
  Result<PipelineSummary> pipeline(std::string_view tenant, int days, TimePoint now);
  // Open items, oldest first, age_days and at_risk relative to `now`.
  Result<std::vector<PipelineItem>> backlog(std::string_view tenant, int limit, TimePoint now);
  // Won items closed within `days` of `now`, newest first.
  Result<std::vector<PipelineItem>> recent_wins(std::string_view tenant, int days, int limit,
                                                TimePoint now);
  // All live items, most recently updated upstream first.
  Result<std::vector<PipelineItem>> recent_opportunities(std::string_view tenant, int limit,
                                                         TimePoint now);
  Result<CacheCounts> counts(std::string_view tenant);
  // Tenants that have any cached row or sync state, sorted.
  Result<std::vector<std::string>> tenants();
  // A live (untombstoned) quote, and its live items in sort order.
  Result<std::optional<QuoteRow>> get_quote(std::string_view tenant, std::string_view id);
  Result<std::vector<QuoteItemRow>> quote_items(std::string_view tenant,
                                                std::string_view quote_id);
  Result<std::optional<OpportunityRow>> get_opportunity(std::string_view tenant,
                                                        std::string_view id);

  // ---- tickets and full-text search (ticket_queries.cpp) -------------------
  // A cached ticket, tombstoned or not; nullopt when never cached.
  Result<std::optional<CachedTicket>> get_ticket(std::string_view tenant, std::string_view id);
  // Live (untombstoned) tickets of a tenant; with `closed_after`, only those
  // still open or closed after it (the pull's window).
  Result<std::int64_t> live_ticket_count(std::string_view tenant,
                                         std::optional<TimePoint> closed_after = {});
  // Ranked hits (bm25, best first) of the FTS5 query `match` (see
  // fts_query_from_text), optionally only one tenant and kind. When more
  // than kSearchRankLimit records match (all tenants and kinds), ranking all
  // of them costs too much: the most recently indexed hits come first then
  // (SearchHit::ranked false). In a query of quoted words, a word in more
  // than kSearchFrequentWord records is left out while rarer ones remain.
  // Errors:
  // kInvalidInput with the reason in words when `match` is not a valid
  // FTS5 query; kDatabase.
  Result<std::vector<SearchHit>> search(std::string_view match,
                                        const std::optional<std::string>& tenant,
                                        const std::optional<std::string>& kind, int limit);

 private:
  Database* db_;
};

// Turns what a person typed into an FTS5 query that cannot be a syntax
// error: each whitespace-separated word becomes a quoted phrase ("T-100"
// matches the tokens t, 100 in a row), words are ANDed, and a word ending in
// `*` is a prefix ("netw*"). kInvalidInput when no word is left.
Result<std::string> fts_query_from_text(std::string_view text);

}  // namespace cwsync::storage
