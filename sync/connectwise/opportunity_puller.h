// The PSA opportunity puller (tenant source `psa`): /sales/opportunities with
// `lastUpdated > [cursor]`, forward-only paging, and the status table from
// /sales/opportunities/statuses cached in sync_meta for a day.
//
// Forward-only paging walks ids, not lastUpdated; the pull engine
// (sync/pull_engine.h) moves the cursor only with the final page.
#pragma once

#include "base/result.h"
#include "sync/connectwise/opportunity_mapper.h"
#include "sync/psa_provider.h"
#include "sync/sync_pass.h"

namespace cwsync {

inline constexpr const char* kStatusMetaKey = "psa_opportunity_statuses";
inline constexpr Millis kStatusRefresh = std::chrono::hours(24);

// One incremental (or full) pull. Errors: ApiClient's, kMalformed naming the
// page, kDatabase; kConfig when the tenant has no psa connection.
Status pull_psa_opportunities(const PullContext& ctx, PullStats& stats);

// Every opportunity id (GET sales/opportunities?fields=id, forward-only),
// page by page into `sink`, for the deletion reconcile. Counts pages.
Status list_psa_opportunity_ids(const PullContext& ctx, PullStats& stats, const IdPageSink& sink);

// The status table: cached when younger than kStatusRefresh (and not
// `force`), else fetched and cached.
Result<OpportunityStatusTable> load_statuses(const PullContext& ctx, PullStats& stats, bool force);

}  // namespace cwsync
