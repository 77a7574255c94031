#include "daemon/signals.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "base/log.h"

namespace cwsync::daemon {
namespace {

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_daemon_signals() {
  sigset_t set = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  // A write past RLIMIT_FSIZE (LimitFSIZE=) must fail with EFBIG, which
  // SQLite reports as an error the jobs log, instead of killing the daemon
  // without a log line.
  sigaction(SIGXFSZ, &ignore, nullptr);
}

SignalThread::SignalThread(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigset_t set = daemon_signals();
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  if (signal_fd_ < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    int err = errno;
    close(signal_fd_);
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  thread_ = std::thread([this] { loop(); });
}

SignalThread::~SignalThread() {
  std::uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) < 0) {
    // Cannot happen for an eventfd below its maximum; nothing else to do.
  }
  if (thread_.joinable()) thread_.join();
  close(signal_fd_);
  close(wake_fd_);
}

void SignalThread::loop() {
  for (;;) {
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("signal_poll_failed").field("errno", errno).msg("signal thread exits");
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    signalfd_siginfo info{};
    ssize_t got = read(signal_fd_, &info, sizeof info);
    if (got != static_cast<ssize_t>(sizeof info)) continue;
    on_signal_(static_cast<int>(info.ssi_signo));
  }
}

}  // namespace cwsync::daemon
