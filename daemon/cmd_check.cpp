// `cwsync check [--tenant T] [--json]`: one live call to each configured API
// per tenant, answered in plain words, as the CPQ setup guide's
// troubleshooting table does (401 keys, 403 licence/role, 404 access key or
// company id, 429 throttled, 502-504 unavailable, TLS, DNS, timeouts). Exit 0 when every call succeeded, else 1.
// It never retries: an operator running it wants the first answer, fast.
#include <chrono>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "daemon/command.h"
#include "daemon/http_clients.h"
#include "sync/cpq/cpq_auth.h"
#include "sync/http/backoff.h"
#include "sync/sync_pass.h"
#include "sync/tenant_clients.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon {
namespace {

struct CheckArgs {
  std::string tenant;
  bool json = false;
};

struct Probe {
  std::string tenant;
  std::string api;       // "cpq" | "psa" | "autotask"
  std::string endpoint;  // what was called, without secrets
  bool ok = false;
  int http_status = 0;
  std::int64_t duration_ms = 0;
  std::string detail;     // codebase / version on success, the error otherwise
  std::string diagnosis;  // plain words: what to fix
};

// Seconds, rounded up, for a Retry-After shown to a person.
std::string whole_seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 999) / 1000) + " s";
}

// Failures the vendors' account diagnoses (401, 403, 404) do not cover: the
// transport, and an upstream that is busy or down. A throttled check is
// common while the daemon syncs with the same keys, so it says so rather than
// leaving the operator with a bare "HTTP 429".
std::string transport_diagnosis(const Error& e) {
  if (e.http_status == 429) {
    std::string words = "the API is rate-limiting these keys (HTTP 429)";
    if (e.retry_after) words += "; it asked to wait " + whole_seconds(*e.retry_after);
    return words + ". Another client with the same keys, or this daemon's own sync, may be "
                   "using the budget: run check again later, and lower the tenant's "
                   "rate_limit if it happens during every sync";
  }
  if (e.http_status == 502 || e.http_status == 503 || e.http_status == 504) {
    std::string words = "the service answered HTTP " + std::to_string(e.http_status) +
                        ": it or a gateway in front of it is unavailable";
    if (e.retry_after) words += " (it asked to wait " + whole_seconds(*e.retry_after) + ")";
    return words + ". Nothing to change here; the daemon waits and retries. Check the "
                   "vendor's status page if it lasts";
  }
  const std::string& m = e.message;
  if (m.rfind("TLS error", 0) == 0) {
    return "the TLS handshake failed: the server certificate could not be verified. If a proxy "
           "or firewall inspects HTTPS, install its CA on this host (update-ca-certificates); "
           "never turn verification off";
  }
  if (m.rfind("DNS lookup failed", 0) == 0) {
    return "the host name does not resolve: check base_url/site for typos and this host's DNS";
  }
  if (m == "connection refused") {
    return "nothing listens at that address: check the URL's host and port, and any proxy";
  }
  if (e.kind == ErrorKind::kTimeout) {
    return "no answer in time: a firewall may drop the traffic, or the service is down; "
           "check outbound HTTPS from this host";
  }
  return {};
}

template <typename Fn>
Probe timed_probe(const std::string& tenant, const std::string& api, std::string endpoint,
                  Fn&& call) {
  Probe p;
  p.tenant = tenant;
  p.api = api;
  p.endpoint = std::move(endpoint);
  auto start = std::chrono::steady_clock::now();
  call(p);
  p.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  return p;
}

// `account_problem`: the upstream's own words for `e` ("" when it is not an
// account problem); transport failures get the generic words.
void record_failure(Probe& p, const Error& e, const std::string& account_problem) {
  p.ok = false;
  p.http_status = e.http_status;
  p.detail = e.describe();
  p.diagnosis = account_problem.empty() ? transport_diagnosis(e) : account_problem;
}

Probe check_cpq(TenantClients& clients) {
  return timed_probe(clients.tenant(), "cpq", "GET /api/quotes?pageSize=1", [&](Probe& p) {
    auto r = clients.cpq()->get_json(clients.cpq_api_base() + "/quotes?page=1&pageSize=1&includeFields=id",
                                     single_attempt("check"));
    if (!r.ok()) return record_failure(p, r.error(), diagnose_cpq(r.error()));
    p.ok = r->is_array();
    p.http_status = 200;
    p.detail = p.ok ? "quotes readable" : "the answer was not a list of quotes";
    if (!p.ok) p.diagnosis = "base_url does not point at the CPQ (Sell) API";
  });
}

Probe check_psa(TenantClients& clients) {
  PsaProvider& psa = *clients.psa_provider();
  return timed_probe(clients.tenant(), psa.api(), psa.check_endpoint(), [&](Probe& p) {
    auto r = psa.check();
    if (!r.ok()) return record_failure(p, r.error(), psa.diagnose(r.error()));
    p.ok = true;
    p.http_status = 200;
    p.endpoint = r->endpoint;
    p.detail = r->detail;
  });
}

nlohmann::json probe_json(const Probe& p) {
  nlohmann::json j{{"tenant", p.tenant},   {"api", p.api},
                   {"endpoint", p.endpoint}, {"ok", p.ok},
                   {"duration_ms", p.duration_ms}, {"detail", p.detail}};
  j["http_status"] = p.http_status == 0 ? nlohmann::json() : nlohmann::json(p.http_status);
  j["diagnosis"] = p.diagnosis.empty() ? nlohmann::json() : nlohmann::json(p.diagnosis);
  return j;
}

void print_text(const Probe& p) {
  std::cout << p.tenant << " " << p.api << ": " << (p.ok ? "OK" : "FAILED") << " (" << p.endpoint;
  if (p.http_status != 0) std::cout << ", HTTP " << p.http_status;
  std::cout << ", " << p.duration_ms << " ms)\n  " << p.detail << "\n";
  if (!p.diagnosis.empty()) std::cout << "  what to check: " << p.diagnosis << "\n";
}

int run_check(const Context& ctx, const CheckArgs& args) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  Context::print_warnings(*cfg);
  if (!args.tenant.empty() && cfg->find_tenant(args.tenant) == nullptr) {
    std::cerr << "cwsync check: no tenant named '" << args.tenant << "' in the config\n";
    return kExitUsage;
  }

  auto http = make_http_client(cfg->defaults);
  UpstreamRegistry hosts;
  StopWaiter waiter;
  SyncEnvironment env{*http, hosts, waiter, SystemClock::instance(), default_random()};

  std::vector<Probe> probes;
  for (const Tenant& t : cfg->tenants) {
    if (!args.tenant.empty() && t.name != args.tenant) continue;
    TenantClients clients(cfg->defaults, t, env);
    if (clients.cpq() != nullptr) probes.push_back(check_cpq(clients));
    if (clients.psa_provider() != nullptr) probes.push_back(check_psa(clients));
  }

  bool all_ok = true;
  nlohmann::json report = nlohmann::json::array();
  for (const Probe& p : probes) {
    all_ok = all_ok && p.ok;
    if (args.json) report.push_back(probe_json(p));
    else print_text(p);
  }
  if (args.json) std::cout << report.dump(2) << "\n";
  return all_ok ? kExitOk : kExitFailure;
}

void register_check(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "one live call per configured API, diagnosis in plain words");
  cmd->add_option("--tenant", args->tenant, "only this tenant");
  cmd->add_flag("--json", args->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, args] { return run_check(ctx, *args); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(check, register_check);

}  // namespace cwsync::daemon
