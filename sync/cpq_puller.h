// The CPQ quote puller: /api/quotes pages plus the items of the quotes that
// changed, each page committed with its items in one transaction.
//
// CPQ lists rows in creation order and has no orderBy, so pages are not in
// cursor order: rows are upserted page by page (idempotent), and the cursor
// moves only in the final page's transaction, to the newest (modifyDate, id)
// seen that is older than the settle window. A failed page commits nothing
// and ends the run; the next run re-reads from the last committed cursor.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "sync/sync_pass.h"

namespace cwsync {

// QuoteView properties requested (the stored columns and the zCustom fields
// the simulator knows); includeFields keeps responses small.
const std::vector<std::string>& quote_include_fields();

// One incremental (or, with ctx.full, complete) quote pull. Errors: anything
// ApiClient returns, kMalformed for a bad page (naming it), kDatabase.
// `stats` is filled in either way.
Status pull_quotes(const PullContext& ctx, PullStats& stats);

// Splits quote ids into `idQuote in ("a","b")` conditions that keep the
// /quoteItems URL built on `base_url` under kMaxUrlLength (with room for
// page and pageSize). Pure.
std::vector<std::string> item_conditions(const std::string& base_url,
                                         const std::vector<std::string>& quote_ids);

}  // namespace cwsync
