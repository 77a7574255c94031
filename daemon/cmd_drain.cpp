// `cwsync drain --once [--tenant T] [--json]`: delivers every due PSA post
// once per tenant, then exits (docs/operations.md). Runs migrations first. Exit 0 when
// every tenant drained (retries scheduled still count as ok), 1 when a tenant
// was paused by an auth failure or the database failed, 78 config.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "daemon/command.h"
#include "daemon/http_clients.h"
#include "storage/database.h"
#include "storage/queue_store.h"
#include "sync/http/backoff.h"
#include "sync/tenant_queue.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon {
namespace {

struct DrainArgs {
  bool once = false, json = false;
  std::string tenant;
};

int run_drain(const Context& ctx, const DrainArgs& a) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  std::vector<const Tenant*> tenants;
  for (const Tenant& t : cfg->tenants) {
    if (t.psa && (a.tenant.empty() || t.name == a.tenant)) tenants.push_back(&t);
  }
  if (tenants.empty()) {
    std::cerr << "cwsync drain: no tenant with a psa connection"
              << (a.tenant.empty() ? "" : " named '" + a.tenant + "'") << "\n";
    return kExitUsage;
  }
  auto db = open_writer(cfg->database, "drain");
  if (!db) return kExitFailure;
  storage::QueueStore store(*db);
  auto http = make_http_client(cfg->defaults);
  UpstreamRegistry hosts;
  StopWaiter waiter;
  SyncEnvironment env{*http, hosts, waiter, SystemClock::instance(), default_random()};

  bool all_ok = true;
  nlohmann::json report = nlohmann::json::array();
  for (const Tenant* t : tenants) {
    TenantQueue queue(cfg->defaults, *t, env, store);
    auto r = queue.drainer().drain_once();
    nlohmann::json line{{"tenant", t->name}, {"ok", r.ok() && !r->paused}};
    if (r.ok()) {
      line.update({{"claimed", r->claimed}, {"succeeded", r->succeeded},
                   {"deduplicated", r->deduplicated}, {"retried", r->retried}, {"dead", r->dead},
                   {"paused", r->paused}});
      if (r->paused) line["error"] = r->pause_reason;
    } else {
      line["error"] = r.error().describe();
    }
    all_ok = all_ok && line["ok"].get<bool>();
    if (a.json) {
      report.push_back(line);
    } else if (r.ok()) {
      std::cout << t->name << ": " << r->claimed << " claimed, " << r->succeeded << " delivered ("
                << r->deduplicated << " deduplicated), " << r->retried << " retrying, " << r->dead
                << " dead" << (r->paused ? ", PAUSED: " + r->pause_reason : "") << "\n";
    } else {
      std::cout << t->name << ": FAILED: " << r.error().describe() << "\n";
    }
  }
  if (a.json) std::cout << report.dump() << "\n";
  return all_ok ? kExitOk : kExitFailure;
}

void register_drain(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<DrainArgs>();
  auto* cmd = app.add_subcommand("drain", "deliver due PSA posts once, then exit");
  cmd->add_flag("--once", a->once, "one pass, then exit")->required();
  cmd->add_option("--tenant", a->tenant, "only this tenant");
  cmd->add_flag("--json", a->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, a] { return run_drain(ctx, *a); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(drain, register_drain);

}  // namespace cwsync::daemon
