// The Autotask ticket cache: the incremental pull of Tickets/query into
// psa_tickets (provider autotask) and the reconcile of deleted tickets
// (docs/sync.md, "Tickets").
//
// Both read only the tenant's window: open tickets (status not Complete, 5)
// and those completed within tickets.closed_for_days (`completedDate gt
// [now - days]`). The pull adds `lastActivityDate gte [cursor]` (the
// cursor's second is read again; the engine skips rows not after (modified,
// id)); pages by nextPageUrl with the same body, MaxRecords 500, in id
// order, so the engine moves the cursor only with the final page.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "storage/rows.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/reconcile.h"
#include "sync/sync_pass.h"

namespace cwsync {

// Autotask's system status value "Complete" (a completed ticket is closed).
inline constexpr std::int64_t kAutotaskTicketComplete = 5;

// The filter item of the tenant's window at `cutoff`: status noteq 5, or
// (for closed_for_days > 0) an "or" of that and completedDate gt cutoff.
nlohmann::json at_ticket_window(TimePoint cutoff, int closed_for_days);

// One Tickets item → row (provider "autotask", number = ticketNumber,
// summary = title, status / priority / board (the queue) labels from
// `labels`' status, priority and queueID picklists). company and contact
// stay null: the pull fills them from Companies and Contacts. owner is not
// read. updated_at is lastActivityDate, created_at createDate, closed_at
// completedDate (whole seconds). kMalformed without an integer id. Pure.
Result<storage::TicketRow> map_autotask_ticket(const nlohmann::json& obj, std::string_view raw,
                                               const AtPicklistLabels& labels);

// One incremental (or full) pull. Errors: the API's, kMalformed naming the
// page, kDatabase.
Status pull_autotask_tickets(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at);

// The drift check, then the reconcile: POST Tickets/query/count of the
// window against the cached live tickets in it; only when they differ (or
// ctx.full) are the window's ids listed (IncludeFields id) and the missing
// rows tombstoned, with the mass-delete guard. Errors: as
// reconcile_tickets_by_count, kMalformed for a count without queryCount.
Status reconcile_autotask_tickets(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at,
                                  ReconcileResult& out);

}  // namespace cwsync
