#include "base/result.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);

  Result<int> bad = make_error(ErrorKind::kNotFound, "no such quote", "GET /api/quotes/x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kNotFound);
}

TEST(ResultTest, DescribeIncludesContextAndStatus) {
  Error e = make_error(ErrorKind::kRetryable, "Service Unavailable", "GET /api/quotes page 3");
  e.http_status = 503;
  EXPECT_EQ(e.describe(), "GET /api/quotes page 3: Service Unavailable (HTTP 503)");
}

TEST(ResultTest, RetryableKinds) {
  EXPECT_TRUE(make_error(ErrorKind::kThrottled, "").retryable());
  EXPECT_TRUE(make_error(ErrorKind::kTimeout, "").retryable());
  EXPECT_TRUE(make_error(ErrorKind::kNetwork, "").retryable());
  EXPECT_FALSE(make_error(ErrorKind::kAuth, "").retryable());
  EXPECT_FALSE(make_error(ErrorKind::kBadRequest, "").retryable());
  EXPECT_FALSE(make_error(ErrorKind::kMalformed, "").retryable());
}

TEST(ResultTest, VoidStatus) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status bad = make_error(ErrorKind::kIo, "disk full");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "disk full");
}

}  // namespace
}  // namespace cwsync
