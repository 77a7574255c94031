#include "sync/http/waiter.h"

#include <thread>

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::milliseconds;

TEST(StopWaiterTest, WaitsAndReturnsTrue) {
  StopWaiter w;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(w.wait_for(milliseconds(20)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
  EXPECT_TRUE(w.wait_for(milliseconds(0)));
}

TEST(StopWaiterTest, RequestStopWakesALongWaitAtOnce) {
  StopWaiter w;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(30));
    w.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(w.wait_for(std::chrono::hours(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  stopper.join();
  EXPECT_TRUE(w.stop_requested());
  EXPECT_FALSE(w.wait_for(milliseconds(10)));  // stays stopped
  w.reset();
  EXPECT_TRUE(w.wait_for(milliseconds(1)));
}

TEST(ManualWaiterTest, AdvancesTheClockInsteadOfSleeping) {
  ManualClock clock(TimePoint(std::chrono::seconds(100)));
  ManualWaiter w(clock);
  EXPECT_TRUE(w.wait_for(std::chrono::hours(2)));
  EXPECT_TRUE(w.wait_for(milliseconds(0)));
  EXPECT_EQ(clock.now(), TimePoint(std::chrono::seconds(100)) + std::chrono::hours(2));
  EXPECT_EQ(w.waits().size(), 1u);
  EXPECT_EQ(w.total(), std::chrono::hours(2));
}

TEST(ManualWaiterTest, StopAtWait) {
  ManualClock clock(TimePoint(std::chrono::seconds(100)));
  ManualWaiter w(clock);
  w.stop_at_wait(2);
  EXPECT_TRUE(w.wait_for(milliseconds(5)));
  EXPECT_FALSE(w.wait_for(milliseconds(5)));
  EXPECT_TRUE(w.stop_requested());
}

}  // namespace
}  // namespace cwsync
