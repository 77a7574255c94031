// `cwsync status [--tenant T] [--json]`: freshness, last errors and queue
// counts per tenant, read straight from the DB (works while the daemon runs).
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "daemon/reports.h"

namespace cwsync::daemon {
namespace {

// Tenants whose tenants_dir file is broken: not run, and here is why.
nlohmann::json disabled_json(const Config& cfg) {
  auto out = nlohmann::json::array();
  for (const auto& d : cfg.disabled_tenants) {
    auto problems = nlohmann::json::array();
    for (const auto& p : d.problems) problems.push_back(p.to_string());
    out.push_back({{"tenant", d.name}, {"file", d.file}, {"problems", problems}});
  }
  return out;
}

std::string disabled_text(const Config& cfg) {
  std::string out;
  for (const auto& d : cfg.disabled_tenants) {
    out += "\n" + d.name + ": DISABLED (" + d.file + ")\n";
    for (const auto& p : d.problems) out += "  " + p.to_string() + "\n";
  }
  return out;
}

struct StatusOptions {
  bool json = false;
  std::string tenant;
};

int run_status(const Context& ctx, const StatusOptions& o) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  if (!o.tenant.empty() && cfg->find_tenant(o.tenant) == nullptr) {
    std::cerr << "cwsync status: unknown tenant '" << o.tenant << "'\n";
    return kExitUsage;
  }
  auto db = open_reader(cfg->database);
  if (!db.ok()) {
    std::cerr << "cwsync status: " << db.error().describe() << "\n";
    return kExitFailure;
  }
  TimePoint now = SystemClock::instance().now();
  std::optional<std::string> only;
  if (!o.tenant.empty()) only = o.tenant;
  auto status = read_status(*db, cfg, only, now);
  if (!status.ok()) {
    std::cerr << "cwsync status: " << status.error().describe() << "\n";
    return kExitFailure;
  }
  if (o.json) {
    auto out = status_json(*status, now);
    out["disabled_tenants"] = disabled_json(*cfg);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << status_text(*status, now) << disabled_text(*cfg);
  }
  return kExitOk;
}

void register_status(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "freshness, last errors, queue counts");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->add_option("--tenant", o->tenant, "only this tenant");
  ctx.on_run(cmd, [&ctx, o] { return run_status(ctx, *o); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(status, register_status);

}  // namespace cwsync::daemon
