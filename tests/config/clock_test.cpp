#include "base/clock.h"

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

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(*parse_iso8601("2026-01-01T00:00:00Z"));
  EXPECT_EQ(format_iso8601(clock.now()), "2026-01-01T00:00:00Z");
  clock.advance(std::chrono::minutes(90));
  EXPECT_EQ(format_iso8601(clock.now()), "2026-01-01T01:30:00Z");
  EXPECT_EQ(format_iso8601_ms(clock.now() + Millis(5)), "2026-01-01T01:30:00.005Z");
}

}  // namespace
}  // namespace cwsync
