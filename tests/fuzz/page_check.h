// Shared by the mapper fuzzers: split a page body and check what split_page
// promises about each element's raw bytes.
#pragma once

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sync/http/json_page.h"

namespace cwsync_fuzz {

// nullopt when split_page rejected the body (a clean error, never a crash).
// Aborts when a PageElement's raw bytes do not parse back to its value, or a
// sliced raw lies outside the body.
inline std::optional<cwsync::SplitPage> checked_split(const std::string& body) {
  auto split = cwsync::split_page(body, "fuzz page");
  if (!split.ok()) {
    if (split.error().message.empty()) std::abort();
    return std::nullopt;
  }
  cwsync::SplitPage page = std::move(*split);
  for (const cwsync::PageElement& e : page.elements) {
    if (!e.value.is_object()) std::abort();  // documented: elements are objects
    if (page.sliced && (e.raw.data() < body.data() ||
                        e.raw.data() + e.raw.size() > body.data() + body.size())) {
      std::abort();
    }
    const auto reparsed = nlohmann::json::parse(e.raw, nullptr, /*allow_exceptions=*/false);
    if (reparsed.is_discarded() || reparsed != e.value) std::abort();
  }
  return page;
}

// Mapped times are truncated to whole seconds (the cursor's precision).
inline void check_whole_seconds(const std::optional<cwsync::TimePoint>& t) {
  if (t && t->time_since_epoch() % std::chrono::seconds(1) != cwsync::TimePoint::duration(0)) {
    std::abort();
  }
}

}  // namespace cwsync_fuzz
