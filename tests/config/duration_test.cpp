#include "config/duration.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("10s"), milliseconds(10'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("24h"), milliseconds(86'400'000));
  EXPECT_EQ(parse_duration("3d"), milliseconds(3 * 86'400'000LL));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(DurationTest, RejectsOtherSyntax) {
  for (const char* bad : {"", "5", "m", "5 m", " 5m", "5m ", "-5m", "+5m", "1.5s", "5M", "5min",
                          "1h30m", "5sec", "ms", "5mss", "0x10s"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(DurationTest, RejectsOverflow) {
  EXPECT_EQ(parse_duration("9223372036854775807ms"), milliseconds(INT64_MAX));
  EXPECT_EQ(parse_duration("9223372036854775808ms"), std::nullopt);
  EXPECT_EQ(parse_duration("106751991167d"), milliseconds(106751991167LL * 86'400'000));
  EXPECT_EQ(parse_duration("106751991168d"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999999s"), std::nullopt);
}

TEST(DurationTest, FormatsInLargestExactUnit) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(60s), "1m");
  EXPECT_EQ(format_duration(5min), "5m");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(25h), "25h");
  EXPECT_EQ(format_duration(-10s), "-10s");
}

TEST(DurationTest, RoundTrips) {
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 61'000LL, 3'600'000LL, 86'400'000LL * 7,
                       123'456'789LL}) {
    const milliseconds d(ms);
    EXPECT_EQ(parse_duration(format_duration(d)), d) << ms;
  }
}

}  // namespace
}  // namespace cwsync
