// `cwsync run`: the long-running service.
//
// Start-up: load config (78 on error) → open + migrate the DB (1 on error) →
// build jobs from every registered JobProvider → optional HTTP listener →
// READY=1. Then the scheduler loop runs on the main thread, signals are
// handled on their own thread (signals.h), and a supervisor thread pings the
// watchdog (only while Scheduler::progressing()) and refreshes STATUS=.
// SIGTERM/SIGINT: STOPPING=1, no new work, running jobs get `shutdown_grace`
// to finish their page/post; anything still running then is abandoned (its
// transaction rolls back, an in-flight post's lease expires) and the process
// exits 0. SIGHUP: reload; see ConfigHolder / docs/operations.md.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "config/config.h"

namespace cwsync::daemon {

class Context;

// The current config, swapped whole on a successful reload. Thread-safe.
class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const Config> config) : config_(std::move(config)) {}
  std::shared_ptr<const Config> get() const {
    std::lock_guard lock(mu_);
    return config_;
  }
  void set(std::shared_ptr<const Config> config) {
    std::lock_guard lock(mu_);
    config_ = std::move(config);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Config> config_;
};

struct RunOptions {
  bool allow_remote_http = false;                 // --allow-remote-http
  std::chrono::milliseconds shutdown_grace{7000};  // SIGTERM → exit well under 10 s
  std::chrono::milliseconds status_interval{10000};  // STATUS= refresh
  int workers = 4;                                 // pull lane
  int queue_workers = 2;                           // queue lane
};

// Runs the daemon until SIGTERM/SIGINT. Returns the exit code: 0 after a
// clean stop, kExitConfig (78) for config errors, 1 for anything else.
// Must be called on the main thread before any other thread exists.
int run_daemon(const Context& ctx, const RunOptions& options);

// "acme: quotes=5m opportunities=5m reconcile=24h queue=10s; beta: ..."
// (logged by config_reloaded so an interval change is visible).
std::string describe_intervals(const Config& config);

}  // namespace cwsync::daemon
