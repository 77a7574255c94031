// The `cwsync` command line: global options, the command registry, exit codes.
//
// Each subcommand lives in its own daemon/cmd_*.cpp and registers itself; no
// central list is edited. daemon/CMakeLists.txt compiles every cmd_*.cpp into
// the executable (glob), so the static registration always links:
//
//   // daemon/cmd_queue.cpp
//   namespace cwsync::daemon {
//   namespace {
//   void register_queue(CLI::App& app, Context& ctx) {
//     auto* queue = app.add_subcommand("queue", "inspect and repair the PSA queue");
//     auto* list = queue->add_subcommand("list", "list posts");
//     auto json = std::make_shared<bool>(false);
//     list->add_flag("--json", *json, "machine-readable output");
//     ctx.on_run(list, [&ctx, json] { return queue_list(ctx, *json); });
//   }
//   }  // namespace
//   CWSYNC_REGISTER_COMMAND(queue, register_queue);
//   }  // namespace cwsync::daemon
//
// The action bound to the deepest subcommand given on the command line runs
// and its return value is the exit code. Option storage must outlive parsing
// (shared_ptr captured by the action, as above).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/config.h"
#include "base/log.h"
#include "storage/database.h"
#include "storage/db_lock.h"

namespace CLI { class App; }

namespace cwsync::daemon {

// Exit codes (docs/operations.md). kExitConfig (78) is in config/config.h.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;        // bad input, CLI usage errors

inline constexpr const char* kDefaultConfigPath = "/etc/cwsync/cwsync.yaml";

struct GlobalOptions {
  std::string config_path = kDefaultConfigPath;
  std::string log_format;                   // "json" | "text" | "" (from config)
};

// Shared by every command. Not thread-safe; used on the main thread.
class Context {
 public:
  GlobalOptions options;

  // Runs `action` when `cmd` is the deepest subcommand on the command line.
  void on_run(const CLI::App* cmd, std::function<int()> action);

  // Loads options.config_path. On error prints every problem to stderr, one
  // per line ("file:line: key: message"), and returns the error; callers
  // return kExitConfig.
  std::variant<Config, ConfigError> load_config() const;
  // Prints config.warnings to stderr, one "warning: file:line: key: ..." per line.
  static void print_warnings(const Config& config);
  // The log format: --log-format if given, else the config's, else json.
  log::Format log_format(const Config* config) const;
  // Logging for one-shot commands: to stderr, so stdout carries only the
  // command's output (--json stays parseable). `run` logs to stdout instead.
  void init_cli_logging(const Config* config) const;

  // Internal: runs the action for the parsed command chain.
  int dispatch(const CLI::App& root) const;

 private:
  std::map<const CLI::App*, std::function<int()>> actions_;
};

using CommandRegistrar = void (*)(CLI::App& app, Context& ctx);

struct CommandRegistration {
  CommandRegistration(const char* name, CommandRegistrar fn);
};

#define CWSYNC_REGISTER_COMMAND(name, fn)                                    \
  static const ::cwsync::daemon::CommandRegistration                         \
      cwsync_command_registration_##name(#name, fn)

// Registered commands in name order (the order `--help` lists them).
std::vector<std::pair<std::string, CommandRegistrar>> registered_commands();

// Declares the global options and every registered command on `app`.
void build_cli(CLI::App& app, Context& ctx);

// Parses argv, runs the command and returns the exit code: the command's, 0
// for --help/--version, 2 for usage errors. Exceptions escaping a command are
// reported and mapped to 1.
int run_cli(int argc, char** argv);

// Opens the database read-only for a reporting command (never creates or
// migrates). A missing file is kIo with a hint to run `cwsync migrate`.
Result<storage::Database> open_reader(const std::string& path);

// Opens (creating it if needed) and migrates the database for a command that
// writes. On failure prints "cwsync <command>: <error>" to stderr and returns
// nullopt; callers return kExitFailure.
std::optional<storage::Database> open_writer(const std::string& path, const char* command);

// Joins the database's syncers (storage/db_lock.h) for as long as `lock`
// lives and, when no other syncer is alive, closes the sync_runs rows a
// killed process left 'running' (logged as sync_runs_interrupted). Errors:
// kIo for the lock, kDatabase.
Status join_syncers(storage::DbLock& lock, storage::Database& db);

// "3m ago", "45s ago", "2h ago", "4d ago" (CLI output and STATUS=).
std::string format_age(std::chrono::milliseconds age);

}  // namespace cwsync::daemon
