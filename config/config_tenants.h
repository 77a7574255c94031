// Internal to the config loader: the `tenants:` list.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "config/config.h"
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
// and required values. Reports problems into ctx.problems.
std::vector<Tenant> read_tenants(LoadContext& ctx, const MapReader& root,
                                 const Defaults& defaults);

// Reads the intervals map `m` over `out` (quotes, opportunities, ...).
void read_intervals(const MapReader& m, Intervals& out);

extern const Keys kIntervalKeys;

}  // namespace cwsync::config_detail
