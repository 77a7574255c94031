// Bounded fan-out for independent requests: runs task(0) .. task(count - 1)
// on up to `width` threads, the calling thread being one of them. Used to keep
// several requests of one run in flight (a page's item batches), so a run on a
// slow link is paced by its rate budget instead of by the round trip
// (docs/sync.md, "Overlapped requests"). The budget, the breaker and the
// retries stay ApiClient's, which is thread-safe.
//
//   std::vector<Result<Rows>> got(batches.size());
//   fan_out(batches.size(), 4, [&](std::size_t i) { got[i] = fetch(batches[i]); return got[i].ok(); });
#pragma once

#include <cstddef>
#include <functional>

namespace cwsync {

// Each index is run at most once, on one thread; indexes are handed out in
// ascending order. Once a task returns false no further index is started
// (running ones finish). Returns when every started task has returned.
// width 0 is treated as 1 (everything on the calling thread). A task must
// not throw. Thread-safe; `task` must be safe to call concurrently.
void fan_out(std::size_t count, std::size_t width, const std::function<bool(std::size_t)>& task);

}  // namespace cwsync
