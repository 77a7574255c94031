// HTTP clients for the daemon's jobs and the one-shot commands, built with
// the config's timeouts so every caller agrees on them.
#pragma once

#include <memory>
#include <mutex>

#include "config/config.h"
#include "sync/http_client.h"

namespace cwsync::daemon {

// A keep-alive client with `defaults.http`'s connect and read timeouts.
std::unique_ptr<HttpClient> make_http_client(const Defaults& defaults);

// One keep-alive client shared by all the jobs of a provider. It is built on
// first use with the timeouts of the config at that moment, so a reload that
// changes timeouts takes effect on restart. Thread-safe.
class LazyHttpClient {
 public:
  HttpClient& get(const Defaults& defaults);

 private:
  std::mutex mu_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace cwsync::daemon
