// `cwsync history --ticket N [--tenant T] [--json]`: every post to a ticket,
// oldest first, from the psa_post_history view (what was sent, when, and how
// it ended). Exit 0; 2 bad input; 78 config; 1 database failure.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "daemon/enqueue_args.h"
#include "storage/queue_store.h"
#include "daemon/queue_report.h"

namespace cwsync::daemon {
namespace {

struct HistoryArgs {
  std::string ticket;
  std::string tenant;
  bool json = false;
};

int run_history(const Context& ctx, const HistoryArgs& a) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  auto ticket = parse_ticket_arg(a.ticket);
  if (!ticket.ok()) {
    std::cerr << "cwsync history: " << ticket.error().message << "\n";
    return kExitUsage;
  }
  if (!a.tenant.empty() && cfg->find_tenant(a.tenant) == nullptr) {
    std::cerr << "cwsync history: unknown tenant '" << a.tenant << "'\n";
    return kExitUsage;
  }
  auto db = open_reader(cfg->database);
  if (!db.ok()) {
    std::cerr << "cwsync history: " << db.error().describe() << "\n";
    return kExitFailure;
  }
  storage::QueueStore store(*db);
  std::optional<std::string> tenant;
  if (!a.tenant.empty()) tenant = a.tenant;
  auto rows = store.history(tenant, *ticket);
  if (!rows.ok()) {
    std::cerr << "cwsync history: " << rows.error().describe() << "\n";
    return kExitFailure;
  }
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) out.push_back(to_json(r));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& r : *rows) std::cout << history_line(r) << "\n";
    if (rows->empty()) std::cout << "no posts for ticket " << *ticket << "\n";
  }
  return kExitOk;
}

void register_history(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<HistoryArgs>();
  auto* cmd = app.add_subcommand("history", "the PSA post history of one ticket");
  cmd->add_option("--ticket", a->ticket, "PSA service ticket id")->required();
  cmd->add_option("--tenant", a->tenant, "only this tenant");
  cmd->add_flag("--json", a->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, a] { return run_history(ctx, *a); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(history, register_history);

}  // namespace cwsync::daemon
