// HTTP clients for the daemon's jobs and the one-shot commands, built with
// the config's timeouts so every caller agrees on them.
#pragma once

#include <memory>

#include "config/config.h"
#include "sync/http/http_client.h"

namespace cwsync::daemon {

// A keep-alive client with `defaults.http`'s connect and read timeouts.
std::unique_ptr<HttpClient> make_http_client(const Defaults& defaults);

}  // namespace cwsync::daemon
