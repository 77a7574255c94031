// Interruptible waiting. Every wait in sync/ (backoff, Retry-After, rate
// limit) goes through a Waiter, so SIGTERM ends it at once and tests never
// sleep.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "base/clock.h"

namespace cwsync {

class Waiter {
 public:
  virtual ~Waiter() = default;
  // Blocks for up to `d` (returns at once for d <= 0). Returns false when stop
  // was requested before or during the wait, true when the time passed.
  // Thread-safe.
  virtual bool wait_for(Millis d) = 0;
  // Runs `block`, a wait for something other than time (e.g. a request slot
  // that another thread gives back), as a wait of this waiter: the daemon's
  // job waiter lends the run's worker out meanwhile, as it does for
  // wait_for(). `block` must return soon after stop is requested. Returns
  // what `block` returns.
  virtual bool wait_on(const std::function<bool()>& block) { return block(); }
  // Wakes every waiter; later waits return false at once. Thread-safe,
  // async-signal-unsafe (call it from the signal-handling thread).
  virtual void request_stop() = 0;
  virtual bool stop_requested() const = 0;
};

// The production waiter: a condition variable with a stop flag (osquery's
// InterruptibleRunnable).
class StopWaiter final : public Waiter {
 public:
  bool wait_for(Millis d) override;
  void request_stop() override;
  bool stop_requested() const override { return stop_.load(); }
  // Clears the stop flag (e.g. after a `sync --once` run in tests).
  void reset();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

// Test waiter: advances a ManualClock by the requested time instead of
// sleeping, and records every wait. Can be told to report a stop after a
// number of waits. Thread-safe.
class ManualWaiter final : public Waiter {
 public:
  explicit ManualWaiter(ManualClock& clock) : clock_(clock) {}
  bool wait_for(Millis d) override;
  void request_stop() override { stop_.store(true); }
  bool stop_requested() const override { return stop_.load(); }
  // Requests stop when the n-th wait (1-based) starts.
  void stop_at_wait(int n);

  std::vector<Millis> waits() const;  // every wait_for argument with d > 0
  Millis total() const;

 private:
  ManualClock& clock_;
  mutable std::mutex mu_;
  std::vector<Millis> waits_;
  int stop_at_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace cwsync
