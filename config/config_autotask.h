// Internal to the config loader: a `psa:` section with `provider: autotask`.
#pragma once

#include "config/config.h"
#include "config/config_tenants.h"

namespace cwsync::config_detail {

// The keys a `psa:` section may have for `provider: autotask`.
extern const Keys kAutotaskKeys;

// The provider a `psa:` map asks for, by peeking at its `provider:` scalar:
// kConnectWise when absent; nullopt (and a problem) for an unknown value.
std::optional<PsaProviderKind> peek_psa_provider(LoadContext& ctx, const MapReader& tenant);

// Reads an Autotask `psa:` section: required username, secret (inline,
// _file or _env) and integration_code; the optional zone_url pin,
// zone_lookup_url, impersonation_resource_id, time_entry_role,
// note_types, opportunity_statuses, rate_limit (default 10000 per 1h), budget
// and allow_insecure. Problems go to ctx.problems with their line.
PsaConnection read_autotask(LoadContext& ctx, const MapReader& m);

}  // namespace cwsync::config_detail
