// libFuzzer: a CPQ /api/quoteItems page body → split_page → map_quote_item.
// Invariants: see page_check.h; a mapped row has its required ids, keeps the
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
    auto row = cwsync::map_quote_item(e.value, e.raw);
    if (!row.ok()) {
      if (row.error().message.empty()) std::abort();
      continue;
    }
    if (row->raw_json != e.raw) std::abort();
    cwsync_fuzz::check_whole_seconds(row->modify_date);
  }
  return 0;
}
