// Runs the built `cwsim` executable as a child process for a test:
//
//   cwsync::test::CwsimProcess sim({"--quotes", "500", "--seed", "7"});
//   std::string base = sim.base_url();   // "http://127.0.0.1:<port>"
//   ...                                  // destructor: SIGTERM, then SIGKILL
//
// The binary path is compiled in (CWSIM_PATH, the cwsim target's file).
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace cwsync::test {

class CwsimProcess {
 public:
  // Spawns cwsim with `args` (a --port is not needed: it binds an ephemeral
  // port) and waits up to `timeout` for the port line on its stdout. Throws
  // std::runtime_error when it fails to start in time.
  explicit CwsimProcess(const std::vector<std::string>& args = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~CwsimProcess();
  CwsimProcess(const CwsimProcess&) = delete;
  CwsimProcess& operator=(const CwsimProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // A config's `tenants:` list item: tenant "acme" with a cpq (when `cpq`)
  // and a psa connection to this simulator, with its default keys; the psa
  // key is given by `psa_key` (e.g. "private_key_file: psa-key").
  std::string tenant_yaml(bool cpq = true,
                          const std::string& psa_key = "private_key: cwsim-private") const;
  // SIGTERM and wait (up to 5 s, then SIGKILL). Returns the exit code, or
  // 128+signal. Idempotent; the destructor calls it.
  int stop();

  // Absolute path of the cwsim binary this build produced.
  static std::string binary_path();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
};

}  // namespace cwsync::test
