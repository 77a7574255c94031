// load_config(): read the file, parse YAML, walk the known keys, resolve
// secrets, check cross-field rules, and hand back a Config or every problem.
#include <filesystem>
#include <map>
#include <system_error>

#include "config/config.h"
#include "config/config_checks.h"
#include "config/config_reader.h"
#include "config/config_secrets.h"
#include "config/config_tenants.h"
#include "config/duration.h"
#include "config/env_file.h"
#include "base/log.h"

namespace cwsync {
namespace {

namespace fs = std::filesystem;
using config_detail::EnvLookup;
using config_detail::Keys;
using config_detail::LoadContext;
using config_detail::MapReader;
using config_detail::Problems;
using config_detail::read_text;
using std::chrono::milliseconds;

const Keys kTopKeys = {"database", "log", "http_listen", "defaults", "hosts", "retention",
                       "tenants_dir", "tenants"};
const Keys kLogKeys = {"level", "format", "runs"};
const Keys kDefaultsKeys = {"intervals", "backoff", "retry_after_cap", "http", "breaker",
                            "reconcile_max_delete_ratio", "page_size"};
const Keys kBackoffKeys = {"base", "cap", "max_attempts"};
const Keys kHttpKeys = {"connect_timeout", "read_timeout"};
const Keys kBreakerKeys = {"failures", "cool_down"};
const Keys kRetentionKeys = {"sync_runs", "activity_log"};

// What to do when the main file is not a regular file. A directory keeps
// the message people know; anything else is refused before reading, since
// a FIFO or device could block check-config or a reload forever.
std::string main_file_fix(const fs::path& path, const config_detail::FileReadError& e) {
  if (e.is_directory()) {
    return "expected the YAML config file, e.g. " + (path / "cwsync.yaml").string();
  }
  if (e.fault == config_detail::FileFault::kNotRegular) {
    return "expected the YAML config file as a regular file (a pipe or device could block "
           "cwsync forever); replace it with a regular file";
  }
  return {};
}

// The .env beside the config: absent is fine, unreadable or malformed is not.
std::map<std::string, std::string> read_dotenv(const fs::path& dir, Problems& problems) {
  const fs::path path = dir / ".env";
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  std::string error;
  auto text = read_text(path, error, [](const config_detail::FileReadError& e) {
    return e.fault == config_detail::FileFault::kNotRegular
               ? "expected KEY=VALUE lines in a regular file; replace it with one or remove it"
               : std::string();
  });
  if (!text) {
    problems.add_in(path.string(), 0, "", error);
    return {};
  }
  EnvFile env = parse_env_file(*text);
  for (int line : env.bad_lines) {
    problems.add_in(path.string(), line, "",
                    "not a KEY=VALUE line; expected NAME=value, # comments or blank lines "
                    "(the line is not shown: it may hold a secret)");
  }
  return std::move(env.values);
}

void read_log(const MapReader& root, LogConfig& out) {
  auto m = root.read_map("log", kLogKeys);
  if (!m) return;
  std::string level;
  if (m->read_string("level", level, "trace, debug, info, warn, error, critical or off")) {
    if (log::parse_level(level)) {
      out.level = level == "warning" ? "warn" : level;
    } else {
      m->problems().add(m->find("level")->line, m->child("level"),
                        "'" + level + "' is not a log level; expected trace, debug, info, warn, "
                        "error, critical or off");
    }
  }
  std::string format;
  if (m->read_string("format", format, "json or text")) {
    if (format == "json") out.format = LogFormat::kJson;
    else if (format == "text") out.format = LogFormat::kText;
    else {
      m->problems().add(m->find("format")->line, m->child("format"),
                        "'" + format + "' is not a log format; expected json or text");
    }
  }
  std::string runs;
  if (m->read_string("runs", runs, "all or changes")) {
    if (runs == "all") out.runs = RunLogging::kAll;
    else if (runs == "changes") out.runs = RunLogging::kChanges;
    else {
      m->problems().add(m->find("runs")->line, m->child("runs"),
                        "'" + runs + "' is not a run logging mode; expected all (every pull run "
                        "at info) or changes (idle runs at debug)");
    }
  }
}

void read_defaults(const MapReader& root, Defaults& d) {
  auto m = root.read_map("defaults", kDefaultsKeys);
  if (!m) return;
  if (auto i = m->read_map("intervals", config_detail::kIntervalKeys)) {
    config_detail::read_intervals(*i, d.intervals);
  }
  if (auto b = m->read_map("backoff", kBackoffKeys)) {
    const bool base_read = b->read_duration("base", d.backoff.base, milliseconds(1));
    const bool cap_read = b->read_duration("cap", d.backoff.cap, milliseconds(1));
    b->read_int("max_attempts", d.backoff.max_attempts, 1, 100);
    if ((base_read || cap_read) && d.backoff.base > d.backoff.cap) {
      const auto f = b->find(base_read ? "base" : "cap");
      b->problems().add(f->line, f->path,
                        "backoff.base (" + format_duration(d.backoff.base) +
                            ") is greater than backoff.cap (" + format_duration(d.backoff.cap) +
                            "); expected base <= cap");
    }
  }
  m->read_duration("retry_after_cap", d.retry_after_cap, milliseconds(1));
  if (auto h = m->read_map("http", kHttpKeys)) {
    h->read_duration("connect_timeout", d.http.connect, milliseconds(1));
    h->read_duration("read_timeout", d.http.read, milliseconds(1));
  }
  if (auto b = m->read_map("breaker", kBreakerKeys)) {
    b->read_int("failures", d.breaker.failures, 1, 1000);
    b->read_duration("cool_down", d.breaker.cool_down, milliseconds(1));
  }
  m->read_double("reconcile_max_delete_ratio", d.reconcile_max_delete_ratio, 0.0, 1.0);
  m->read_int("page_size", d.page_size, 1, 1000);
}

// One `retention.*` value: "keep", 0 or a zero duration keep every row; any
// other duration from 1h (shorter would prune what a dashboard just showed)
// to the duration reader's 366d.
void read_keep_or_duration(const MapReader& m, std::string_view key,
                           std::optional<milliseconds>& out) {
  constexpr std::string_view kExpected =
      "expected keep (or 0) to keep every row, or a duration from 1h to 366d such as 30d";
  const auto f = m.find(key);
  if (!f) return;
  if (!f->node.IsScalar()) {
    m.problems().add(f->line, f->path,
                     "expected a value, found " + config_detail::kind_of(f->node) + "; " +
                         std::string(kExpected));
    return;
  }
  const std::string text = f->node.Scalar();
  if (text == "keep" || text == "0") {
    out.reset();
    return;
  }
  const auto d = parse_duration(text);
  if (!d) {
    m.problems().add(f->line, f->path,
                     "'" + text + "' is neither keep nor a duration; " + std::string(kExpected));
    return;
  }
  if (d->count() == 0) {
    out.reset();
    return;
  }
  if (*d < std::chrono::hours(1) || *d > std::chrono::hours(24 * 366)) {
    m.problems().add(f->line, f->path, text + " is out of range; " + std::string(kExpected));
    return;
  }
  out = *d;
}

void read_retention(const MapReader& root, Retention& r) {
  auto m = root.read_map("retention", kRetentionKeys);
  if (!m) return;
  read_keep_or_duration(*m, "sync_runs", r.sync_runs);
  read_keep_or_duration(*m, "activity_log", r.activity_log);
}

// The daemon (HttpServer::start) refuses a non-loopback http_listen unless
// started with --allow-remote-http; say so here, so check-config's OK does
// not promise a start that fails. Only a warning: the flag makes it valid.
void warn_if_remote(const std::string& listen, int line, Problems& problems) {
  if (config_detail::is_loopback_host(config_detail::listen_host(listen))) return;
  problems.warn(line, "http_listen",
                "'" + listen + "' is not a loopback address (127.0.0.0/8, ::1, localhost); the "
                "HTTP endpoints are unauthenticated, and `cwsync run` refuses it unless started "
                "with --allow-remote-http");
}

void read_top(const MapReader& root, const fs::path& dir, Config& c) {
  if (root.read_string("database", c.database, "a file path like /var/lib/cwsync/cache.db")) {
    // A daemon's working directory is "/": relative means "beside the config".
    if (c.database != ":memory:" && !c.database.starts_with("file:") &&
        fs::path(c.database).is_relative()) {
      c.database = (dir / c.database).lexically_normal().string();
    }
  }
  read_log(root, c.log);
  std::string listen;
  if (root.read_string("http_listen", listen, "host:port, e.g. 127.0.0.1:9464")) {
    const std::string error = config_detail::check_host_port(listen);
    const int line = root.find("http_listen")->line;
    if (error.empty()) {
      c.http_listen = listen;
      warn_if_remote(listen, line, root.problems());
    } else {
      root.problems().add(line, "http_listen", error);
    }
  }
  read_defaults(root, c.defaults);
  c.hosts = config_detail::read_hosts(root);
  read_retention(root, c.retention);
  std::string tenants_dir;
  if (root.read_string("tenants_dir", tenants_dir, "a directory like /etc/cwsync/tenants.d")) {
    fs::path p = fs::path(tenants_dir).is_relative() ? dir / tenants_dir : fs::path(tenants_dir);
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      root.problems().add(root.find("tenants_dir")->line, "tenants_dir",
                          "'" + p.string() + "' is not a directory; expected a directory of "
                          "one-tenant *.yaml files");
    } else {
      c.tenants_dir = p.lexically_normal().string();
    }
  }
}

}  // namespace

std::variant<Config, ConfigError> load_config(const std::string& path,
                                              const ConfigEnvironment& env) {
  Problems problems(path);
  auto fail = [&problems] { return ConfigError{problems.take()}; };

  const auto parsed = config_detail::parse_yaml_map(
      path, problems, "a map of settings with at least 'tenants'",
      [&path](const config_detail::FileReadError& e) { return main_file_fix(path, e); });
  if (!parsed) return fail();
  const YAML::Node& doc = *parsed;

  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  EnvLookup lookup(env, read_dotenv(dir, problems));
  LoadContext ctx{problems, lookup, dir, std::nullopt};

  Config config;
  config.source_path = path;
  const MapReader root(problems, doc, "", 1, kTopKeys);
  read_top(root, dir, config);
  config.tenants = config_detail::read_tenants(ctx, root, config.defaults,
                                               root.has("tenants_dir"));
  config_detail::check_world_readable(ctx, path, problems);

  if (!problems.empty()) return fail();
  // Only a valid main file gets this far: a broken tenant file disables that
  // tenant and never the others.
  if (config.tenants_dir) config_detail::read_tenants_dir(ctx, *config.tenants_dir, config);
  config.warnings = problems.take_warnings();
  return config;
}

}  // namespace cwsync
