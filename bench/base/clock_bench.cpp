// clock_bench (Google Benchmark): the ISO-8601 helpers every cached row goes
// through (5 dates per quote parsed, ~10 timestamps per page row formatted),
// against Poco's DateTimeParser / DateTimeFormatter doing the same work in
// the same run (what base/clock.cpp used before its fast path).
//
//   build/default/bench/base/clock_bench
#include <benchmark/benchmark.h>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>

#include "base/clock.h"

namespace {

const char* const kInputs[] = {"2026-07-04T04:01:17.198Z", "2025-12-04T02:50:50.818Z",
                               "2026-07-31T00:00:00.000Z", "2026-11-23T10:15:00Z"};

void BM_parse_iso8601(benchmark::State& state) {
  std::size_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cwsync::parse_iso8601(kInputs[k++ % 4]));
}
BENCHMARK(BM_parse_iso8601);

void BM_parse_poco_baseline(benchmark::State& state) {
  std::size_t k = 0;
  for (auto _ : state) {
    int tzd = 0;
    Poco::DateTime dt;
    benchmark::DoNotOptimize(Poco::DateTimeParser::tryParse(
        Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, kInputs[k++ % 4], dt, tzd));
  }
}
BENCHMARK(BM_parse_poco_baseline);

void BM_format_iso8601(benchmark::State& state) {
  const cwsync::TimePoint t = *cwsync::parse_iso8601("2026-07-04T04:01:17Z");
  long k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cwsync::format_iso8601(t + std::chrono::seconds(k++)));
}
BENCHMARK(BM_format_iso8601);

void BM_format_poco_baseline(benchmark::State& state) {
  Poco::Timestamp ts = Poco::Timestamp::fromEpochTime(1'783'137'677);
  for (auto _ : state) {
    ts += 1'000'000;
    benchmark::DoNotOptimize(Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%SZ"));
  }
}
BENCHMARK(BM_format_poco_baseline);

}  // namespace

BENCHMARK_MAIN();
