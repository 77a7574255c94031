// libFuzzer: a CPQ /api/quotes page body → split_page → map_quote →
// quote_opportunity. Invariants: see page_check.h; a mapped row keeps the
// element's bytes as raw_json and whole-second times.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "page_check.h"
#include "sync/cpq/quote_mapper.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto page = cwsync_fuzz::checked_split(body);
  if (!page) return 0;
  for (const cwsync::PageElement& e : page->elements) {
    auto row = cwsync::map_quote(e.value, e.raw);
    if (!row.ok()) {
      if (row.error().message.empty()) std::abort();
      continue;
    }
    if (row->raw_json != e.raw) std::abort();
    for (const auto& t : {row->won_or_lost_date, row->create_date, row->modify_date,
                          row->expiration_date, row->expected_close_date}) {
      cwsync_fuzz::check_whole_seconds(t);
    }
    const cwsync::storage::OpportunityRow opp = cwsync::quote_opportunity(*row);
    if (opp.id != std::to_string(row->quote_number)) std::abort();
  }
  return 0;
}
