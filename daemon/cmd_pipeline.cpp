// `cwsync pipeline [--days N] [--tenant T] [--json]` and
// `cwsync backlog [--limit N] [--tenant T] [--json]`: the dashboard numbers
// from the cache views, in the CPQ setup guide's format.
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "daemon/reports.h"

namespace cwsync::daemon {
namespace {

struct ReportOptions {
  bool json = false;
  std::string tenant;
  int days = 30;
  int limit = 10;
};

enum class Report { kPipeline, kBacklog };

int run_report(const Context& ctx, const ReportOptions& o, Report which) {
  const char* name = which == Report::kPipeline ? "pipeline" : "backlog";
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  if (!o.tenant.empty() && cfg->find_tenant(o.tenant) == nullptr) {
    std::cerr << "cwsync " << name << ": unknown tenant '" << o.tenant << "'\n";
    return kExitUsage;
  }
  auto db = open_reader(cfg->database);
  if (!db.ok()) {
    std::cerr << "cwsync " << name << ": " << db.error().describe() << "\n";
    return kExitFailure;
  }
  std::optional<std::string> only;
  if (!o.tenant.empty()) only = o.tenant;
  auto tenants = report_tenants(*db, cfg, only);
  if (!tenants.ok()) {
    std::cerr << "cwsync " << name << ": " << tenants.error().describe() << "\n";
    return kExitFailure;
  }
  TimePoint now = SystemClock::instance().now();
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const auto& t : *tenants) {
    if (which == Report::kPipeline) {
      auto r = read_pipeline(*db, t, o.days, o.limit, now);
      if (!r.ok()) {
        std::cerr << "cwsync pipeline: " << r.error().describe() << "\n";
        return kExitFailure;
      }
      list.push_back(pipeline_json(*r));
      text += (text.empty() ? "" : "\n") + pipeline_text(*r);
    } else {
      auto r = read_backlog(*db, t, o.limit, now);
      if (!r.ok()) {
        std::cerr << "cwsync backlog: " << r.error().describe() << "\n";
        return kExitFailure;
      }
      list.push_back(backlog_json(*r));
      text += (text.empty() ? "" : "\n") + backlog_text(*r);
    }
  }
  if (o.json) {
    std::cout << (only ? list.at(0) : nlohmann::json{{"tenants", list}}).dump(2) << "\n";
  } else {
    std::cout << (text.empty() ? std::string("no tenants configured\n") : text);
  }
  return kExitOk;
}

void register_pipeline(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("pipeline", "pipeline totals, win rate, recent opportunities");
  cmd->add_option("--days", o->days, "window in days")->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->add_option("--limit", o->limit, "recent opportunities shown")->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--tenant", o->tenant, "only this tenant");
  cmd->add_flag("--json", o->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, o] { return run_report(ctx, *o, Report::kPipeline); });
}

void register_backlog(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("backlog", "open opportunities, oldest first, with age in days");
  cmd->add_option("--limit", o->limit, "items shown")->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--tenant", o->tenant, "only this tenant");
  cmd->add_flag("--json", o->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, o] { return run_report(ctx, *o, Report::kBacklog); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(backlog, register_backlog);
CWSYNC_REGISTER_COMMAND(pipeline, register_pipeline);

}  // namespace cwsync::daemon
