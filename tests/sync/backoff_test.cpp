#include "sync/http/backoff.h"

#include <limits>

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::milliseconds;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));

TEST(BackoffTest, CeilingDoublesFromBaseUntilCap) {
  Backoff b(milliseconds(1000), milliseconds(300'000), seeded_random(1));
  EXPECT_EQ(b.ceiling(0), milliseconds(1000));
  EXPECT_EQ(b.ceiling(1), milliseconds(2000));
  EXPECT_EQ(b.ceiling(2), milliseconds(4000));
  EXPECT_EQ(b.ceiling(8), milliseconds(256'000));
  EXPECT_EQ(b.ceiling(9), milliseconds(300'000));  // 512 s capped at 5 min
  EXPECT_EQ(b.ceiling(-3), milliseconds(1000));
}

TEST(BackoffTest, CeilingNeverOverflowsForHugeRetryCounts) {
  Backoff b(milliseconds(1000), milliseconds(300'000), seeded_random(1));
  for (int n : {62, 63, 64, 1000, std::numeric_limits<int>::max()}) {
    EXPECT_EQ(b.ceiling(n), milliseconds(300'000)) << n;
  }
  // Even with a cap near the representable maximum.
  const milliseconds huge(std::numeric_limits<milliseconds::rep>::max());
  Backoff wide(milliseconds(1), huge, seeded_random(1));
  EXPECT_EQ(wide.ceiling(std::numeric_limits<int>::max()), huge);
  EXPECT_GT(wide.ceiling(62), milliseconds(0));
}

TEST(BackoffTest, FullJitterStaysWithinZeroAndCeiling) {
  Backoff b(milliseconds(100), milliseconds(10'000), seeded_random(42));
  for (int retry = 0; retry < 20; ++retry) {
    milliseconds lo = milliseconds::max(), hi = milliseconds::min();
    for (int i = 0; i < 500; ++i) {
      milliseconds w = b.next(retry);
      ASSERT_GE(w, milliseconds(0));
      ASSERT_LE(w, b.ceiling(retry));
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    // Full jitter spreads over the whole range, not a band near the top.
    EXPECT_LT(lo, b.ceiling(retry) / 4) << retry;
    EXPECT_GT(hi, b.ceiling(retry) * 3 / 4) << retry;
  }
}

TEST(BackoffTest, ExtremeRandomValuesStayInBounds) {
  Backoff zero(milliseconds(100), milliseconds(1000), [] { return 0.0; });
  EXPECT_EQ(zero.next(3), milliseconds(0));
  Backoff one(milliseconds(100), milliseconds(1000), [] { return 1.0; });  // out of contract
  EXPECT_EQ(one.next(3), milliseconds(800));
  Backoff almost(milliseconds(100), milliseconds(1000), [] { return 0.999999; });
  EXPECT_EQ(almost.next(10), milliseconds(1000));
}

TEST(BackoffTest, SeededRandomIsDeterministic) {
  Backoff a(milliseconds(1000), milliseconds(60'000), seeded_random(7));
  Backoff b(milliseconds(1000), milliseconds(60'000), seeded_random(7));
  Backoff c(milliseconds(1000), milliseconds(60'000), seeded_random(8));
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    auto wa = a.next(i), wb = b.next(i), wc = c.next(i);
    EXPECT_EQ(wa, wb);
    differs = differs || wa != wc;
  }
  EXPECT_TRUE(differs);
}

TEST(BackoffTest, BadPolicyIsClampedNotTrusted) {
  Backoff b(milliseconds(0), milliseconds(-5), seeded_random(1));
  EXPECT_GE(b.base(), milliseconds(1));
  EXPECT_GE(b.cap(), b.base());
  EXPECT_LE(b.next(100), b.cap());
}

Error error_of(ErrorKind kind, int status = 0) {
  Error e = make_error(kind, "x");
  e.http_status = status;
  return e;
}

class DecideRetryTest : public ::testing::Test {
 protected:
  RetryPolicy policy{5, milliseconds(15 * 60'000)};
  Backoff backoff{milliseconds(1000), milliseconds(300'000), seeded_random(3)};
};

TEST_F(DecideRetryTest, NonRetryableKindsGiveUp) {
  for (ErrorKind k : {ErrorKind::kAuth, ErrorKind::kNotFound, ErrorKind::kBadRequest,
                      ErrorKind::kMalformed, ErrorKind::kCancelled, ErrorKind::kConfig}) {
    auto d = decide_retry(error_of(k), 1, kNow, policy, backoff);
    EXPECT_EQ(d.action, RetryDecision::Action::kGiveUp) << to_string(k);
  }
}

TEST_F(DecideRetryTest, RetryableKindsBackOffWithinCeiling) {
  for (ErrorKind k : {ErrorKind::kTimeout, ErrorKind::kNetwork, ErrorKind::kRetryable,
                      ErrorKind::kThrottled}) {
    for (int attempts = 1; attempts < 5; ++attempts) {
      auto d = decide_retry(error_of(k), attempts, kNow, policy, backoff);
      ASSERT_EQ(d.action, RetryDecision::Action::kRetry) << to_string(k);
      EXPECT_LE(d.wait, backoff.ceiling(attempts - 1));
    }
  }
}

TEST_F(DecideRetryTest, GivesUpAfterMaxAttempts) {
  auto d = decide_retry(error_of(ErrorKind::kRetryable, 503), 5, kNow, policy, backoff);
  EXPECT_EQ(d.action, RetryDecision::Action::kGiveUp);
}

TEST_F(DecideRetryTest, RetryAfterOverridesBackoff) {
  Error e = error_of(ErrorKind::kThrottled, 429);
  e.retry_after = milliseconds(7000);
  auto d = decide_retry(e, 1, kNow, policy, backoff);
  EXPECT_EQ(d.action, RetryDecision::Action::kRetry);
  EXPECT_EQ(d.wait, milliseconds(7000));  // exact: no jitter on a server's instruction
}

TEST_F(DecideRetryTest, RetryAfterBeyondCapBecomesDeferral) {
  Error e = error_of(ErrorKind::kThrottled, 429);
  e.retry_after = milliseconds(16 * 60'000);
  auto d = decide_retry(e, 1, kNow, policy, backoff);
  EXPECT_EQ(d.action, RetryDecision::Action::kDefer);
  EXPECT_EQ(d.not_before, kNow + milliseconds(16 * 60'000));
}

TEST_F(DecideRetryTest, RetryAfterOnLastAttemptIsStillHonouredAsDeferral) {
  Error e = error_of(ErrorKind::kThrottled, 429);
  e.retry_after = milliseconds(3000);
  auto d = decide_retry(e, 5, kNow, policy, backoff);
  EXPECT_EQ(d.action, RetryDecision::Action::kDefer);
  EXPECT_EQ(d.not_before, kNow + milliseconds(3000));
}

TEST_F(DecideRetryTest, BackoffLongerThanCapIsDeferredToo) {
  RetryPolicy tight{10, milliseconds(2000)};
  Backoff always_max(milliseconds(1000), milliseconds(60'000), [] { return 0.9999; });
  auto d = decide_retry(error_of(ErrorKind::kNetwork), 4, kNow, tight, always_max);
  EXPECT_EQ(d.action, RetryDecision::Action::kDefer);
  EXPECT_GT(d.wait, milliseconds(2000));
  EXPECT_EQ(d.not_before, kNow + d.wait);
}

}  // namespace
}  // namespace cwsync
