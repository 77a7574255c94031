// Autotask opportunities into cpq_opportunities (source psa), through the
// pull engine (docs/sync.md): Opportunities/query with `lastActivity gt
// [cursor]` (everything, `id gte 0`, on a full pull), MaxRecords 500, pages
// by nextPageUrl. The status picklist value decides open / won / lost by
// psa.opportunity_statuses (won 3 Closed and 4 Implemented, lost 0 Inactive
// and 2 Lost by default; anything else is open); the picklist labels, read
// once per pull, name the status and stage. value is the opportunity's
// amount, which the views use while no quote is linked to it (schema 9).
// client_name is the company's companyName, read with one Companies/query
// (id in [...]) per page for the companies not named earlier in the pull.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "config/config.h"
#include "storage/rows.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/psa_provider.h"
#include "sync/sync_pass.h"

namespace cwsync {

// One Opportunities item → row, without client_name (the pull fills it in);
// `labels` holds the status and stage picklists. kMalformed without an
// integer id. Pure.
Result<storage::OpportunityRow> map_autotask_opportunity(const nlohmann::json& obj,
                                                         std::string_view raw,
                                                         const AutotaskSettings& settings,
                                                         const AtPicklistLabels& labels);

// One incremental (or full) pull. Errors: the API's, kMalformed naming the
// page, kDatabase.
Status pull_autotask_opportunities(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at,
                                   const AutotaskSettings& settings);

// Every opportunity id, page by page into `sink` (the reconcile).
Status list_autotask_opportunity_ids(const PullContext& ctx, PullStats& stats,
                                     AutotaskEndpoint& at, const IdPageSink& sink);

}  // namespace cwsync
