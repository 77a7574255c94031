// systemd integration: sd_notify messages and the watchdog.
//
// Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op, so `cwsync
// run` behaves the same in a terminal. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cwsync::daemon {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled).
  Notifier();

  bool enabled() const { return enabled_; }
  // The ping period: half of WATCHDOG_USEC; nullopt when no watchdog is set
  // for this process.
  std::optional<std::chrono::milliseconds> watchdog_period() const { return watchdog_period_; }

  void ready() const;                            // READY=1
  void status(std::string_view line) const;      // STATUS=<line> (newlines dropped)
  void watchdog() const;                         // WATCHDOG=1
  void stopping() const;                         // STOPPING=1
  void reloading() const;                        // RELOADING=1
  // Sends raw `state` ("KEY=value\n..."). Returns false when it could not be
  // delivered (or no NOTIFY_SOCKET).
  bool send(const std::string& state) const;

 private:
  bool enabled_ = false;
  std::optional<std::chrono::milliseconds> watchdog_period_;
};

}  // namespace cwsync::daemon
