#include "sync/time_rounding.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TimePoint at(const char* iso) { return *parse_iso8601(iso); }

struct Row {
  const char* end;
  Rounding rounding;
  const char* want_end;
  std::optional<double> want_hours;
};

TEST(TimeRounding, Table) {
  const TimePoint start = at("2026-11-23T09:00:00Z");
  const Row rows[] = {
      {"2026-11-23T09:40:00Z", Rounding::k15m, "2026-11-23T09:45:00Z", 0.75},
      {"2026-11-23T09:45:00Z", Rounding::k15m, "2026-11-23T09:45:00Z", 0.75},
      {"2026-11-23T09:45:01Z", Rounding::k15m, "2026-11-23T10:00:00Z", 1.0},
      {"2026-11-23T09:01:00Z", Rounding::k15m, "2026-11-23T09:15:00Z", 0.25},
      {"2026-11-23T09:00:00Z", Rounding::k15m, "2026-11-23T09:15:00Z", 0.25},
      {"2026-11-23T09:40:00Z", Rounding::k30m, "2026-11-23T10:00:00Z", 1.0},
      {"2026-11-23T09:29:00Z", Rounding::k30m, "2026-11-23T09:30:00Z", 0.5},
      {"2026-11-23T10:31:00Z", Rounding::k30m, "2026-11-23T11:00:00Z", 2.0},
      {"2026-11-23T09:40:00Z", Rounding::kExact, "2026-11-23T09:40:00Z", 0.67},
      {"2026-11-23T09:40:59Z", Rounding::kExact, "2026-11-23T09:40:00Z", 0.67},
      {"2026-11-23T11:06:00Z", Rounding::kExact, "2026-11-23T11:06:00Z", 2.1},
      {"2026-11-23T09:40:30Z", Rounding::kNone, "2026-11-23T09:40:30Z", std::nullopt},
  };
  for (const Row& r : rows) {
    RoundedTime t = round_time(start, at(r.end), r.rounding);
    SCOPED_TRACE(std::string(r.end) + " " + to_string(r.rounding));
    EXPECT_EQ(t.start, start);
    EXPECT_EQ(format_iso8601(t.end), r.want_end);
    ASSERT_EQ(t.actual_hours.has_value(), r.want_hours.has_value());
    if (r.want_hours) {
      EXPECT_DOUBLE_EQ(*t.actual_hours, *r.want_hours);
    }
  }
}

TEST(TimeRounding, EndBeforeStartIsZeroLength) {
  const TimePoint start = at("2026-11-23T09:00:00Z");
  RoundedTime t = round_time(start, at("2026-11-23T08:00:00Z"), Rounding::kExact);
  EXPECT_EQ(t.end, start);
  EXPECT_DOUBLE_EQ(*t.actual_hours, 0.0);
}

TEST(TimeRounding, ParsesAndPrintsNames) {
  for (Rounding r : {Rounding::k15m, Rounding::k30m, Rounding::kExact, Rounding::kNone}) {
    EXPECT_EQ(parse_rounding(to_string(r)), r);
  }
  EXPECT_FALSE(parse_rounding("10m"));
  EXPECT_FALSE(parse_rounding(""));
}

}  // namespace
}  // namespace cwsync
