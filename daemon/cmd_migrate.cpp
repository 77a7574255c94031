// `cwsync migrate`: create or upgrade the database, then exit.
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "storage/database.h"
#include "storage/migrations.h"

namespace cwsync::daemon {
namespace {

int run_migrate(const Context& ctx, bool as_json) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  auto fail = [&](const Error& e) {
    if (as_json) std::cout << nlohmann::json{{"ok", false}, {"error", e.describe()}}.dump() << "\n";
    else std::cerr << "cwsync migrate: " << e.describe() << "\n";
    return kExitFailure;
  };
  auto db = storage::Database::open(cfg->database);
  if (!db.ok()) return fail(db.error());
  auto before = db->user_version();
  if (!before.ok()) return fail(before.error());
  if (auto st = storage::migrate(*db); !st.ok()) return fail(st.error());
  auto after = db->user_version();
  if (!after.ok()) return fail(after.error());
  if (as_json) {
    std::cout << nlohmann::json{{"ok", true}, {"database", cfg->database},
                                {"from_version", *before}, {"to_version", *after}}.dump()
              << "\n";
  } else if (*before == *after) {
    std::cout << cfg->database << ": schema version " << *after << ", up to date\n";
  } else {
    std::cout << cfg->database << ": schema version " << *before << " -> " << *after << "\n";
  }
  return kExitOk;
}

void register_migrate(CLI::App& app, Context& ctx) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("migrate", "create or upgrade the database, then exit");
  cmd->add_flag("--json", *as_json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, as_json] { return run_migrate(ctx, *as_json); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(migrate, register_migrate);

}  // namespace cwsync::daemon
