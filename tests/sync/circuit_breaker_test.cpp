#include "sync/http/circuit_breaker.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::seconds;
using State = CircuitBreaker::State;

const TimePoint kT0 = TimePoint(seconds(1'800'000'000));

TEST(CircuitBreakerTest, StaysClosedBelowTheThreshold) {
  CircuitBreaker b({3, seconds(60)});
  EXPECT_FALSE(b.allow(kT0));
  EXPECT_FALSE(b.on_failure(kT0));
  EXPECT_FALSE(b.on_failure(kT0));
  EXPECT_EQ(b.state(kT0), State::kClosed);
  EXPECT_FALSE(b.allow(kT0));
}

TEST(CircuitBreakerTest, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker b({3, seconds(60)});
  b.on_failure(kT0);
  b.on_failure(kT0);
  EXPECT_FALSE(b.on_success());  // already closed: no transition
  b.on_failure(kT0);
  b.on_failure(kT0);
  EXPECT_EQ(b.state(kT0), State::kClosed);
}

TEST(CircuitBreakerTest, OpensAfterNConsecutiveFailuresAndRejects) {
  CircuitBreaker b({3, seconds(60)});
  b.on_failure(kT0);
  b.on_failure(kT0);
  EXPECT_TRUE(b.on_failure(kT0));
  EXPECT_EQ(b.state(kT0), State::kOpen);
  auto until = b.allow(kT0 + seconds(10));
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, kT0 + seconds(60));
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeThrough) {
  CircuitBreaker b({1, seconds(60)});
  b.on_failure(kT0);
  const TimePoint later = kT0 + seconds(60);
  EXPECT_EQ(b.state(later), State::kHalfOpen);
  EXPECT_FALSE(b.allow(later));          // the probe
  EXPECT_TRUE(b.allow(later));           // everyone else waits for it
  EXPECT_TRUE(b.on_success());           // probe succeeded: closed
  EXPECT_EQ(b.state(later), State::kClosed);
  EXPECT_FALSE(b.allow(later));
}

TEST(CircuitBreakerTest, FailedProbeReopensForAnotherCoolDown) {
  CircuitBreaker b({2, seconds(30)});
  b.on_failure(kT0);
  b.on_failure(kT0);
  const TimePoint probe = kT0 + seconds(31);
  EXPECT_FALSE(b.allow(probe));
  EXPECT_TRUE(b.on_failure(probe));      // one failure is enough in half-open
  auto until = b.allow(probe + seconds(1));
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, probe + seconds(30));
}

TEST(CircuitBreakerTest, AbandonedProbeDoesNotWedgeTheBreaker) {
  CircuitBreaker b({1, seconds(10)});
  b.on_failure(kT0);
  EXPECT_FALSE(b.allow(kT0 + seconds(10)));  // probe taken, never reported
  EXPECT_TRUE(b.allow(kT0 + seconds(15)));
  EXPECT_FALSE(b.allow(kT0 + seconds(20)));  // a new probe after another cool-down
}

}  // namespace
}  // namespace cwsync
