#include "base/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>

namespace cwsync {
namespace {

struct CrashTarget {
  std::string name;
  long nth = 1;
};

std::optional<CrashTarget> read_target() {
  const char* raw = std::getenv("CWSYNC_CRASH_AT");
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  std::string_view spec(raw);
  CrashTarget t;
  auto colon = spec.find(':');
  t.name = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) {
    t.nth = std::strtol(std::string(spec.substr(colon + 1)).c_str(), nullptr, 10);
    if (t.nth < 1) t.nth = 1;
  }
  return t;
}

}  // namespace

void crash_point(std::string_view name) {
  static const std::optional<CrashTarget> target = read_target();
  if (!target || target->name != name) return;
  static std::atomic<long> reached{0};
  if (reached.fetch_add(1) + 1 == target->nth) ::kill(::getpid(), SIGKILL);
}

}  // namespace cwsync
