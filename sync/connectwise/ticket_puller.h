// The ConnectWise PSA ticket cache: the incremental pull of /service/tickets
// and the reconcile of deleted tickets (docs/sync.md, "Tickets").
//
// Both read only the tenant's window: open tickets, and closed ones closed
// within tickets.closed_for_days (`closedFlag = false or closedDate >
// [now - days]`). Forward-only paging walks ids, so the pull engine moves the
// cursor only with the final page.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "sync/reconcile.h"
#include "sync/sync_pass.h"

namespace cwsync {

// The `conditions` text of the tenant's window at `cutoff` (now minus
// closed_for_days): "(closedFlag = false or closedDate > [cutoff])", or
// "closedFlag = false" for 0 days.
std::string cw_ticket_window(TimePoint cutoff, int closed_for_days);

// One incremental (or full) pull. Errors: ApiClient's, kMalformed naming the
// page, kDatabase; kConfig when the tenant has no psa connection.
Status pull_cw_tickets(const PullContext& ctx, PullStats& stats);

// The drift check, then the reconcile: GET service/tickets/count of the
// window against the cached live tickets in the same window; only when they
// differ (or `ctx.full`) are the ids listed (fields=id) and the missing rows
// tombstoned, with the mass-delete guard. Errors: as reconcile_opportunities.
Status reconcile_cw_tickets(const PullContext& ctx, PullStats& stats, ReconcileResult& out);

}  // namespace cwsync
