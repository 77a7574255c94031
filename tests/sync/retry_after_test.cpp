#include "sync/http/retry_after.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2015-10-21T07:28:00Z, the instant in RFC 9110's example dates.
const TimePoint kRetryNow = *parse_iso8601("2015-10-21T07:28:00Z");

TEST(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", kRetryNow), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after("0", kRetryNow), milliseconds(0));
  EXPECT_EQ(parse_retry_after("  5 ", kRetryNow), milliseconds(5000));
}

TEST(RetryAfterTest, HugeDeltaIsClampedNotOverflowed) {
  auto d = parse_retry_after("99999999999999999999999", kRetryNow);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, std::chrono::hours(24 * 365));
}

TEST(RetryAfterTest, DateBeyondWhatATimePointHoldsIsClampedNotOverflowed) {
  // Found by the retry_after fuzzer: year 9999 overflowed the nanosecond conversion.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kRetryNow),
            std::chrono::hours(24 * 365));
}

TEST(RetryAfterTest, ImfFixdate) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", kRetryNow), milliseconds(90'000));
}

TEST(RetryAfterTest, ObsoleteDateFormatsRecipientsMustAccept) {
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", kRetryNow),
            milliseconds(60'000));
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:30:00 2015", kRetryNow), milliseconds(120'000));
}

TEST(RetryAfterTest, PastDateMeansNow) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kRetryNow), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", kRetryNow), milliseconds(0));
}

TEST(RetryAfterTest, NegativeAndGarbageAreRejected) {
  for (const char* v : {"", "   ", "-5", "+5", "5s", "1.5", "soon", "Wed, 99 Foo 2015",
                        "Wed, 21 Oct 2015", "0x10", "12 34", "Mon"}) {
    EXPECT_FALSE(parse_retry_after(v, kRetryNow).has_value()) << "'" << v << "'";
  }
}

}  // namespace
}  // namespace cwsync
