// Internal to the config loader: the `tenants:` list.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "config/config.h"
#include "config/config_files.h"
#include "config/config_reader.h"
#include "config/config_secrets.h"

namespace cwsync::config_detail {

struct LoadContext {
  Problems& problems;
  const EnvLookup& env;
  std::filesystem::path dir;          // the config file's directory
  std::optional<Field> inline_secret; // first inline private_key, if any
};

// Reads every tenant (intervals start from `defaults`), resolves secrets,
// applies the single-tenant CONNECTWISE_* variables and checks names, URLs
// and required values. Reports problems into ctx.problems. `optional`: a
// tenants_dir is set, so `tenants:` may be absent or empty.
std::vector<Tenant> read_tenants(LoadContext& ctx, const MapReader& root,
                                 const Defaults& defaults, bool optional);

// Reads one tenant map. `default_name` is used when `name:` is absent ("" =
// name required). `single` enables the CONNECTWISE_* variables.
Tenant read_tenant(LoadContext& ctx, const MapReader& t, const Defaults& defaults, bool single,
                   const std::string& default_name = {});

// Reads the optional `hosts:` list of per-host ceilings.
std::vector<HostCeiling> read_hosts(const MapReader& root);

// Reads `tenants_dir`'s *.yaml files in name order, one tenant each, and
// appends the valid ones to `config.tenants`. A file with problems becomes a
// DisabledTenant (its problems name that file); a name already taken by the
// main file or an earlier file is such a problem. Never adds to ctx.problems.
void read_tenants_dir(LoadContext& ctx, const std::filesystem::path& dir, Config& config);

// What to do about a file that could not be read ("expected ...", "remove
// it"), appended to the problem after "; ". Empty: nothing to add.
using FileFix = std::function<std::string(const FileReadError&)>;

// The text of `path`, read without blocking (config_files.h), or nullopt
// with `error` set: "cannot read: ...", "is a FIFO (named pipe), not a
// regular file; <fix>", ...
std::optional<std::string> read_text(const std::filesystem::path& path, std::string& error,
                                     const FileFix& fix = {});

// Reads and parses `path`, which must hold a YAML map (`expected` describes
// it in problems). nullopt with a problem otherwise.
std::optional<YAML::Node> parse_yaml_map(const std::string& path, Problems& problems,
                                         const std::string& expected, const FileFix& fix);

// The world-readable rule: an inline private_key in a file anyone can read.
void check_world_readable(const LoadContext& ctx, const std::string& path, Problems& problems);

extern const Keys kTenantKeys;

// Reads the intervals map `m` over `out` (quotes, opportunities, ...).
void read_intervals(const MapReader& m, Intervals& out);

extern const Keys kIntervalKeys;

}  // namespace cwsync::config_detail
