// `cwsync ticket ID [--tenant T] [--json]`: one cached PSA ticket with its
// company, status, how fresh it is, and the posts cwsync queued or delivered
// to it (the troubleshooting app's "ticket context"). Exit 0 when cached;
// 1 "not cached" with the reason (tickets not enabled for the tenant, not
// synced yet, closed beyond tickets.closed_for_days, deleted upstream) or a
// database failure; 2 bad input; 78 config.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "daemon/enqueue_args.h"
#include "daemon/ticket_report.h"

namespace cwsync::daemon {
namespace {

struct TicketArgs {
  std::string id;
  std::string tenant;
  bool json = false;
};

int run_ticket(const Context& ctx, const TicketArgs& a) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  auto id = parse_ticket_arg(a.id, "ID");
  if (!id.ok()) {
    std::cerr << "cwsync ticket: " << id.error().message << "\n";
    return kExitUsage;
  }
  std::vector<const Tenant*> tenants;
  if (!a.tenant.empty()) {
    const Tenant* t = cfg->find_tenant(a.tenant);
    if (t == nullptr) {
      std::cerr << "cwsync ticket: unknown tenant '" << a.tenant << "'\n";
      return kExitUsage;
    }
    tenants.push_back(t);
  } else {
    for (const Tenant& t : cfg->tenants) {
      if (t.psa) tenants.push_back(&t);
    }
  }
  auto db = open_reader(cfg->database);
  if (!db.ok()) {
    std::cerr << "cwsync ticket: " << db.error().describe() << "\n";
    return kExitFailure;
  }
  if (auto s = require_ticket_schema(*db); !s.ok()) {
    std::cerr << "cwsync ticket: " << s.error().describe() << "\n";
    return kExitFailure;
  }
  auto c = read_ticket_context(*db, tenants, *id);
  if (!c.ok()) {
    std::cerr << "cwsync ticket: " << c.error().describe() << "\n";
    return c.error().kind == ErrorKind::kInvalidInput ? kExitUsage : kExitFailure;
  }
  const TimePoint now = SystemClock::instance().now();
  if (a.json) {
    std::cout << ticket_json(*c, now).dump(2) << "\n";
  } else if (c->ticket) {
    std::cout << ticket_text(*c, now);
  } else {
    std::cerr << "cwsync ticket: " << ticket_text(*c, now);
  }
  return c->ticket ? kExitOk : kExitFailure;
}

void register_ticket(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<TicketArgs>();
  auto* cmd = app.add_subcommand("ticket", "one cached PSA ticket with its company, status, "
                                           "freshness and post history");
  cmd->add_option("id", a->id, "PSA ticket id")->required();
  cmd->add_option("--tenant", a->tenant, "the ticket's tenant (needed when several have it)");
  cmd->add_flag("--json", a->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, a] { return run_ticket(ctx, *a); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(ticket, register_ticket);

}  // namespace cwsync::daemon
