#include "daemon/http_clients.h"

#include "sync/http/http_poco.h"

namespace cwsync::daemon {

std::unique_ptr<HttpClient> make_http_client(const Defaults& defaults) {
  PocoHttpOptions o;
  o.connect_timeout = defaults.http.connect;
  o.read_timeout = defaults.http.read;
  return make_poco_http_client(o);
}

}  // namespace cwsync::daemon
