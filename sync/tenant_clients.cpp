#include "sync/tenant_clients.h"

#include "sync/auth.h"

namespace cwsync {
namespace {

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

TenantClients::TenantClients(const Defaults& defaults, const Tenant& tenant,
                             const SyncEnvironment& env)
    : tenant_(tenant.name) {
  if (tenant.cpq) {
    const CpqConnection& conn = *tenant.cpq;
    // The base URL is configurable because the simulator (and ConnectWise
    // support) use other hosts; paths are always /api/...
    cpq_api_base_ = without_trailing_slash(conn.base_url) + "/api";
    ApiClient::Deps deps{env.http, std::make_shared<CpqAuth>(conn),
                         env.hosts.get(host_key(conn.base_url), conn.rate_limit,
                                       defaults.breaker),
                         env.waiter, env.clock, env.random};
    cpq_ = std::make_unique<ApiClient>(
        api_client_options(defaults, "cpq", tenant.name, conn.allow_insecure), std::move(deps));
  }
  if (tenant.psa) {
    const PsaConnection& conn = *tenant.psa;
    // Pulls and posts of one PSA host share its limiter through the registry.
    std::string origin = psa_api_origin(conn.site);
    ApiClient::Deps deps{env.http, std::make_shared<PsaAuth>(conn),
                         env.hosts.get(host_key(origin.empty() ? conn.site : origin),
                                       conn.rate_limit, defaults.breaker),
                         env.waiter, env.clock, env.random};
    psa_ = std::make_unique<ApiClient>(
        api_client_options(defaults, "psa", tenant.name, conn.allow_insecure), std::move(deps));
    psa_endpoint_ = std::make_unique<PsaEndpoint>(conn, *psa_);
  }
}

}  // namespace cwsync
