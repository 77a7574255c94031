#include "daemon/command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>

#include "base/clock.h"
#include "storage/cache_store.h"
#include "storage/migrations.h"

namespace cwsync::daemon {
namespace {

std::vector<std::pair<std::string, CommandRegistrar>>& registry() {
  static std::vector<std::pair<std::string, CommandRegistrar>> r;
  return r;
}

}  // namespace

CommandRegistration::CommandRegistration(const char* name, CommandRegistrar fn) {
  registry().emplace_back(name, fn);
}

std::vector<std::pair<std::string, CommandRegistrar>> registered_commands() {
  auto out = registry();
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

void Context::on_run(const CLI::App* cmd, std::function<int()> action) {
  actions_[cmd] = std::move(action);
}

std::variant<Config, ConfigError> Context::load_config() const {
  auto loaded = cwsync::load_config(options.config_path);
  if (auto* err = std::get_if<ConfigError>(&loaded)) {
    for (const auto& p : err->problems) std::cerr << p.to_string() << "\n";
    std::cerr.flush();
  }
  return loaded;
}

void Context::print_warnings(const Config& config) {
  for (const auto& w : config.warnings) std::cerr << "warning: " << w.to_string() << "\n";
  std::cerr.flush();
}

log::Format Context::log_format(const Config* config) const {
  if (auto f = log::parse_format(options.log_format)) return *f;
  if (config != nullptr && config->log.format == LogFormat::kText) return log::Format::kText;
  return log::Format::kJson;
}

void Context::init_cli_logging(const Config* config) const {
  log::Level level = log::Level::kInfo;
  if (config != nullptr) level = log::parse_level(config->log.level).value_or(log::Level::kInfo);
  log::init(log_format(config), level, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

int Context::dispatch(const CLI::App& root) const {
  // Walk down the parsed chain; the deepest command with an action wins.
  const CLI::App* node = &root;
  std::function<int()> action;
  for (;;) {
    auto it = actions_.find(node);
    if (it != actions_.end()) action = it->second;
    auto subs = node->get_subcommands();
    if (subs.empty()) break;
    node = subs.front();
  }
  if (action) return action();
  // A command group given without its subcommand ("cwsync queue").
  std::cerr << node->help();
  return kExitUsage;
}

namespace {

// The first word of the command line that is neither a global option nor an
// option's value, when it names no command: CLI11 would only say "A
// subcommand is required". nullopt when every word is accounted for.
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!word.empty() && word[0] == '-') {
      // A global option given as "--config FILE" owns the next word.
      const CLI::Option* opt = app.get_option_no_throw(word);
      if (opt != nullptr && opt->get_items_expected_max() > 0) ++i;
      continue;
    }
    if (word.empty()) continue;
    try {
      (void)app.get_subcommand(word);
      return std::nullopt;  // a command: CLI11's own message is the right one
    } catch (const CLI::OptionNotFound&) {
      return word;
    }
  }
  return std::nullopt;
}

std::string command_names(CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (!out.empty()) out += ", ";
    out += sub->get_name();
  }
  return out;
}

}  // namespace

void build_cli(CLI::App& app, Context& ctx) {
  app.set_version_flag("--version", std::string("cwsync ") + CWSYNC_VERSION);
  app.add_option("-c,--config", ctx.options.config_path, "config file")
      ->capture_default_str();
  app.add_option("--log-format", ctx.options.log_format, "log format (default: from config)")
      ->check(CLI::IsMember({"json", "text"}));
  app.require_subcommand(1);
  // Global options are also accepted after the command name.
  app.fallthrough();
  for (const auto& [name, fn] : registered_commands()) fn(app, ctx);
}

int run_cli(int argc, char** argv) {
  CLI::App app{"cwsync: ConnectWise CPQ/PSA sync daemon with a local SQLite cache", "cwsync"};
  Context ctx;
  build_cli(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto unknown = unknown_command(app, argc, argv)) {
      std::cerr << "cwsync: unknown command '" << *unknown << "'; the commands are: "
                << command_names(app) << "\nRun with --help for more information.\n";
      return kExitUsage;
    }
    int code = app.exit(e);  // prints help/version to stdout, errors to stderr
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return ctx.dispatch(app);
  } catch (const std::exception& e) {
    std::cerr << "cwsync: " << e.what() << "\n";
    return kExitFailure;
  }
}

Result<storage::Database> open_reader(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return make_error(ErrorKind::kIo, "database " + path +
                                          " does not exist; run `cwsync migrate` or start the daemon");
  }
  storage::OpenOptions o;
  o.read_only = true;
  return storage::Database::open(path, o);
}

std::optional<storage::Database> open_writer(const std::string& path, const char* command) {
  auto db = storage::Database::open(path);
  if (!db.ok()) {
    std::cerr << "cwsync " << command << ": " << db.error().describe() << "\n";
    return std::nullopt;
  }
  if (auto s = storage::migrate(*db); !s.ok()) {
    std::cerr << "cwsync " << command << ": " << s.error().describe() << "\n";
    return std::nullopt;
  }
  return std::move(*db);
}

Status join_syncers(storage::DbLock& lock, storage::Database& db) {
  auto sole = lock.join_syncers();
  if (!sole.ok()) return sole.error();
  if (!*sole) return {};  // another syncer is alive: its 'running' rows are real
  auto closed = storage::CacheStore(db).close_interrupted_runs(SystemClock::instance().now());
  if (!closed.ok()) return closed.error();
  if (*closed > 0) {
    log::warn("sync_runs_interrupted").field("runs", *closed).field("database", db.path())
        .msg("sync_runs rows left 'running' by a process that ended mid-run are now failed "
             "(interrupted)");
  }
  return {};
}

std::string format_age(std::chrono::milliseconds age) {
  using namespace std::chrono;
  auto s = duration_cast<seconds>(age).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

}  // namespace cwsync::daemon
