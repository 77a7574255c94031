#include "cwsim_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cwsync::test {

std::string CwsimProcess::binary_path() { return CWSIM_PATH; }

std::string CwsimProcess::tenant_yaml(bool cpq, const std::string& psa_key) const {
  std::string y = "  - name: acme\n";
  if (cpq) {
    y += "    cpq:\n"
         "      base_url: " + base_url() + "\n"
         "      access_key: cwsim\n"
         "      public_key: cwsim-public\n"
         "      private_key: cwsim-private\n";
  }
  return y + "    psa:\n"
             "      site: " + base_url() + "\n"
             "      company_id: cwsim\n"
             "      public_key: cwsim-public\n"
             "      " + psa_key + "\n"
             "      client_id: 00000000-0000-0000-0000-000000000000\n";
}

CwsimProcess::CwsimProcess(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_store = {binary_path()};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  // fork + exec instead of posix_spawn, for PR_SET_PDEATHSIG: when the test
  // process dies without running destructors (an ASan abort, a crash), cwsim
  // dies with it instead of holding ctest's output pipe open until the
  // test's timeout.
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    dup2(fds[1], STDOUT_FILENO);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  const int rc = pid_ < 0 ? errno : 0;
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    pid_ = -1;
    throw std::runtime_error("cannot spawn " + binary_path());
  }

  // Read the first line (the port) within the deadline.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[64];
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    line.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  try {
    port_ = std::stoi(line);
  } catch (const std::exception&) {
    port_ = 0;
  }
  if (port_ <= 0) {
    stop();
    throw std::runtime_error("cwsim did not print its port (got '" + line + "')");
  }
}

CwsimProcess::~CwsimProcess() { stop(); }

int CwsimProcess::stop() {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return exit_code_;
}

}  // namespace cwsync::test
