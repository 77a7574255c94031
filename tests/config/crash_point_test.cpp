#include "base/crash_point.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

namespace cwsync {
namespace {

// Death tests run each body in a forked child, so the hook reads the
// environment the body sets (the parent never calls crash_point).
TEST(CrashPointDeathTest, KillsOnTheNthCallOfTheNamedPointOnly) {
  EXPECT_EXIT(
      {
        setenv("CWSYNC_CRASH_AT", "post_sent:2", 1);
        crash_point("post_claimed");
        crash_point("post_sent");
        std::fputs("survived the first call\n", stderr);
        crash_point("post_sent");
        std::fputs("survived the second call\n", stderr);
        _exit(0);
      },
      testing::KilledBySignal(SIGKILL), "survived the first call\n$");
}

TEST(CrashPointDeathTest, DoesNothingWhenUnset) {
  EXPECT_EXIT(
      {
        unsetenv("CWSYNC_CRASH_AT");
        for (int k = 0; k < 5; ++k) crash_point("post_sent");
        _exit(7);
      },
      testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace cwsync
