#include "sync/note_marker.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(NoteMarker, TokenIsFirstEightHexOfSha1) {
  // printf 'session-8812-close' | sha1sum | cut -c1-8
  EXPECT_EQ(marker_token("session-8812-close"), "79066002");
  EXPECT_EQ(marker_token("session-8812-close"), marker_token("session-8812-close"));
  EXPECT_NE(marker_token("a"), marker_token("b"));
  EXPECT_EQ(marker_token("7f3a9c1e-0000-4000-8000-000000000000").size(), 8u);
}

TEST(NoteMarker, FormatsWithTheConfiguredTemplate) {
  EXPECT_EQ(format_marker("[cwsync:{marker}]", "session-8812-close"), "[cwsync:79066002]");
  EXPECT_EQ(format_marker("ref {marker} end", "session-8812-close"), "ref 79066002 end");
  EXPECT_EQ(format_marker("#", "session-8812-close"), "#79066002");
}

TEST(NoteMarker, AppendsOnItsOwnLineOnce) {
  EXPECT_EQ(append_marker("Rebooted.", "[cwsync:ab]"), "Rebooted.\n[cwsync:ab]");
  EXPECT_EQ(append_marker("Rebooted.\n[cwsync:ab]", "[cwsync:ab]"), "Rebooted.\n[cwsync:ab]");
  EXPECT_EQ(append_marker("", "[cwsync:ab]"), "[cwsync:ab]");
}

}  // namespace
}  // namespace cwsync
