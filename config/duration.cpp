#include "config/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

namespace cwsync {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Largest first, so format_duration picks the most readable unit.
constexpr std::array<Unit, 5> kUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits == text.size()) return std::nullopt;

  const std::string_view suffix = text.substr(digits);
  for (const Unit& unit : kUnits) {
    if (suffix != unit.suffix) continue;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc{} || end != text.data() + digits) return std::nullopt;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (n > kMax / static_cast<std::uint64_t>(unit.ms)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(n) * unit.ms);
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string sign;
  if (ms < 0) {
    sign = "-";
    // INT64_MIN has no positive counterpart; print it in ms without negating.
    if (ms == std::numeric_limits<std::int64_t>::min()) return std::to_string(ms) + "ms";
    ms = -ms;
  }
  for (const Unit& unit : kUnits) {
    if (ms % unit.ms == 0) return sign + std::to_string(ms / unit.ms) + std::string(unit.suffix);
  }
  return sign + std::to_string(ms) + "ms";  // unreachable: every value divides by 1
}

}  // namespace cwsync
