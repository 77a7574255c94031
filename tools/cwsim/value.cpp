#include "value.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>

namespace cwsim {
namespace {

Poco::Timestamp to_ts(TimeMs t) { return Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(t) * 1000); }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

namespace {
// gmtime_r + snprintf instead of Poco's formatter: quote serialization formats
// five dates per row and this is several times faster.
struct Parts {
  std::tm tm{};
  int ms = 0;
};
Parts split(TimeMs t) {
  Parts p;
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  p.ms = static_cast<int>(t % 1000);
  if (p.ms < 0) {
    p.ms += 1000;
    --secs;
  }
  gmtime_r(&secs, &p.tm);
  return p;
}
}  // namespace

std::string format_time(TimeMs t) {
  Parts p = split(t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", p.tm.tm_year + 1900, p.tm.tm_mon + 1, p.tm.tm_mday,
                p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec);
  return buf;
}

std::string format_time_ms(TimeMs t) {
  Parts p = split(t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", p.tm.tm_year + 1900, p.tm.tm_mon + 1,
                p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec, p.ms);
  return buf;
}

std::string format_day(TimeMs t) { return format_time(t).substr(0, 10); }

std::string format_http_date(TimeMs t) {
  return Poco::DateTimeFormatter::format(to_ts(t), Poco::DateTimeFormat::HTTP_FORMAT);
}

std::optional<TimeMs> parse_time(std::string_view text) {
  // Poco's parser is lenient about trailing junk; the regex keeps us strict.
  static const std::regex kShape(
      R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)");
  std::string s(text);
  if (!std::regex_match(s, kShape)) return std::nullopt;
  Poco::DateTime dt;
  int tzd = 0;
  try {
    if (s.size() == 10) {
      dt = Poco::DateTimeParser::parse("%Y-%m-%d", s, tzd);
    } else {
      dt = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, s, tzd);
    }
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  dt.makeUTC(tzd);
  return dt.timestamp().epochMicroseconds() / 1000;
}

TimeMs truncate_to_day(TimeMs t) {
  constexpr TimeMs kDay = 86'400'000;
  TimeMs r = t % kDay;
  if (r < 0) r += kDay;
  return t - r;
}

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int compare_nocase(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t k = 0; k < n; ++k) {
    char x = lower(a[k]), y = lower(b[k]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) { return lower(x) == lower(y); });
  return it != haystack.end();
}

bool like_nocase(std::string_view text, std::string_view pattern) {
  // Iterative glob with backtracking to the last star: O(n*m) worst case.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace cwsim
