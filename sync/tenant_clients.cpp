#include "sync/tenant_clients.h"

#include <cctype>
#include <map>

#include "sync/http/auth.h"
#include "sync/cpq/cpq_auth.h"
#include "sync/autotask/at_auth.h"
#include "sync/autotask/at_concurrency.h"
#include "sync/autotask/at_errors.h"
#include "sync/autotask/at_provider.h"
#include "sync/connectwise/cw_provider.h"
#include "sync/connectwise/psa_auth.h"

namespace cwsync {
namespace {

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string psa_host_key(const PsaConnection& conn) {
  // Autotask: the pinned zone, or the lookup host until the zone is known
  // (then each call's own host, see the Autotask client below).
  if (conn.autotask) return host_key(conn.site);
  std::string origin = psa_api_origin(conn.site);
  return host_key(origin.empty() ? conn.site : origin);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
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
                         env.hosts.host(host_key(conn.base_url), defaults.breaker),
                         env.waiter, env.clock, env.random,
                         env.hosts.budget(budget_key(conn), conn.rate_limit)};
    cpq_ = std::make_unique<ApiClient>(
        api_client_options(defaults, "cpq", tenant.name, conn.allow_insecure), std::move(deps));
  }
  if (tenant.psa && tenant.psa->autotask) {
    const PsaConnection& conn = *tenant.psa;
    ApiClient::Deps deps{env.http, std::make_shared<AutotaskAuth>(conn),
                         env.hosts.host(psa_host_key(conn), defaults.breaker),
                         env.waiter, env.clock, env.random,
                         env.hosts.budget(budget_key(conn), conn.rate_limit)};
    // Shared with every other client of this API user (the queue job's, a
    // pull's), so together they keep within Autotask's 3 per endpoint.
    deps.gate = autotask_endpoint_slots(env.hosts, *conn.autotask);
    // Tenants found through one zone lookup host live in many zones: each
    // zone host gets its own breaker, ceiling and metrics, so an outage of
    // one zone does not stop the tenants of the others.
    UpstreamRegistry* hosts = &env.hosts;
    deps.host_of_url = [hosts, breaker = defaults.breaker](const std::string& url) {
      const std::string key = host_key(url);
      return key.empty() ? nullptr : hosts->host(key, breaker);
    };
    ApiClientOptions options =
        api_client_options(defaults, "autotask", tenant.name, conn.allow_insecure);
    options.refine_error = refine_autotask_error;
    psa_ = std::make_unique<ApiClient>(std::move(options), std::move(deps));
    // The zone and picklists outlive this job's clients (one lookup an hour,
    // not one per pull).
    autotask_ = std::make_unique<AutotaskEndpoint>(
        conn, *psa_,
        env.hosts.connection_state<AutotaskSharedState>(autotask_state_key(*conn.autotask)));
    psa_provider_ = std::make_unique<AutotaskProvider>(*autotask_, conn, env.clock,
                                                       tenant.queue.marker_format);
  } else if (tenant.psa) {
    const PsaConnection& conn = *tenant.psa;
    // The tenant's pulls and posts share its budget through the registry.
    ApiClient::Deps deps{env.http, std::make_shared<PsaAuth>(conn),
                         env.hosts.host(psa_host_key(conn), defaults.breaker),
                         env.waiter, env.clock, env.random,
                         env.hosts.budget(budget_key(conn), conn.rate_limit)};
    psa_ = std::make_unique<ApiClient>(
        api_client_options(defaults, "psa", tenant.name, conn.allow_insecure), std::move(deps));
    psa_endpoint_ = std::make_unique<PsaEndpoint>(
        conn, *psa_, env.hosts.connection_state<PsaCodebaseState>(psa_codebase_key(conn)));
    psa_provider_ = std::make_unique<ConnectWiseProvider>(*psa_endpoint_, env.clock,
                                                          tenant.queue.marker_format);
  }
}

std::string budget_key(const CpqConnection& conn) {
  if (!conn.budget.empty()) return "budget:" + conn.budget;
  return "cpq " + host_key(conn.base_url) + " " + conn.access_key + "+" + conn.public_key;
}

std::string budget_key(const PsaConnection& conn) {
  if (!conn.budget.empty()) return "budget:" + conn.budget;
  // Autotask limits per database; one API user belongs to one database.
  if (conn.autotask) return "autotask " + lower(conn.autotask->username);
  return "psa " + psa_host_key(conn) + " " + lower(conn.company_id) + "+" + conn.public_key;
}

void configure_upstreams(UpstreamRegistry& registry, const Config& config) {
  std::map<std::string, RateLimit> limits;
  auto add = [&limits](const std::string& key, const RateLimit& limit) {
    auto [it, fresh] = limits.emplace(key, limit);
    if (!fresh && stricter(limit, it->second)) it->second = limit;
  };
  for (const Tenant& t : config.tenants) {
    if (t.cpq) add(budget_key(*t.cpq), t.cpq->rate_limit);
    if (t.psa) add(budget_key(*t.psa), t.psa->rate_limit);
  }
  registry.configure_budgets(limits);
  registry.set_ceilings(config.hosts);
}

}  // namespace cwsync
