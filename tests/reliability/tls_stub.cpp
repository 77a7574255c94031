#include "tls_stub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace cwsync::test {

struct TlsStub::Tls {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  SSL_CTX* ctx = nullptr;
  ~Tls() {
    SSL_CTX_free(ctx);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("tls stub: ") + what);
}

// Valid now, for 127.0.0.1 by name and address: the only thing wrong with it
// is that nobody vouches for it.
X509* self_signed(EVP_PKEY* key) {
  X509* cert = X509_new();
  require(cert != nullptr, "X509_new");
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_version(cert, 2);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                            "IP:127.0.0.1");
  require(san != nullptr, "subjectAltName");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  require(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

}  // namespace

TlsStub::TlsStub() : tls_(std::make_unique<Tls>()) {
  tls_->key = EVP_EC_gen("P-256");
  require(tls_->key != nullptr, "EC key generation");
  tls_->cert = self_signed(tls_->key);
  tls_->ctx = SSL_CTX_new(TLS_server_method());
  require(tls_->ctx != nullptr, "SSL_CTX_new");
  require(SSL_CTX_use_certificate(tls_->ctx, tls_->cert) == 1, "use certificate");
  require(SSL_CTX_use_PrivateKey(tls_->ctx, tls_->key) == 1, "use key");

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  require(listen_fd_ >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  require(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  require(::listen(listen_fd_, 16) == 0, "listen");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  require(wake_fd_ >= 0, "eventfd");
  thread_ = std::thread([this] { serve(); });
}

TlsStub::~TlsStub() {
  const std::uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof one) < 0) {
    // An eventfd below its maximum always takes the write.
  }
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

// One connection at a time: each handshake ends in milliseconds (the client
// rejects the certificate), and a silent client is cut off after 2 s.
void TlsStub::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval limit{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    SSL* ssl = SSL_new(tls_->ctx);
    SSL_set_fd(ssl, fd);
    SSL_accept(ssl);  // fails when the client refuses the certificate: the point
    handshakes_.fetch_add(1);
    SSL_free(ssl);
    ::close(fd);
  }
}

}  // namespace cwsync::test
