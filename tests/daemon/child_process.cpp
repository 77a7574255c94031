#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      lines.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return lines;  // a trailing partial line is not complete yet
}

}  // namespace

std::string cwsync_binary() { return CWSYNC_BINARY; }

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& dir,
                           const std::map<std::string, std::string>& env) {
  static int counter = 0;
  int n = ++counter;
  out_ = dir / ("child" + std::to_string(n) + ".out");
  err_ = dir / ("child" + std::to_string(n) + ".err");

  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    if (key == "NOTIFY_SOCKET" || key.rfind("WATCHDOG_", 0) == 0 || env.count(key)) continue;
    envs.push_back(kv);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<std::string> argv_s{cwsync_binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : envs) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("cannot create output files");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    // The test runner may block signals; the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
}

void ChildProcess::signal(int signo) const {
  if (!status_) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (status_) return status_;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = decode(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string ChildProcess::out() const { return slurp(out_); }
std::string ChildProcess::err() const { return slurp(err_); }

size_t ChildProcess::line_count() const { return split_lines(out()).size(); }

std::optional<std::string> ChildProcess::wait_for_line(const std::vector<std::string>& needles,
                                                       std::chrono::milliseconds timeout,
                                                       size_t skip_lines) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto lines = split_lines(out());
    for (size_t i = skip_lines; i < lines.size(); ++i) {
      bool all = true;
      for (const auto& n : needles) all = all && lines[i].find(n) != std::string::npos;
      if (all) return lines[i];
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

RunResult run_cwsync(const std::vector<std::string>& args, const std::filesystem::path& dir,
                     std::chrono::milliseconds timeout) {
  ChildProcess child(args, dir);
  auto code = child.wait(timeout);
  RunResult r;
  r.out = child.out();
  r.err = child.err();
  if (!code) {
    ADD_FAILURE() << "cwsync did not finish in time: " << ::testing::PrintToString(args);
    return r;
  }
  r.code = *code;
  return r;
}

NotifySocket::NotifySocket(const std::filesystem::path& path) : path_(path.string()) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error(std::string("bind failed: ") + std::strerror(errno));
  }
}

NotifySocket::~NotifySocket() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[4096];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

bool NotifySocket::wait_for(const std::string& line, std::chrono::milliseconds timeout,
                            std::vector<std::string>* seen) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    auto msg = receive(left);
    if (!msg) return false;
    if (seen != nullptr) seen->push_back(*msg);
    std::istringstream in(*msg);
    std::string l;
    while (std::getline(in, l)) {
      if (l == line) return true;
    }
  }
}

void write_private_file(const std::filesystem::path& path, const std::string& text) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), 0600);
}

}  // namespace cwsync::test
