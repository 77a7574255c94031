#include "sync/http/http_poco.h"

#include <algorithm>
#include <atomic>
#include <istream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/InflatingStream.h>
#include <Poco/MemoryStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "sync/http/fast_page.h"

namespace cwsync {
namespace {

using Session = Poco::Net::HTTPClientSession;

std::atomic<std::size_t> tls_contexts_made{0};

Poco::Timespan to_span(Millis ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

// Poco reports certificate problems through SSLManager's process-wide
// handler; without one it consults a Poco::Util::Application that we do not
// have. Install a handler that rejects, once.
void init_tls_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(
        new Poco::Net::RejectCertificateHandler(/*server=*/false));
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, nullptr);
  });
}

Poco::Net::Context::Ptr make_tls_context(const std::string& ca_location) {
  init_tls_once();
  try {
    Poco::Net::Context::Params params;
    params.caLocation = ca_location;
    params.loadDefaultCAs = ca_location.empty();
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;  // client: verify the peer
    params.verificationDepth = 9;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                          Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    return ctx;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot create TLS context (ca_location '" + ca_location +
                             "'): " + e.displayText());
  }
}

enum class Phase { kSending, kReceiving };

Error transport_error(ErrorKind kind, std::string message, const HttpRequest& req, bool sent) {
  Error e = make_error(kind, std::move(message), request_context(req.method, req.url));
  e.ambiguous = sent;
  return e;
}

// Maps a Poco exception to our vocabulary. Order matters: the most specific
// classes first (SSLConnectionUnexpectedlyClosed is an SSLException, DNS
// failures are NetExceptions).
Error classify_exception(const Poco::Exception& ex, Phase phase, const HttpRequest& req,
                         Millis connect_timeout, Millis read_timeout) {
  const bool sent = phase == Phase::kReceiving;
  const std::string detail = ex.displayText();
  if (dynamic_cast<const Poco::TimeoutException*>(&ex)) {
    return transport_error(
        ErrorKind::kTimeout,
        sent ? "no response within the read timeout (" + std::to_string(read_timeout.count()) +
                   " ms)"
             : "timed out connecting or sending (connect timeout " +
                   std::to_string(connect_timeout.count()) + " ms)",
        req, sent);
  }
  if (dynamic_cast<const Poco::Net::SSLException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "TLS error: " + detail, req, sent);
  }
  if (dynamic_cast<const Poco::Net::DNSException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "DNS lookup failed: " + detail, req, false);
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "connection refused", req, false);
  }
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&ex) ||
      dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "connection reset: " + detail, req, sent);
  }
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "connection closed without a response", req,
                           sent);
  }
  if (dynamic_cast<const Poco::Net::MessageException*>(&ex)) {
    return transport_error(ErrorKind::kNetwork, "invalid HTTP response: " + detail, req, sent);
  }
  return transport_error(ErrorKind::kNetwork, "network error: " + detail, req, sent);
}

// What a gzip member says its decoded size is (ISIZE, the last 4 bytes, mod
// 2^32), trusted only as a capacity hint up to `limit` and 64x the compressed
// size: reserving it saves growing the body by doubling (copies, and two
// buffers alive at once).
std::size_t gzip_size_hint(const std::string& gz, std::size_t limit) {
  if (gz.size() < 18) return 0;
  const auto* tail = reinterpret_cast<const unsigned char*>(gz.data() + gz.size() - 4);
  const std::size_t isize = tail[0] | (tail[1] << 8) | (tail[2] << 16) |
                            (static_cast<std::size_t>(tail[3]) << 24);
  return std::min({isize, limit, gz.size() * 64});
}

// Reads at most `limit` bytes; false when the stream holds more. Errors in
// the stream buffer (timeouts, resets, zlib errors) propagate as exceptions
// instead of silently ending the body early.
bool read_limited(std::istream& in, std::size_t limit, std::string& out) {
  in.exceptions(std::ios::badbit);
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    const auto n = static_cast<std::size_t>(in.gcount());
    if (out.size() + n > limit) return false;
    out.append(buf, n);
  }
  return true;
}

