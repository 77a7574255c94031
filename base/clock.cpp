#include "base/clock.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <cstdint>

namespace cwsync {
namespace {

Poco::Timestamp to_poco(TimePoint t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  return Poco::Timestamp(us.count());
}

// nullopt when the instant lies outside what a TimePoint holds (nanoseconds
// since 1970 in 64 bits: years 1678 to 2262); converting it would overflow.
std::optional<TimePoint> from_poco(const Poco::Timestamp& ts) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  constexpr auto kMin = duration_cast<microseconds>(TimePoint::min().time_since_epoch()).count();
  constexpr auto kMax = duration_cast<microseconds>(TimePoint::max().time_since_epoch()).count();
  const auto us = ts.epochMicroseconds();
  if (us <= kMin || us >= kMax) return std::nullopt;
  return TimePoint(duration_cast<SysClock::duration>(microseconds(us)));
}

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's
// civil-calendar algorithms: exact for every year, no tables, no locale).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// `n` decimal digits at s[at..], or -1.
int digits(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t k = at; k < at + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

void put(char* out, unsigned v, int width) {
  for (int k = width - 1; k >= 0; --k, v /= 10) out[k] = static_cast<char>('0' + v % 10);
}

// The forms cwsync itself writes and the upstreams send, without Poco:
// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with an optional ".fraction" (first
// six digits kept, as Poco does) and an optional "Z". Anything else
// (offsets, other separators, out-of-range fields) is nullopt here and goes
// to Poco's parser.
std::optional<TimePoint> parse_common(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo)) {
    return std::nullopt;
  }
  std::int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400;
  std::int64_t micros = 0;
  if (s.size() > 10) {
    if (s.size() < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
    const int h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return std::nullopt;
    secs += h * 3600 + mi * 60 + se;
    std::size_t k = 19;
    if (k < s.size() && s[k] == '.') {
      int factor = 100000;
      for (++k; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k, factor /= 10) {
        micros += factor * (s[k] - '0');
      }
      if (s[k - 1] == '.') return std::nullopt;
    }
    if (k < s.size() && s[k] == 'Z') ++k;
    if (k != s.size()) return std::nullopt;
  }
  // What a TimePoint (int64 nanoseconds) holds; Poco decides the rest (nullopt).
  if (secs <= -9'223'372'036 || secs >= 9'223'372'036) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<SysClock::duration>(std::chrono::seconds(secs) +
                                                                  std::chrono::microseconds(micros)));
}

}  // namespace

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

TimePoint ManualClock::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

void ManualClock::advance(Millis by) {
  std::lock_guard lock(mu_);
  now_ += by;
}

void ManualClock::set(TimePoint to) {
  std::lock_guard lock(mu_);
  now_ = to;
}

std::string format_iso8601(TimePoint t) {
  // Every cached row binds several of these: format without Poco's
  // DateTime (about 10x cheaper; bench/base/clock_bench.cpp).
  const auto secs = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  const std::int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400;
  const auto tod = static_cast<unsigned>(secs - days * 86400);
  const Civil c = civil_from_days(days);
  if (c.y < 0 || c.y > 9999) {
    return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%dT%H:%M:%SZ");
  }
  std::string out = "0000-00-00T00:00:00Z";
  put(&out[0], static_cast<unsigned>(c.y), 4);
  put(&out[5], c.m, 2);
  put(&out[8], c.d, 2);
  put(&out[11], tod / 3600, 2);
  put(&out[14], tod / 60 % 60, 2);
  put(&out[17], tod % 60, 2);
  return out;
}

std::string format_iso8601_ms(TimePoint t) {
  return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string format_date(TimePoint t) {
  return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%d");
}

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
  if (auto fast = parse_common(text)) return fast;
  std::string s(text);
  int tzd = 0;
  Poco::DateTime dt;
  try {
    if (s.size() == 10) {
      if (!Poco::DateTimeParser::tryParse("%Y-%m-%d", s, dt, tzd)) return std::nullopt;
    } else if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, s, dt, tzd) &&
               !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, s, dt, tzd) &&
               !Poco::DateTimeParser::tryParse("%Y-%m-%dT%H:%M:%S", s, dt, tzd)) {
      return std::nullopt;
    }
  } catch (...) {
    return std::nullopt;
  }
  dt.makeUTC(tzd);
  return from_poco(dt.timestamp());
}

}  // namespace cwsync
