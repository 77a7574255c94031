// A TLS listener on 127.0.0.1 with a freshly made self-signed certificate,
// for the fault matrix's TLS row. It only completes handshakes (a client
// that trusts the system CA store must refuse it: certificate verify
// failed); it serves no HTTP. cwsim has no TLS listener of its own.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace cwsync::test {

class TlsStub {
 public:
  // Generates a P-256 key and a self-signed certificate for CN and SAN
  // 127.0.0.1, and starts listening on an ephemeral port. Throws
  // std::runtime_error on failure.
  TlsStub();
  ~TlsStub();  // stops the thread, closes the socket
  TlsStub(const TlsStub&) = delete;
  TlsStub& operator=(const TlsStub&) = delete;

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  // Handshakes attempted so far.
  int handshakes() const { return handshakes_.load(); }

 private:
  struct Tls;
  void serve();

  std::unique_ptr<Tls> tls_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

}  // namespace cwsync::test
