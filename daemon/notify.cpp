#include "daemon/notify.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include <systemd/sd-daemon.h>

#include "base/log.h"

namespace cwsync::daemon {

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // unset_environment=0: the variables stay for a re-exec and for tests.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 1));
  }
}

bool Notifier::send(const std::string& state) const {
  if (!enabled_) return false;
  int r = sd_notify(0, state.c_str());
  if (r < 0) {
    log::warn("sd_notify_failed").field("errno", -r).msg("could not reach NOTIFY_SOCKET");
  }
  return r > 0;
}

void Notifier::ready() const { send("READY=1"); }

void Notifier::status(std::string_view line) const {
  std::string clean;
  clean.reserve(line.size());
  for (char c : line) clean += (c == '\n' || c == '\r') ? ' ' : c;
  send("STATUS=" + clean);
}

void Notifier::watchdog() const { send("WATCHDOG=1"); }
void Notifier::stopping() const { send("STOPPING=1"); }
void Notifier::reloading() const { send("RELOADING=1"); }

}  // namespace cwsync::daemon
