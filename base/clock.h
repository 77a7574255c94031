// Injected time. Everything that schedules, backs off or stamps rows takes a
// Clock, so tests drive time by hand and never sleep.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace cwsync {

using SysClock = std::chrono::system_clock;
using TimePoint = SysClock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// Wall-clock time; the production clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return SysClock::now(); }
  static const SystemClock& instance();
};

// A clock tests move by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint now() const override;
  void advance(Millis by);
  void set(TimePoint to);

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// ISO-8601 UTC with second precision, "2026-11-23T10:15:00Z": the one format
// for every timestamp in the DB and the upstream APIs.
std::string format_iso8601(TimePoint t);
// Same, with milliseconds: "2026-11-23T10:15:00.123Z" (log `ts`).
std::string format_iso8601_ms(TimePoint t);
// "2026-11-23" (CPQ conditions accept dates only).
std::string format_date(TimePoint t);
// Parses ISO-8601 date-times with or without fraction and zone (a missing
// zone means UTC), and plain dates. nullopt when it is not a date, or a date
// a TimePoint cannot hold (before 1678 or after 2262).
std::optional<TimePoint> parse_iso8601(std::string_view text);

}  // namespace cwsync
