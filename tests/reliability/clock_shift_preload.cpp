// An LD_PRELOAD shim for the fault matrix's "clock jumps backwards" row.
//
// cwsync reads wall time through std::chrono::system_clock (clock_gettime),
// Poco and spdlog (clock_gettime) and SQLite (gettimeofday); it has no
// process-level clock to inject. This shim shifts CLOCK_REALTIME as seen by
// one process, the way an NTP step or a VM restore moves it, while
// CLOCK_MONOTONIC keeps running untouched. The shift, in whole seconds (a
// native int64), is read from the file named by CWSYNC_CLOCK_SHIFT_FILE,
// mapped shared, so the test moves the clock of the running daemon by
// rewriting that file. Without the variable the shim changes nothing.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace {

using ClockGettime = int (*)(clockid_t, timespec*);

ClockGettime real_clock_gettime = nullptr;
const std::int64_t* shift_seconds = nullptr;

ClockGettime resolve_real() {
  if (real_clock_gettime == nullptr) {
    real_clock_gettime = reinterpret_cast<ClockGettime>(dlsym(RTLD_NEXT, "clock_gettime"));
  }
  return real_clock_gettime;
}

__attribute__((constructor)) void map_shift_file() {
  resolve_real();
  const char* path = std::getenv("CWSYNC_CLOCK_SHIFT_FILE");
  if (path == nullptr) return;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  void* p = mmap(nullptr, sizeof(std::int64_t), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p != MAP_FAILED) shift_seconds = static_cast<const std::int64_t*>(p);
}

std::int64_t current_shift() {
  return shift_seconds == nullptr ? 0 : __atomic_load_n(shift_seconds, __ATOMIC_RELAXED);
}

bool is_wall_clock(clockid_t id) { return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE; }

}  // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts) noexcept {
  ClockGettime real = resolve_real();
  if (real == nullptr) return -1;
  const int rc = real(id, ts);
  if (rc == 0 && is_wall_clock(id)) ts->tv_sec += static_cast<time_t>(current_shift());
  return rc;
}

extern "C" int gettimeofday(timeval* __restrict tv, void* __restrict /*tz*/) noexcept {
  timespec ts{};
  const int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0) {  // glibc declares tv nonnull
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = static_cast<suseconds_t>(ts.tv_nsec / 1000);
  }
  return rc;
}

extern "C" time_t time(time_t* out) noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out != nullptr) *out = ts.tv_sec;
  return ts.tv_sec;
}
