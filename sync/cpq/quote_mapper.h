// CPQ (Sell) JSON → storage rows: quotes, quote items, and the source-`quotes`
// pipeline item of a quote. Each row keeps the object's own bytes as raw_json.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/rows.h"
#include "sync/http/fast_page.h"
#include "sync/http/json_page.h"

namespace cwsync {

// Quote (QuoteView) → row. Missing or null fields become nullopt/false; `id`
// (string) and `quoteNumber` (integer) are required (kMalformed otherwise).
// modifyDate is truncated to whole seconds (the cursor's precision).
// One mapper for both page paths: ElementFields reads a simdjson FastPage
// element or an nlohmann object with the same json_read:: rules.
Result<storage::QuoteRow> map_quote(const ElementFields& obj, std::string_view raw);
Result<storage::QuoteRow> map_quote(const nlohmann::json& obj, std::string_view raw);

// Quote item (QuoteItemView) → row; `id` and `idQuote` required.
Result<storage::QuoteItemRow> map_quote_item(const ElementFields& obj, std::string_view raw);
Result<storage::QuoteItemRow> map_quote_item(const nlohmann::json& obj, std::string_view raw);

// The source-`quotes` pipeline item of a quote's latest version (docs/design.md, "Upstream"):
// won when isAccepted, or wonOrLostDate set and not isLost; lost when isLost;
// open otherwise. id = quote number; value = quoteTotal.
storage::OpportunityRow quote_opportunity(const storage::QuoteRow& quote);

}  // namespace cwsync
