#include "sync/time_rounding.h"

#include <algorithm>
#include <chrono>

namespace cwsync {

const char* to_string(Rounding r) {
  switch (r) {
    case Rounding::k15m: return "15m";
    case Rounding::k30m: return "30m";
    case Rounding::kExact: return "exact";
    case Rounding::kNone: return "none";
  }
  return "none";
}

std::optional<Rounding> parse_rounding(std::string_view s) {
  if (s == "15m") return Rounding::k15m;
  if (s == "30m") return Rounding::k30m;
  if (s == "exact") return Rounding::kExact;
  if (s == "none") return Rounding::kNone;
  return std::nullopt;
}

RoundedTime round_time(TimePoint start, TimePoint end, Rounding r) {
  using std::chrono::minutes;
  auto whole = std::chrono::duration_cast<minutes>(std::max(end - start, TimePoint::duration::zero()));
  if (r == Rounding::kNone) return {start, std::max(start, end), std::nullopt};
  if (r == Rounding::kExact) {
    // Hours to two decimals is what PSA shows; the end keeps whole minutes
    // so that timeEnd - timeStart agrees with actualHours.
    double hours = static_cast<double>(whole.count()) / 60.0;
    return {start, start + whole, static_cast<double>(static_cast<long long>(hours * 100 + 0.5)) / 100};
  }
  const long long step = r == Rounding::k15m ? 15 : 30;
  // Billing convention: any started increment counts, and a zero-length entry
  // still bills one increment. Partial minutes count as a started minute.
  auto exact = std::max(end - start, TimePoint::duration::zero());
  long long mins = whole.count() + (exact > whole ? 1 : 0);
  long long units = std::max(1LL, (mins + step - 1) / step);
  minutes rounded(units * step);
  return {start, start + rounded, static_cast<double>(rounded.count()) / 60.0};
}

}  // namespace cwsync
