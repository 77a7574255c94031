// libFuzzer: a CPQ list page body → parse_fast_page (simdjson) and
// split_page (nlohmann), both mapped with map_quote and map_quote_item.
// Invariant: the two paths agree exactly (fast_page_check.h): same error,
// same raw bytes, same rows. The body is tried as the HTTP client hands it
// (spare capacity for simdjson's padding: parsed in place) and without it
// (parse_fast_page copies it into a padded buffer).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fast_page_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  body.shrink_to_fit();
  for (int padded = 0; padded < 2; ++padded) {
    if (padded) cwsync::reserve_json_padding(body);
    const std::string difference = cwsync_fuzz::fast_page_difference(body);
    if (!difference.empty()) {
      std::fprintf(stderr, "parse_fast_page and split_page differ: %s\n", difference.c_str());
      std::abort();
    }
  }
  return 0;
}
