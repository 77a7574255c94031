#include "base/clock.h"

#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(ClockTest, FormatsAndParsesIso8601Utc) {
  auto t = parse_iso8601("2026-11-23T10:15:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_iso8601(*t), "2026-11-23T10:15:00Z");
  EXPECT_EQ(format_date(*t), "2026-11-23");
}

TEST(ClockTest, ParsesOffsetsFractionsAndPlainDates) {
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-23T12:15:00+02:00")), "2026-11-23T10:15:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-23T10:15:00.250Z")), "2026-11-23T10:15:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-23T10:15:00")), "2026-11-23T10:15:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-23")), "2026-11-23T00:00:00Z");
}

TEST(ClockTest, RejectsNonDates) {
  EXPECT_FALSE(parse_iso8601("").has_value());
  EXPECT_FALSE(parse_iso8601("yesterday").has_value());
  EXPECT_FALSE(parse_iso8601("2026-13-45T99:00:00Z").has_value());
}

TEST(ClockTest, RejectsYearsATimePointCannotHold) {
  // Found by the config fuzzer: years outside 1678..2262 overflowed the conversion.
  EXPECT_FALSE(parse_iso8601("1012-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso8601("9999-12-31").has_value());
  EXPECT_TRUE(parse_iso8601("2200-01-01").has_value());
}

// parse_iso8601 and format_iso8601 have a fast path for the common forms;
// check it against the C library's calendar (timegm / gmtime_r) over
// seeded random instants from 1678 to 2262, and at the edges.
TEST(ClockTest, FastPathAgreesWithTheCLibraryCalendar) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<long long> secs(-9'200'000'000LL, 9'200'000'000LL);
  std::vector<long long> samples = {0, -1, 86399, 86400, 951'782'400 /* 2000-02-29 */,
                                    4'107'542'400 /* 2100-03-01 */, -2'203'891'200};
  for (int k = 0; k < 20000; ++k) samples.push_back(secs(rng));
  for (const long long s : samples) {
    const std::time_t tt = static_cast<std::time_t>(s);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char want[32];
    std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const TimePoint t{std::chrono::seconds(s)};
    ASSERT_EQ(format_iso8601(t), want) << s;
    ASSERT_EQ(parse_iso8601(want), t) << want;
    std::string frac = std::string(want, 19) + ".123456789Z";
    ASSERT_EQ(parse_iso8601(frac), t + std::chrono::microseconds(123456)) << frac;
    ASSERT_EQ(parse_iso8601(std::string(want, 19)), t) << want;
    ASSERT_EQ(parse_iso8601(std::string(want, 10)), t - std::chrono::seconds(((s % 86400) + 86400) % 86400))
        << want;
  }
}

TEST(ClockTest, OddFormsStillGoThroughTheFullParser) {
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-23T10:15:00.5+01:00")), "2026-11-23T09:15:00Z");
  EXPECT_FALSE(parse_iso8601("2026-02-30").has_value());
  EXPECT_FALSE(parse_iso8601("2026-11-23T10:15:00.Z").has_value() &&
               format_iso8601(*parse_iso8601("2026-11-23T10:15:00.Z")) != "2026-11-23T10:15:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(*parse_iso8601("2026-01-01T00:00:00Z"));
  EXPECT_EQ(format_iso8601(clock.now()), "2026-01-01T00:00:00Z");
  clock.advance(std::chrono::minutes(90));
  EXPECT_EQ(format_iso8601(clock.now()), "2026-01-01T01:30:00Z");
  EXPECT_EQ(format_iso8601_ms(clock.now() + Millis(5)), "2026-01-01T01:30:00.005Z");
}

}  // namespace
}  // namespace cwsync
