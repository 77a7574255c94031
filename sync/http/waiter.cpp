#include "sync/http/waiter.h"

namespace cwsync {

bool StopWaiter::wait_for(Millis d) {
  std::unique_lock lock(mu_);
  if (d <= Millis(0)) return !stop_.load();
  // wait_for on a steady clock: a wall-clock jump neither shortens nor
  // stretches a backoff.
  return !cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void StopWaiter::request_stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
}

void StopWaiter::reset() {
  std::lock_guard lock(mu_);
  stop_.store(false);
}

bool ManualWaiter::wait_for(Millis d) {
  if (d <= Millis(0)) return !stop_.load();
  {
    std::lock_guard lock(mu_);
    waits_.push_back(d);
    if (stop_at_ > 0 && static_cast<int>(waits_.size()) >= stop_at_) stop_.store(true);
  }
  if (stop_.load()) return false;
  clock_.advance(d);
  return true;
}

void ManualWaiter::stop_at_wait(int n) {
  std::lock_guard lock(mu_);
  stop_at_ = n;
}

std::vector<Millis> ManualWaiter::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

Millis ManualWaiter::total() const {
  std::lock_guard lock(mu_);
  Millis sum{0};
  for (auto w : waits_) sum += w;
  return sum;
}

}  // namespace cwsync
