// libFuzzer: parse_retry_after (delta-seconds and the three HTTP-date forms).
// Invariants: never throws or crashes; a result is within [0, 365 days].
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sync/http/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A fixed `now` (2026-11-23T10:00:00Z) keeps runs reproducible.
  const cwsync::TimePoint now = cwsync::TimePoint(seconds(1795428000));
  const auto wait = cwsync::parse_retry_after(text, now);
  if (wait && (*wait < cwsync::Millis(0) || *wait > hours(24 * 365))) std::abort();
  return 0;
}
