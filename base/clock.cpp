#include "base/clock.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

#include <charconv>
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

// `n` decimal digits at s[at..] (the caller checked the length), or -1.
int digits(std::string_view s, std::size_t at, std::size_t n) {
  int v = -1;
  const char* end = s.data() + at + n;
  const auto [stop, ec] = std::from_chars(s.data() + at, end, v);
  return ec == std::errc() && stop == end && v >= 0 ? v : -1;
}

// Writes `v` as `width` digits, zero-padded, at out[0..width).
void put(char* out, unsigned v, int width) {
  for (int k = width - 1; k >= 0; --k, v /= 10) out[k] = static_cast<char>('0' + v % 10);
}

// The forms cwsync itself writes and the upstreams send, without Poco:
// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with an optional ".fraction" (first
// six digits kept, as Poco does) and an optional "Z". The calendar is the
// standard library's (std::chrono::year_month_day). Anything else (offsets,
// other separators, out-of-range fields) is nullopt here and goes to Poco's
// parser.
std::optional<TimePoint> parse_common(std::string_view s) {
  using namespace std::chrono;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0) return std::nullopt;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  sys_time<microseconds> t = sys_days{date};
  if (s.size() > 10) {
    if (s.size() < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
    const int h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return std::nullopt;
    t += hours{h} + minutes{mi} + seconds{se};
    std::size_t k = 19;
    if (k < s.size() && s[k] == '.') {
      int factor = 100000;
      for (++k; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k, factor /= 10) {
        t += microseconds{factor * (s[k] - '0')};
      }
      if (s[k - 1] == '.') return std::nullopt;
    }
    if (k < s.size() && s[k] == 'Z') ++k;
    if (k != s.size()) return std::nullopt;
  }
  // What a TimePoint (int64 nanoseconds) holds; Poco decides the rest (nullopt).
  const auto secs = floor<seconds>(t).time_since_epoch().count();
  if (secs <= -9'223'372'036 || secs >= 9'223'372'036) return std::nullopt;
  return time_point_cast<SysClock::duration>(t);
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
  using namespace std::chrono;
  const sys_days day_of = floor<days>(t);
  const year_month_day date{day_of};
  const hh_mm_ss tod{floor<seconds>(t) - day_of};
  if (date.year() < year{0} || date.year() > year{9999}) {
    return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%dT%H:%M:%SZ");
  }
  std::string out = "0000-00-00T00:00:00Z";
  put(&out[0], static_cast<unsigned>(static_cast<int>(date.year())), 4);
  put(&out[5], static_cast<unsigned>(date.month()), 2);
  put(&out[8], static_cast<unsigned>(date.day()), 2);
  put(&out[11], static_cast<unsigned>(tod.hours().count()), 2);
  put(&out[14], static_cast<unsigned>(tod.minutes().count()), 2);
  put(&out[17], static_cast<unsigned>(tod.seconds().count()), 2);
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
