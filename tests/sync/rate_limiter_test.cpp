#include "sync/http/rate_limiter.h"

#include <algorithm>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = TimePoint(seconds(1'800'000'000));

// The largest number of starts inside any half-open window [t, t + per).
int max_in_window(std::vector<TimePoint> starts, milliseconds per) {
  std::sort(starts.begin(), starts.end());
  int best = 0;
  size_t lo = 0;
  for (size_t hi = 0; hi < starts.size(); ++hi) {
    while (starts[hi] - starts[lo] >= per) ++lo;
    best = std::max(best, static_cast<int>(hi - lo + 1));
  }
  return best;
}

TEST(RateLimiterTest, AllowsABurstUpToTheBucketSize) {
  RateLimiter limiter({25, seconds(5)});
  for (int i = 0; i < 25; ++i) EXPECT_EQ(limiter.reserve(kStart), milliseconds(0)) << i;
  // The 26th start must wait until the first token returns.
  EXPECT_EQ(limiter.reserve(kStart), milliseconds(5000));
}

TEST(RateLimiterTest, GreedyCallersNeverExceedTheRateInAnyWindow) {
  ManualClock clock(kStart);
  ManualWaiter waiter(clock);
  RateLimiter limiter({25, seconds(5)});
  std::vector<TimePoint> starts;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(waiter.wait_for(limiter.reserve(clock.now())));
    starts.push_back(clock.now());
  }
  EXPECT_EQ(max_in_window(starts, seconds(5)), 25);
  // And it is not needlessly slow: 500 starts at 25 per 5 s take 19 windows.
  EXPECT_EQ(starts.back() - starts.front(), seconds(95));
}

TEST(RateLimiterTest, IrregularCallersNeverExceedTheRate) {
  ManualClock clock(kStart);
  ManualWaiter waiter(clock);
  RateLimiter limiter({7, milliseconds(1000)});
  std::vector<TimePoint> starts;
  unsigned x = 12345;
  for (int i = 0; i < 2000; ++i) {
    x = x * 1103515245u + 12345u;  // a fixed pseudo-random gap pattern
    clock.advance(milliseconds((x >> 16) % 400));
    ASSERT_TRUE(waiter.wait_for(limiter.reserve(clock.now())));
    starts.push_back(clock.now());
  }
  EXPECT_LE(max_in_window(starts, milliseconds(1000)), 7);
}

TEST(RateLimiterTest, ConcurrentReservationsShareOneBudget) {
  RateLimiter limiter({10, seconds(1)});
  std::mutex mu;
  std::vector<TimePoint> starts;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const Millis wait = limiter.reserve(kStart);  // everyone asks at the same instant
        std::lock_guard lock(mu);
        starts.push_back(kStart + wait);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(starts.size(), 200u);
  EXPECT_EQ(max_in_window(starts, seconds(1)), 10);
}

TEST(RateLimiterTest, IdleTimeRefillsTheBucket) {
  RateLimiter limiter({3, seconds(10)});
  for (int i = 0; i < 3; ++i) limiter.reserve(kStart);
  EXPECT_GT(limiter.reserve(kStart + seconds(1)), milliseconds(0));
  const TimePoint later = kStart + seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.reserve(later), milliseconds(0));
}

TEST(RateLimiterTest, ClockSetBackDoesNotParkCallers) {
  RateLimiter limiter({2, seconds(5)});
  limiter.reserve(kStart);
  limiter.reserve(kStart);
  EXPECT_EQ(limiter.reserve(kStart - std::chrono::hours(1)), milliseconds(0));
}

TEST(RateLimiterTest, TightenKeepsTheStricterLimit) {
  RateLimiter limiter({25, seconds(5)});
  EXPECT_FALSE(limiter.tighten({60, seconds(5)}));
  EXPECT_TRUE(limiter.tighten({10, seconds(5)}));
  EXPECT_EQ(limiter.limit().requests, 10);
}

