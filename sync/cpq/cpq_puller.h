// The CPQ quote puller: /api/quotes pages plus the items of the quotes that
// changed, each page committed with its items in one transaction. The cursor
// rules (settle window, final-page cursor move) are the pull engine's
// (sync/pull_engine.h); this file says how quotes are listed, mapped and
// stored. CPQ conditions take dates only, so an incremental run re-reads from
// the day before the cursor's day and the engine skips what is stored.
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