class PocoHttpClient final : public HttpClient {
 public:
  // Only the CA location is checked here: the TLS context is made by the
  // first https request (tls_context()).
  explicit PocoHttpClient(const PocoHttpOptions& options) : options_(options) {
    if (!options.ca_location.empty() && !Poco::File(options.ca_location).exists()) {
      throw std::runtime_error("cannot create TLS context (ca_location '" + options.ca_location +
                               "'): no such file or directory");
    }
  }

  Result<HttpResponse> send(const HttpRequest& req) override;

 private:
  struct Target {
    std::string scheme, host;
    unsigned short port = 0;
    std::string key() const { return scheme + "://" + host + ":" + std::to_string(port); }
  };

  Result<std::unique_ptr<Session>> checkout(const Target& t);
  Result<Poco::Net::Context::Ptr> tls_context();
  void checkin(const Target& t, std::unique_ptr<Session> session);
  Result<HttpResponse> exchange(Session& session, const HttpRequest& req,
                                const std::string& path, bool& reusable);

  PocoHttpOptions options_;
  std::mutex mu_;
  // Made on first use: a process that talks plain http only (to cwsim, to a
  // local proxy) never initialises OpenSSL nor reads the CA store, which
  // is ~3 MB of its resident memory. Guarded by mu_.
  Poco::Net::Context::Ptr tls_;
  std::map<std::string, std::vector<std::unique_ptr<Session>>> idle_;
};

Result<Poco::Net::Context::Ptr> PocoHttpClient::tls_context() {
  std::lock_guard lock(mu_);
  if (!tls_) {
    try {
      tls_ = make_tls_context(options_.ca_location);
      tls_contexts_made.fetch_add(1);
    } catch (const std::runtime_error& e) {
      return make_error(ErrorKind::kConfig, e.what());
    }
  }
  return tls_;
}

Result<std::unique_ptr<Session>> PocoHttpClient::checkout(const Target& t) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(t.key());
    if (it != idle_.end() && !it->second.empty()) {
      auto s = std::move(it->second.back());
      it->second.pop_back();
      return s;
    }
  }
  std::unique_ptr<Session> s;
  if (t.scheme == "https") {
    auto tls = tls_context();
    if (!tls.ok()) return tls.error();
    s = std::make_unique<Poco::Net::HTTPSClientSession>(t.host, t.port, *tls);
  } else {
    s = std::make_unique<Session>(t.host, t.port);
  }
  s->setKeepAlive(true);
  s->setKeepAliveTimeout(to_span(options_.keep_alive_idle));
  return s;
}

void PocoHttpClient::checkin(const Target& t, std::unique_ptr<Session> session) {
  std::lock_guard lock(mu_);
  auto& pool = idle_[t.key()];
  if (pool.size() < options_.max_idle_per_host) pool.push_back(std::move(session));
}

Result<HttpResponse> PocoHttpClient::send(const HttpRequest& req) {
  if (auto ok = check_url_allowed(req.url, req.allow_insecure); !ok) return ok.error();
  Target target;
  std::string path;
  try {
    Poco::URI uri(req.url);
    target.scheme = Poco::toLower(uri.getScheme());
    target.host = uri.getHost();
    target.port = uri.getPort();
    path = uri.getPathAndQuery();
    if (path.empty()) path = "/";
  } catch (const Poco::Exception&) {
    return make_error(ErrorKind::kInvalidInput, "not a valid URL", redact_url(req.url));
  }

  auto checked_out = checkout(target);
  if (!checked_out.ok()) {
    Error e = checked_out.error();
    e.context = request_context(req.method, req.url);
    return e;
  }
  std::unique_ptr<Session> session = std::move(*checked_out);
  const Millis connect_timeout = req.connect_timeout.value_or(options_.connect_timeout);
  const Millis read_timeout = req.read_timeout.value_or(options_.read_timeout);
  session->setTimeout(to_span(connect_timeout), to_span(read_timeout), to_span(read_timeout));

  bool reusable = false;
  auto result = exchange(*session, req, path, reusable);
  if (reusable) checkin(target, std::move(session));
  return result;
}

