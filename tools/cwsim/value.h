// Values the conditions evaluator compares, and the time helpers every part of
// the simulator shares. Times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cwsim {

using TimeMs = int64_t;

// A field value read from a record. `str` points into the record, so a Value
// lives no longer than the store lock under which it was read.
struct Value {
  enum class Kind { kNull, kBool, kInt, kReal, kStr, kTime };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view str;
  TimeMs time = 0;

  static Value null() { return {}; }
  static Value boolean(bool v) { Value x; x.kind = Kind::kBool; x.b = v; return x; }
  static Value integer(int64_t v) { Value x; x.kind = Kind::kInt; x.i = v; return x; }
  static Value real(double v) { Value x; x.kind = Kind::kReal; x.d = v; return x; }
  static Value string(std::string_view v) { Value x; x.kind = Kind::kStr; x.str = v; return x; }
  static Value timestamp(TimeMs v) { Value x; x.kind = Kind::kTime; x.time = v; return x; }
};

// "2026-11-23T10:15:00Z" (PSA style, second precision).
std::string format_time(TimeMs t);
// "2026-11-23T10:15:00.123Z" (CPQ style, millisecond precision).
std::string format_time_ms(TimeMs t);
// "2026-11-23".
std::string format_day(TimeMs t);
// Parses ISO-8601 date-times (optional fraction, optional Z) and plain dates.
// nullopt when the text is not a date. A missing zone means UTC.
std::optional<TimeMs> parse_time(std::string_view text);
// Midnight UTC of the day containing t.
TimeMs truncate_to_day(TimeMs t);
// Wall-clock now.
TimeMs now_ms();
// RFC 1123 date for Retry-After: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(TimeMs t);

// ASCII case-insensitive comparisons (SQL Server's default collation, which
// both ConnectWise APIs sit on, compares text case-insensitively).
int compare_nocase(std::string_view a, std::string_view b);
// `s` with ASCII letters lower-cased.
std::string lower_ascii(std::string_view s);
bool contains_nocase(std::string_view haystack, std::string_view needle);
// Manage `like`: `*` matches any run of characters; case-insensitive.
bool like_nocase(std::string_view text, std::string_view pattern);

}  // namespace cwsim
