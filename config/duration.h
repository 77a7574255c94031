// Durations as written in the config file and shown to people.
//
//   500ms  10s  5m  24h  3d
//
// One non-negative integer followed by one unit (ms, s, m, h, d). No spaces,
// no fractions, no compound forms ("1h30m" is written "90m"). Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cwsync {

// Parses "<digits><unit>". Returns nullopt on any other syntax, a missing or
// unknown unit, or a value that does not fit in 64-bit milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact spelling in the largest unit that divides the value:
// 90000ms → "90s", 300000ms → "5m", 1500ms → "1500ms", 0 → "0s".
// Negative values get a leading '-'. parse_duration(format_duration(d)) == d
// for every d >= 0.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace cwsync
