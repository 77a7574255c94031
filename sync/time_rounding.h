// Time-entry rounding (docs/design.md, "Upstream": 15 min, 30 min, exact, none). Pure.
#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"

namespace cwsync {

enum class Rounding {
  k15m,    // duration rounded UP to the next 15 minutes (at least 15)
  k30m,    // duration rounded UP to the next 30 minutes (at least 30)
  kExact,  // the duration to the minute (seconds dropped), sent as actualHours
  kNone,   // no actualHours: PSA derives the hours from timeStart/timeEnd
};

const char* to_string(Rounding r);                       // "15m" | "30m" | "exact" | "none"
std::optional<Rounding> parse_rounding(std::string_view s);

struct RoundedTime {
  TimePoint start;                      // unchanged
  TimePoint end;                        // start + rounded duration (kNone: the given end)
  std::optional<double> actual_hours;   // nullopt for kNone
};

// Applies `r` to [start, end]; end >= start is expected (an earlier end is
// treated as a zero duration). Never fails.
RoundedTime round_time(TimePoint start, TimePoint end, Rounding r);

}  // namespace cwsync
