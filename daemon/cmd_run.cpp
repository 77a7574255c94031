// `cwsync run`: the daemon (systemd ExecStart). See daemon.h.
#include <CLI/CLI.hpp>

#include "daemon/command.h"
#include "daemon/daemon.h"

namespace cwsync::daemon {
namespace {

void register_run(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "run the sync daemon (systemd ExecStart)");
  cmd->add_flag("--allow-remote-http", opts->allow_remote_http,
                "let http_listen bind a non-loopback address (endpoints are unauthenticated)");
  cmd->add_option("--workers", opts->workers, "pull runs at once (fair across tenants)")
      ->check(CLI::Range(1, 32))->capture_default_str();
  cmd->add_option("--queue-workers", opts->queue_workers,
                  "PSA post deliveries at once (their own lane, never behind pulls)")
      ->check(CLI::Range(1, 32))->capture_default_str();
  ctx.on_run(cmd, [&ctx, opts] { return run_daemon(ctx, *opts); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(run, register_run);

}  // namespace cwsync::daemon
