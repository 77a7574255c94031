#include "daemon/http_clients.h"

#include "sync/http_poco.h"

namespace cwsync::daemon {

std::unique_ptr<HttpClient> make_http_client(const Defaults& defaults) {
  PocoHttpOptions o;
  o.connect_timeout = defaults.http.connect;
  o.read_timeout = defaults.http.read;
  return make_poco_http_client(o);
}

HttpClient& LazyHttpClient::get(const Defaults& defaults) {
  std::lock_guard lk(mu_);
  if (!client_) client_ = make_http_client(defaults);
  return *client_;
}

}  // namespace cwsync::daemon
