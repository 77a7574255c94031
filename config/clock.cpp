#include "base/clock.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

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
  return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%dT%H:%M:%SZ");
}

std::string format_iso8601_ms(TimePoint t) {
  return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string format_date(TimePoint t) {
  return Poco::DateTimeFormatter::format(to_poco(t), "%Y-%m-%d");
}

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  if (text.size() < 10) return std::nullopt;
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
