// Signal handling on a dedicated thread.
//
// block_daemon_signals() must run in main() before any thread starts, so every
// thread inherits the mask and SIGTERM/SIGINT/SIGHUP are only ever seen by
// the SignalThread (through a signalfd), never by a random worker. The
// handler therefore runs as ordinary code, not in signal context: it may lock,
// log and load files.
#pragma once

#include <functional>
#include <thread>

namespace cwsync::daemon {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and ignores
// SIGPIPE (a peer closing a socket must not kill the daemon) and SIGXFSZ (a
// file size limit must fail the write, not kill the daemon).
void block_daemon_signals();

class SignalThread {
 public:
  // Starts a thread that calls on_signal(signo) for every SIGTERM, SIGINT and
  // SIGHUP, one at a time. Throws std::system_error if the signalfd cannot
  // be created (start-up only).
  explicit SignalThread(std::function<void(int)> on_signal);
  // Stops and joins the thread.
  ~SignalThread();
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

 private:
  void loop();
  std::function<void(int)> on_signal_;
  int signal_fd_ = -1;
  int wake_fd_ = -1;   // eventfd written by the destructor
  std::thread thread_;
};

}  // namespace cwsync::daemon
