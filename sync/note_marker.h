// The exactly-once marker: a short stable token derived from a post's
// idempotency key, appended on its own line to note (and time-entry) text so
// the drainer can find an already-applied post after an ambiguous failure.
#pragma once

#include <string>
#include <string_view>

namespace cwsync {

// The first 8 hex digits of SHA-1(key), lower case. Pure and stable across
// versions: changing it would make in-flight posts undetectable.
std::string marker_token(std::string_view idempotency_key);

// `format` with "{marker}" replaced by the token ("[cwsync:{marker}]" →
// "[cwsync:7f3a9c1e]"). A format without "{marker}" gets the token appended.
std::string format_marker(std::string_view format, std::string_view idempotency_key);

// `text` + "\n" + marker (just the marker when text is empty). If `text`
// already ends with the marker line it is returned unchanged.
std::string append_marker(std::string_view text, std::string_view marker);

}  // namespace cwsync