TEST(UpstreamRegistryTest, OneHostStatePerHostSharedByCallers) {
  UpstreamRegistry registry;
  auto a = registry.host(host_key("https://sellapi.quosalsell.com/api/quotes"), {});
  auto b = registry.host(host_key("https://SELLAPI.quosalsell.com:443/api/quoteItems"), {});
  auto c = registry.host(host_key("https://api-na.myconnectwise.net/x"), {});
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(a->key(), "sellapi.quosalsell.com:443");
  EXPECT_EQ(a->reserve_ceiling(kStart), milliseconds(0));  // no hosts: entry, no ceiling

  a->metrics().count_attempt(200);
  a->metrics().count_attempt(429);
  a->metrics().count_attempt(0);
  auto snap = registry.snapshot(kStart);
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].host, "api-na.myconnectwise.net:443");
  EXPECT_EQ(snap[1].requests, 3u);
  EXPECT_EQ(snap[1].status_2xx, 1u);
  EXPECT_EQ(snap[1].status_4xx, 1u);
  EXPECT_EQ(snap[1].throttled, 1u);
  EXPECT_EQ(snap[1].transport_errors, 1u);
}

TEST(UpstreamRegistryTest, BudgetsAreIndependentPerKey) {
  UpstreamRegistry registry;
  auto acme = registry.budget("cpq sellapi.quosalsell.com:443 acme+k1", {25, seconds(5)});
  auto beta = registry.budget("cpq sellapi.quosalsell.com:443 beta+k2", {25, seconds(5)});
  ASSERT_NE(acme.get(), beta.get());
  for (int i = 0; i < 25; ++i) EXPECT_EQ(acme->reserve(kStart), milliseconds(0));
  EXPECT_GT(acme->reserve(kStart), milliseconds(0));  // acme's burst is spent ...
  EXPECT_EQ(beta->reserve(kStart), milliseconds(0));  // ... beta's is untouched
  EXPECT_EQ(registry.budget("cpq sellapi.quosalsell.com:443 acme+k1", {25, seconds(5)}).get(),
            acme.get());
  EXPECT_EQ(registry.budget_count(), 2u);
}

TEST(UpstreamRegistryTest, CeilingBindsAcrossBudgetsOfOneHost) {
  UpstreamRegistry registry;
  registry.set_ceilings({{"sellapi.quosalsell.com", {3, seconds(1)}}});
  auto host = registry.host(host_key("https://sellapi.quosalsell.com/api"), {});
  auto other = registry.host(host_key("https://api-na.myconnectwise.net"), {});
  ASSERT_TRUE(host->ceiling().has_value());
  EXPECT_FALSE(other->ceiling().has_value());
  // Three starts of any tenants fill the host's ceiling; the fourth waits.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(host->reserve_ceiling(kStart), milliseconds(0));
  EXPECT_EQ(host->reserve_ceiling(kStart), milliseconds(1000));
  EXPECT_EQ(other->reserve_ceiling(kStart), milliseconds(0));
  registry.set_ceilings({});  // a reload that drops the entry lifts it at once
  EXPECT_EQ(host->reserve_ceiling(kStart), milliseconds(0));
  registry.set_ceilings({{"api-na.myconnectwise.net:443", {1, seconds(1)}}});  // host:port form
  EXPECT_TRUE(other->ceiling().has_value());
}

TEST(UpstreamRegistryTest, ConfiguredBudgetsTakeExactlyTheirLimit) {
  UpstreamRegistry registry;
  auto b = registry.budget("budget:shared", {10, seconds(1)});
  registry.budget("budget:shared", {5, seconds(1)});  // unconfigured: stricter wins
  EXPECT_EQ(b->limit().requests, 5);
  registry.configure_budgets({{"budget:shared", {50, seconds(1)}}});  // a reload loosens it
  EXPECT_EQ(b->limit().requests, 50);
  registry.budget("budget:shared", {5, seconds(1)});  // configured: callers do not tighten
  EXPECT_EQ(b->limit().requests, 50);
}

TEST(UpstreamRegistryTest, HostKeyNormalises) {
  EXPECT_EQ(host_key("http://127.0.0.1:8080/a?b"), "127.0.0.1:8080");
  EXPECT_EQ(host_key("http://Example.com/"), "example.com:80");
  EXPECT_EQ(host_key("not a url"), "");
}

}  // namespace
}  // namespace cwsync
