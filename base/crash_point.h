// Crash points: a test hook that lets the crash campaign (tests/reliability)
// kill cwsync exactly between two durable steps, as SQLite's own crash tests do.
//
// When the environment variable CWSYNC_CRASH_AT is "NAME" or "NAME:N", the Nth
// call (default the first) of crash_point(NAME) sends SIGKILL to the process.
// Unset, as in production, a call costs one comparison. The names in use:
//   page_before_commit  a page's rows and cursor are written, not committed
//   page_after_commit   the page is committed, nothing else has happened yet
//   post_claimed        a post is in_flight with a lease, nothing sent
//   post_sent           the PSA answered, the outcome is not recorded yet
//   post_recorded       the outcome is committed, the log line not written
#pragma once

#include <string_view>

namespace cwsync {

void crash_point(std::string_view name);

}  // namespace cwsync
