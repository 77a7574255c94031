// Test helpers for running the real `cwsync` binary: a child process with
// captured output and signals, and a NOTIFY_SOCKET stand-in for systemd.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cwsync::test {

// The cwsync executable under test (compiled in from $<TARGET_FILE:cwsync>).
std::string cwsync_binary();

// Polls `pred` every `poll` until it holds or `timeout` (real time) passes;
// returns its last value. For waiting on another process.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(50)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

// One child process. stdout/stderr go to files in `dir`. The environment is
// the test's own minus NOTIFY_SOCKET/WATCHDOG_*, plus `env`.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& dir,
               const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Exit code (128+N when killed by signal N), or nullopt if still running
  // after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;
  // Waits until a stdout line contains every needle; returns that line.
  std::optional<std::string> wait_for_line(const std::vector<std::string>& needles,
                                           std::chrono::milliseconds timeout,
                                           size_t skip_lines = 0) const;
  // Number of complete stdout lines so far (for wait_for_line's skip_lines).
  size_t line_count() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_, err_;
};

struct RunResult {
  int code = -1;
  std::string out, err;
};

// Runs cwsync with `args` to completion (bounded by `timeout`; fails the
// test on timeout).
RunResult run_cwsync(const std::vector<std::string>& args, const std::filesystem::path& dir,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A unix datagram socket like systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path);
  ~NotifySocket();
  const std::string& path() const { return path_; }
  // Next datagram, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Receives until a datagram has a line equal to `line`; every datagram
  // received goes into `seen`. False on timeout.
  bool wait_for(const std::string& line, std::chrono::milliseconds timeout,
                std::vector<std::string>* seen = nullptr);

 private:
  int fd_ = -1;
  std::string path_;
};

// Writes `text` to `path` with mode 0600 (configs holding inline secrets).
void write_private_file(const std::filesystem::path& path, const std::string& text);

}  // namespace cwsync::test
