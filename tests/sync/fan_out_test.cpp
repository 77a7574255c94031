// fan_out: every index once, bounded width, no new index after a failure.
#include "sync/http/fan_out.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(FanOutTest, RunsEveryIndexOnceOnAtMostWidthThreads) {
  std::mutex mu;
  std::multiset<std::size_t> seen;
  std::set<std::thread::id> threads;
  fan_out(50, 4, [&](std::size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(i);
    threads.insert(std::this_thread::get_id());
    return true;
  });
  ASSERT_EQ(seen.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
  EXPECT_LE(threads.size(), 4u);
}

TEST(FanOutTest, NothingAndWidthZeroRunOnTheCallingThread) {
  fan_out(0, 4, [](std::size_t) -> bool {
    ADD_FAILURE() << "no index to run";
    return true;
  });
  const auto me = std::this_thread::get_id();
  int runs = 0;
  fan_out(3, 0, [&](std::size_t) {
    EXPECT_EQ(std::this_thread::get_id(), me);
    ++runs;
    return true;
  });
  EXPECT_EQ(runs, 3);
}

TEST(FanOutTest, NoIndexStartsAfterATaskFails) {
  std::atomic<int> runs{0};
  fan_out(1000, 1, [&](std::size_t i) {
    ++runs;
    return i != 4;
  });
  EXPECT_EQ(runs.load(), 5);
}

}  // namespace
}  // namespace cwsync
