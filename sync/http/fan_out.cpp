#include "sync/http/fan_out.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace cwsync {

void fan_out(std::size_t count, std::size_t width, const std::function<bool(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    while (!stop.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      if (!task(i)) stop.store(true);
    }
  };
  const std::size_t helpers = std::min(std::max<std::size_t>(width, 1), count) - (count > 0 ? 1 : 0);
  std::vector<std::thread> threads;
  threads.reserve(helpers);
  for (std::size_t k = 0; k < helpers; ++k) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

}  // namespace cwsync
