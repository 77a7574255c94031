#include "sync/http/retry_after.h"

#include <cctype>
#include <chrono>
#include <string>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

namespace cwsync {
namespace {

constexpr Millis kMaxWait = std::chrono::hours(24 * 365);

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<Millis> parse_delta_seconds(std::string_view s) {
  constexpr long long kMaxSeconds = kMaxWait.count() / 1000;
  long long seconds = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    seconds = seconds * 10 + (c - '0');
    if (seconds > kMaxSeconds) return kMaxWait;  // also stops overflow
  }
  return Millis(seconds * 1000);
}

// Poco's parser is lenient (it "parses" "soon" as year 0), so a parse only
// counts if rendering the result in the canonical form gives back the input.
// That also rejects a weekday that does not match the date.
std::optional<TimePoint> parse_http_date(std::string_view s) {
  struct Form {
    const std::string& parse;
    const char* render;
    bool two_digit_year;
  };
  const Form forms[] = {
      {Poco::DateTimeFormat::HTTP_FORMAT, "%w, %d %b %Y %H:%M:%S GMT", false},
      {Poco::DateTimeFormat::RFC850_FORMAT, "%W, %d-%b-%y %H:%M:%S GMT", true},
      {Poco::DateTimeFormat::ASCTIME_FORMAT, "%w %b %f %H:%M:%S %Y", false},
  };
  const std::string text(s);
  for (const Form& form : forms) {
    Poco::DateTime dt;
    int tzd = 0;
    try {
      if (!Poco::DateTimeParser::tryParse(form.parse, text, dt, tzd)) continue;
      if (form.two_digit_year) {
        // RFC 9110: a two-digit year more than 50 years ahead is in the past
        // century. Good until 2099; Retry-After dates are near `now` anyway.
        int year = 2000 + dt.year() % 100;
        if (year > Poco::DateTime().year() + 50) year -= 100;
        dt = Poco::DateTime(year, dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second());
      }
      if (Poco::DateTimeFormatter::format(dt, form.render) != text) continue;
    } catch (const Poco::Exception&) {
      continue;
    }
    if (tzd != 0) continue;  // the forms above only admit GMT
    // A year a TimePoint cannot hold (after 2262) would overflow the
    // conversion; past dates mean "now" and far ones are clamped anyway.
    constexpr auto kMaxUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                TimePoint::max().time_since_epoch()).count();
    constexpr auto kMinUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                TimePoint::min().time_since_epoch()).count();
    const auto us = dt.timestamp().epochMicroseconds();
    if (us >= kMaxUs) return TimePoint::max();
    if (us <= kMinUs) return TimePoint::min();
    return TimePoint(std::chrono::duration_cast<SysClock::duration>(std::chrono::microseconds(us)));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now) {
  std::string_view s = trim(value);
  if (s.empty()) return std::nullopt;
  // Every HTTP-date form starts with a day name, so a leading digit means
  // delta-seconds or nothing; "-5" and "+5" are not valid either.
  if (!std::isalpha(static_cast<unsigned char>(s.front()))) return parse_delta_seconds(s);
  auto when = parse_http_date(s);
  if (!when) return std::nullopt;
  if (*when <= now) return Millis(0);
  if (*when == TimePoint::max()) return kMaxWait;  // beyond 2262: no subtraction
  auto wait = std::chrono::ceil<Millis>(*when - now);
  return wait > kMaxWait ? kMaxWait : wait;
}

}  // namespace cwsync
