// The API clients of one tenant, built from its config: a CPQ ApiClient and a
// PSA ApiClient + PsaEndpoint, all sharing the process-wide HttpClient,
// UpstreamRegistry (a rate budget per connection, a breaker per host), Waiter
// and Clock. The CPQ puller, the opportunity puller and the PSA drainer all take
// their clients from here, so no one builds auth or limits by hand.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "config/config.h"
#include "sync/http/api_client.h"
#include "sync/http/backoff.h"
#include "sync/http/http_client.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/psa_provider.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync {

// Process-wide collaborators. Everything referenced must outlive the clients.
struct SyncEnvironment {
  HttpClient& http;
  UpstreamRegistry& hosts;
  Waiter& waiter;
  const Clock& clock;
  UniformRandom random;  // backoff jitter
};

class TenantClients {
 public:
  // Copies what it needs from `defaults` and `tenant`. Never fails: URL
  // problems surface as errors from the first request.
  TenantClients(const Defaults& defaults, const Tenant& tenant, const SyncEnvironment& env);
  TenantClients(const TenantClients&) = delete;
  TenantClients& operator=(const TenantClients&) = delete;

  const std::string& tenant() const { return tenant_; }

  // The CPQ client, or nullptr when the tenant has no cpq connection.
  ApiClient* cpq() { return cpq_.get(); }
  // "https://sellapi.quosalsell.com/api" (no trailing slash); "" without cpq.
  const std::string& cpq_api_base() const { return cpq_api_base_; }

  // The tenant's PSA behind the vendor-neutral interface, or nullptr when it
  // has no psa connection. What the queue, the pulls and `check` use.
  PsaProvider* psa_provider() { return psa_provider_.get(); }

  // ConnectWise only: the PSA endpoint (codebase-resolving, relative URLs),
  // or nullptr (no psa connection, or another provider).
  PsaEndpoint* psa() { return psa_endpoint_.get(); }
  // The PSA client underneath (absolute URLs), or nullptr.
  ApiClient* psa_client() { return psa_.get(); }
  // Autotask only: the zone-resolving query endpoint, or nullptr.
  AutotaskEndpoint* autotask() { return autotask_.get(); }

 private:
  std::string tenant_;
  std::unique_ptr<ApiClient> cpq_;
  std::string cpq_api_base_;
  std::unique_ptr<ApiClient> psa_;
  std::unique_ptr<PsaEndpoint> psa_endpoint_;
  std::unique_ptr<AutotaskEndpoint> autotask_;
  std::unique_ptr<PsaProvider> psa_provider_;
};

// The rate budget a connection draws from: "budget:NAME" for an explicit
// `budget:`, else derived from the API, host and credential identity
// ("cpq sellapi.quosalsell.com:443 acme+8f7a..."), so connections that use
// the same key on the same host share a budget, as the upstream counts them.
// Never contains a secret.
std::string budget_key(const CpqConnection& conn);
std::string budget_key(const PsaConnection& conn);

// Applies `config`'s host ceilings and budget limits to `registry` (each
// budget gets the stricter limit of the connections that share it). Call at
// start and after every reload, before building clients.
void configure_upstreams(UpstreamRegistry& registry, const Config& config);

}  // namespace cwsync
