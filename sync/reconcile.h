// Deletion reconcile: read the ids upstream still has (ids only, streamed
// page by page into storage's TombstoneReconcile) and tombstone the cached
// rows that are gone. Never hard-deletes. Refuses (kInvalidInput, nothing
// changed) when more than defaults.reconcile_max_delete_ratio of the live
// rows would be tombstoned: an empty or failed upstream read must not wipe
// the cache.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/cache_store.h"
#include "sync/sync_pass.h"

namespace cwsync {

struct ReconcileResult {
  storage::ReconcileCounts counts;
  bool refused = false;           // the ratio guard stopped it
};

// Quotes: GET /quotes?includeFields=id,quoteNumber,modifyDate (the same
// visible set the incremental pull reads). When `quote_numbers` is given it
// receives the quote numbers seen (the source-quotes pipeline ids).
// Errors: ApiClient's, kMalformed, kDatabase, and kInvalidInput when refused
// (then `out.refused` is true and out.counts says why).
Status reconcile_quotes(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                        std::vector<std::string>* quote_numbers);

// Opportunities. Source psa: GET sales/opportunities?fields=id (forward-only).
// Source quotes: `quote_numbers` from reconcile_quotes (must be given).
Status reconcile_opportunities(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                               const std::vector<std::string>* quote_numbers);

// Streams the ids of a ConnectWise PSA list into `rec`: GET `path` with
// fields=id, the optional `conditions`, forward-only paging. Errors:
// ApiClient's, kMalformed naming the page, kDatabase.
Status add_psa_ids(const PullContext& ctx, PullStats& stats, storage::TombstoneReconcile& rec,
                   const std::string& path, const std::string& conditions, const char* label);

// The guard, then the tombstones: refuses (kInvalidInput, out.refused, the
// reconcile_refused log) above defaults.reconcile_max_delete_ratio, else
// applies and counts the tombstoned rows in stats.deleted.
Status apply_reconcile(const PullContext& ctx, PullStats& stats, storage::TombstoneReconcile& rec,
                       storage::Entity entity, ReconcileResult& out);

// The start of a tenant's closed-ticket window: now minus
// tickets.closed_for_days.
TimePoint ticket_window_cutoff(const PullContext& ctx);

// Ids per confirming listing (a ConnectWise `id in (...)` stays far below
// URL limits; Autotask's `in` takes 500).
inline constexpr std::size_t kTicketConfirmBatch = 100;

// The ticket reconcile every PSA shares, after the provider counted its
// window upstream (`upstream`): compares it with the cached live tickets
// updated or open since `local_cutoff` (the ticket_count_checked log); only
// when they differ, or on ctx.full, calls `add_ids` to stream the window's
// ids into the reconcile. A cached ticket missing from the window may only
// have left it (closed, or closed before the cutoff): unless the guard will
// refuse anyway, the missing ids go to `confirm` in batches of at most
// kTicketConfirmBatch, which lists them upstream without the window and
// returns the rows found; those are written (refreshed, so they leave the
// local window too) and kept. Only the rest are tombstoned (apply_reconcile).
// Errors: add_ids', confirm's, kDatabase, and as apply_reconcile.
using TicketIdLister = std::function<Status(storage::TombstoneReconcile& rec)>;
using TicketConfirmer =
    std::function<Result<std::vector<storage::TicketRow>>(const std::vector<std::string>& ids)>;
Status reconcile_tickets_by_count(const PullContext& ctx, PullStats& stats, ReconcileResult& out,
                                  std::int64_t upstream, TimePoint local_cutoff,
                                  const TicketIdLister& add_ids, const TicketConfirmer& confirm);

}  // namespace cwsync