Result<HttpResponse> PocoHttpClient::exchange(Session& session, const HttpRequest& req,
                                              const std::string& path, bool& reusable) {
  Phase phase = Phase::kSending;
  const Millis connect_timeout = req.connect_timeout.value_or(options_.connect_timeout);
  const Millis read_timeout = req.read_timeout.value_or(options_.read_timeout);
  try {
    Poco::Net::HTTPRequest preq(req.method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    preq.setKeepAlive(true);
    for (const auto& [name, value] : req.headers.fields()) preq.add(name, value);
    if (!req.headers.contains("Accept-Encoding")) preq.set("Accept-Encoding", "gzip");
    if (!req.headers.contains("User-Agent")) preq.set("User-Agent", "cwsync/" CWSYNC_VERSION);
    const bool has_body = !req.body.empty() || req.method == "POST" || req.method == "PUT" ||
                          req.method == "PATCH";
    if (has_body) preq.setContentLength(static_cast<std::streamsize>(req.body.size()));

    std::ostream& out = session.sendRequest(preq);
    if (has_body) out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
    out.flush();
    if (!out.good()) {
      return transport_error(ErrorKind::kNetwork, "connection failed while sending", req, false);
    }
    phase = Phase::kReceiving;

    Poco::Net::HTTPResponse presp;
    std::istream& in = session.receiveResponse(presp);
    std::string raw;
    if (presp.hasContentLength() && presp.getContentLength64() > 0) {
      // A capacity hint only (a lying header costs at most 64 MiB of address space).
      // Plus the bytes simdjson reads past the end (parse_fast_page): with
      // them the body is parsed in place, not copied.
      raw.reserve(std::min({static_cast<std::size_t>(presp.getContentLength64()),
                            options_.max_body_bytes, std::size_t{64} << 20}) +
                  kJsonPadding);
    }
    if (!read_limited(in, options_.max_body_bytes, raw)) {
      return transport_error(ErrorKind::kMalformed, "response body larger than the limit", req,
                             true);
    }
    if (presp.hasContentLength() &&
        static_cast<std::int64_t>(raw.size()) != presp.getContentLength64() &&
        req.method != "HEAD") {
      return transport_error(ErrorKind::kNetwork,
                             "response truncated: got " + std::to_string(raw.size()) + " of " +
                                 std::to_string(presp.getContentLength64()) + " bytes",
                             req, true);
    }

    HttpResponse resp;
    resp.status = static_cast<int>(presp.getStatus());
    for (const auto& [name, value] : presp) resp.headers.add(name, value);
    const std::string encoding = Poco::toLower(presp.get("Content-Encoding", ""));
    if (encoding == "gzip" || encoding == "x-gzip") {
      // Read in place: a copy of the compressed bytes is not needed.
      Poco::MemoryInputStream compressed(raw.data(), static_cast<std::streamsize>(raw.size()));
      Poco::InflatingInputStream inflater(compressed, Poco::InflatingStreamBuf::STREAM_GZIP);
      resp.body.reserve(gzip_size_hint(raw, options_.max_body_bytes) + kJsonPadding);
      try {
        if (!read_limited(inflater, options_.max_body_bytes, resp.body)) {
          return transport_error(ErrorKind::kMalformed, "decoded body larger than the limit", req,
                                 true);
        }
      } catch (const Poco::Exception& e) {
        return transport_error(ErrorKind::kMalformed, "corrupt gzip body: " + e.displayText(),
                               req, true);
      }
    } else {
      resp.body = std::move(raw);
    }
    resp.sent = true;
    reusable = presp.getKeepAlive();
    return resp;
  } catch (const Poco::Exception& e) {
    session.reset();
    return classify_exception(e, phase, req, connect_timeout, read_timeout);
  } catch (const std::exception& e) {
    session.reset();
    return transport_error(ErrorKind::kNetwork, std::string("network error: ") + e.what(), req,
                           phase == Phase::kReceiving);
  }
}

}  // namespace

std::unique_ptr<HttpClient> make_poco_http_client(const PocoHttpOptions& options) {
  return std::make_unique<PocoHttpClient>(options);
}

std::size_t poco_tls_contexts_made() { return tls_contexts_made.load(); }

}  // namespace cwsync
