// `cwsync sync --once [--tenant T] [--entity quotes|opportunities|tickets|reconcile]
// [--full] [--json]`: one pull pass, then exit (0 ok, 1 any failure).
// Without --entity it pulls quotes, then opportunities, then tickets (for
// tenants with tickets.enabled); reconcile runs only when asked for. Runs migrations first. A tenant whose credentials are
// refused (401/403/404) is skipped for the rest of the pass.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "daemon/command.h"
#include "daemon/http_clients.h"
#include "daemon/malloc_arenas.h"
#include "storage/database.h"
#include "sync/http/backoff.h"
#include "sync/sync_pass.h"
#include "sync/tenant_clients.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon {
namespace {

struct SyncArgs {
  bool once = false;
  std::string tenant;
  std::string entity;
  bool full = false;
  bool json = false;
};

int run_sync(const Context& ctx, const SyncArgs& args) {
  tune_malloc_for_one_shot();  // before the pull starts its helper threads
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  if (!args.once) {
    std::cerr << "cwsync sync: only --once is supported (the daemon is `cwsync run`)\n";
    return kExitUsage;
  }
  std::vector<PassEntity> entities{PassEntity::kQuotes, PassEntity::kOpportunities};
  if (!args.entity.empty()) {
    auto e = parse_pass_entity(args.entity);
    if (!e) {
      std::cerr << "cwsync sync: --entity must be quotes, opportunities, tickets or reconcile\n";
      return kExitUsage;
    }
    entities = {*e};
  }
  std::vector<const Tenant*> tenants;
  for (const Tenant& t : cfg->tenants) {
    if (args.tenant.empty() || t.name == args.tenant) tenants.push_back(&t);
  }
  if (tenants.empty()) {
    std::cerr << "cwsync sync: no tenant named '" << args.tenant << "' in the config\n";
    return kExitUsage;
  }

  auto db = open_writer(cfg->database, "sync");
  if (!db) return kExitFailure;
  auto lock = storage::DbLock::open(cfg->database);
  Status joined = lock.ok() ? join_syncers(*lock, *db) : Status(lock.error());
  if (!joined.ok()) {
    std::cerr << "cwsync sync: " << joined.error().describe() << "\n";
    return kExitFailure;
  }
  auto http = make_http_client(cfg->defaults);
  UpstreamRegistry hosts;
  StopWaiter waiter;
  const Clock& clock = SystemClock::instance();
  SyncEnvironment env{*http, hosts, waiter, clock, default_random()};

  bool all_ok = true;
  nlohmann::json report = nlohmann::json::array();
  for (const Tenant* tenant : tenants) {
    TenantClients clients(cfg->defaults, *tenant, env);
    // Without --entity, the passes the daemon would schedule for this tenant:
    // quotes only with a cpq connection (an Autotask-only tenant has none),
    // tickets only when enabled. A named --entity always runs and reports.
    std::vector<PassEntity> passes;
    for (PassEntity e : entities) {
      if (args.entity.empty() && e == PassEntity::kQuotes && !tenant->cpq) continue;
      passes.push_back(e);
    }
    if (args.entity.empty() && tenant->tickets.enabled) passes.push_back(PassEntity::kTickets);
    for (PassEntity entity : passes) {
      PassOptions opts;
      opts.full = args.full;
      opts.log_changes_only = cfg->log.runs == RunLogging::kChanges;
      PassResult r = run_pass(entity, {cfg->defaults, *tenant, clients, *db, clock}, opts);
      all_ok = all_ok && r.status.ok();
      nlohmann::json line{{"tenant", tenant->name},
                          {"entity", to_string(entity)},
                          {"ok", r.status.ok()},
                          {"pages", r.stats.pages},
                          {"api_calls", r.stats.api_calls},
                          {"upserted", r.stats.upserted},
                          {"deleted", r.stats.deleted}};
      if (!r.status.ok()) line["error"] = r.status.error().describe();
      if (!r.diagnosis.empty()) line["diagnosis"] = r.diagnosis;
      if (r.defer_until) line["retry_at"] = format_iso8601(*r.defer_until);
      if (args.json) {
        report.push_back(line);
      } else {
        std::cout << tenant->name << " " << to_string(entity) << ": "
                  << (r.status.ok() ? "ok" : "FAILED") << ", " << r.stats.pages << " pages, "
                  << r.stats.api_calls << " requests, " << r.stats.upserted << " upserted, "
                  << r.stats.deleted << " tombstoned\n";
        if (!r.status.ok()) std::cout << "  error: " << r.status.error().describe() << "\n";
        if (!r.diagnosis.empty()) std::cout << "  what to check: " << r.diagnosis << "\n";
        if (r.defer_until) std::cout << "  retry after " << format_iso8601(*r.defer_until) << "\n";
      }
      if (r.stop_tenant) break;
    }
  }
  if (args.json) std::cout << report.dump() << "\n";
  return all_ok ? kExitOk : kExitFailure;
}

void register_sync(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<SyncArgs>();
  auto* cmd = app.add_subcommand("sync", "pull CPQ quotes, opportunities and tickets once, then exit");
  cmd->add_flag("--once", args->once, "run one pass and exit")->required();
  cmd->add_option("--tenant", args->tenant, "only this tenant");
  cmd->add_option("--entity", args->entity, "quotes | opportunities | tickets | reconcile")
      ->check(CLI::IsMember({"quotes", "opportunities", "tickets", "reconcile"}));
  cmd->add_flag("--full", args->full, "ignore the stored cursors and re-read everything");
  cmd->add_flag("--json", args->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, args] { return run_sync(ctx, *args); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(sync, register_sync);

}  // namespace cwsync::daemon
