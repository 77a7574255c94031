// Parsing the Retry-After response header (RFC 9110 §10.2.3).
#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"

namespace cwsync {

// How long Retry-After asks us to wait, relative to `now`.
// Accepts delta-seconds ("120") and HTTP-dates in the three forms RFC 9110
// requires recipients to accept (IMF-fixdate, RFC 850, asctime).
// A date in the past yields 0 (retry now). Negative numbers, garbage and empty
// input yield nullopt. Absurd values are clamped to 365 days; the caller
// applies its own, much smaller, cap. Pure; thread-safe.
std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now);

}  // namespace cwsync
