// The typed, validated configuration (docs/config.md, docs/config.md).
//
// Defaults are written next to each field. A Config is produced by
// load_config() and then treated as immutable: a reload builds a new one and
// swaps it in whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <variant>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/secret.h"

namespace cwsync {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// One validation problem: "path:line: key: what is wrong; expected ..."
struct ConfigProblem {
  std::string file;
  int line = 0;                   // 1-based; 0 when not tied to a line
  std::string key;                // dotted path, e.g. tenants[0].cpq.base_url
  std::string message;            // what is wrong and what is expected

  std::string to_string() const;
};

struct RateLimit {
  int requests = 25;              // tokens per window
  milliseconds per = 5s;          // window length
};

struct HttpTimeouts {
  milliseconds connect = 10s;
  milliseconds read = 60s;
};

struct Intervals {
  milliseconds quotes = 5min;
  milliseconds opportunities = 5min;
  milliseconds reconcile = 24h;
  milliseconds queue = 10s;
  milliseconds tickets = 5min;    // the ticket cache pull (tenants with tickets.enabled)
};

struct BackoffPolicy {
  milliseconds base = 1s;
  milliseconds cap = 5min;
  int max_attempts = 5;           // per request inside one sync pass
};

struct BreakerPolicy {
  int failures = 5;               // consecutive failures that open the breaker
  milliseconds cool_down = 15s;   // before a half-open probe
};

struct Defaults {
  Intervals intervals;
  BackoffPolicy backoff;
  milliseconds retry_after_cap = 15min;  // longer waits become deferrals
  HttpTimeouts http;
  BreakerPolicy breaker;
  double reconcile_max_delete_ratio = 0.5;  // refuse mass tombstoning above this
  int page_size = 1000;           // 1..1000
};

struct CpqConnection {
  std::string base_url = "https://sellapi.quosalsell.com";
  std::string access_key;         // the tenant selector (Sell URL's accesskey=)
  std::string public_key;
  Secret private_key;
  std::string private_key_source; // "inline", "file PATH", "env NAME": for summaries
  RateLimit rate_limit{25, 5s};
  std::string budget;             // shared budget name; "" = derived (see budget_key)
  bool allow_insecure = false;    // permit http:// to a non-loopback host
};

// Which PSA a `psa:` section talks to (`psa.provider`).
enum class PsaProviderKind { kConnectWise, kAutotask };
const char* to_string(PsaProviderKind k);  // "connectwise" | "autotask"

// An Autotask note type: the TicketNotes noteType and publish picklist values.
struct AutotaskNoteType {
  int note_type = 1;
  int publish = 2;                // 1: All Autotask Users (customer-visible); 2: internal
};

// The Autotask keys of a `psa:` section (provider: autotask). The Secret is
// PsaConnection::private_key.
struct AutotaskSettings {
  std::string username;           // the API user: UserName header, zone lookup
  std::string integration_code;   // ApiIntegrationCode (the tracking identifier)
  std::optional<std::string> zone_url;  // pinned zone, ends in "/"; else looked up
  // Where the zone lookup goes (an addition: tests point it at cwsim).
  std::string zone_lookup_url = "https://webservices.autotask.net/ATServicesRest/";
  std::optional<std::int64_t> impersonation_resource_id;
  std::optional<std::int64_t> time_entry_role;  // nullopt: the resource's default role
  AutotaskNoteType internal{1, 2};
  AutotaskNoteType resolution{1, 1};
  AutotaskNoteType description{1, 1};
  // Opportunity status picklist values that mean won / lost; others are open.
  std::vector<int> won_statuses{3, 4};   // Closed, Implemented
  std::vector<int> lost_statuses{0, 2};  // Inactive, Lost
};

struct PsaConnection {
  PsaProviderKind provider = PsaProviderKind::kConnectWise;
  std::optional<AutotaskSettings> autotask;  // set iff provider is kAutotask
  std::string site;               // scheme + host, e.g. https://api-na.myconnectwise.net
  std::string company_id;
  std::string public_key;
  Secret private_key;             // the private key; Autotask: the Secret
  std::string private_key_source; // "inline", "file PATH", "env NAME": for summaries
  std::string client_id;          // GUID, sent as clientId on every call
  std::string api_version = "2022.1";
  std::optional<std::string> codebase;  // skip the lookup, e.g. "v2025_1/"
  RateLimit rate_limit{60, 60s};
  std::string budget;             // shared budget name; "" = derived (see budget_key)
  bool allow_insecure = false;
};

struct QueuePolicy {
  int max_attempts = 10;
  milliseconds max_age = 72h;
  milliseconds lease = 2min;      // in_flight claims expire after this
  // Margin beyond http.read_timeout before a post whose request may have
  // reached PSA is checked (and perhaps sent again): by then PSA can no
  // longer be applying the lost request. docs/queue.md explains the number.
  milliseconds settle = 60s;
  std::string marker_format = "[cwsync:{marker}]";  // appended to note text
};

// The local PSA ticket cache (`tickets:`), off unless enabled.
struct TicketsPolicy {
  bool enabled = false;
  int closed_for_days = 90;       // closed tickets older than this are not pulled
};

enum class OpportunitySource { kPsa, kQuotes };
const char* to_string(OpportunitySource s);

struct Tenant {
  std::string name;               // [a-z0-9_-]+, unique; the `tenant` column
  // Default: psa when a psa connection is configured, else quotes.
  OpportunitySource opportunities = OpportunitySource::kQuotes;
  std::optional<CpqConnection> cpq;
  std::optional<PsaConnection> psa;
  QueuePolicy queue;
  TicketsPolicy tickets;
  Intervals intervals;            // defaults.intervals unless overridden
  std::string source_file;        // the tenants_dir file it came from; "" = main file
};

// An operator-known cap on one upstream host, across every tenant (`hosts:`).
struct HostCeiling {
  std::string host;               // lower-case host name, or host:port
  RateLimit rate_limit;
};

// A tenants_dir file that failed validation: that tenant does not run.
struct DisabledTenant {
  std::string name;               // the tenant's name, or the file's stem
  std::string file;
  std::vector<ConfigProblem> problems;
};

// How long the daemon keeps history rows (`retention:`), pruned hourly.
// nullopt keeps every row ("keep" or 0 in the file).
struct Retention {
  // Finished sync_runs rows older than this go; the newest of each
  // (tenant, entity, kind) and running rows always stay.
  std::optional<milliseconds> sync_runs = std::chrono::hours(24 * 30);
  // Opt-in: docs/schema.md calls the log append-only. Only rows of delivered
  // (succeeded or purged) posts are ever pruned.
  std::optional<milliseconds> activity_log;
};

enum class LogFormat { kJson, kText };

// Which pull runs log sync_started / sync_finished at info (log.runs).
enum class RunLogging {
  kAll,      // every run (the default)
  kChanges,  // only runs that stored or tombstoned rows; idle runs log at debug
};

struct LogConfig {
  std::string level = "info";     // trace|debug|info|warn|error
  LogFormat format = LogFormat::kJson;
  RunLogging runs = RunLogging::kAll;  // all|changes
};

struct Config {
  std::string database = "/var/lib/cwsync/cache.db";
  LogConfig log;
  std::optional<std::string> http_listen;  // "127.0.0.1:9464"
  Defaults defaults;
  std::vector<HostCeiling> hosts;
  Retention retention;
  std::optional<std::string> tenants_dir;   // absolute; one tenant per *.yaml
  std::vector<Tenant> tenants;              // the main file's, then tenants_dir's
  std::vector<DisabledTenant> disabled_tenants;  // broken tenants_dir files

  std::string source_path;        // the file it was loaded from
  // Not fatal, but unsafe (a key file anyone may read): check-config and
  // check print them, the daemon logs them (config_warning) at start and reload.
  std::vector<ConfigProblem> warnings;

  const Tenant* find_tenant(std::string_view name) const;
};

struct ConfigError {
  std::vector<ConfigProblem> problems;  // every problem, not just the first
  std::string to_string() const;        // one problem per line
};

constexpr int kExitConfig = 78;   // EX_CONFIG

// Where load_config looks for secrets besides the file itself.
struct ConfigEnvironment {
  // Returns the value of an environment variable, or nullopt. Defaults to
  // getenv; tests inject a map.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Loads, resolves secrets (inline, *_env, *_file, CONNECTWISE_CPQ_*/PSA_* for
// a single tenant, .env beside the file), validates and freezes. See
// docs/config.md. parse_duration/format_duration live in config/duration.h.
// Returns every problem found, never just the first.
std::variant<Config, ConfigError> load_config(const std::string& path,
                                              const ConfigEnvironment& env = {});

// Human-readable summary with every secret masked (check-config output).
std::string describe_config(const Config& config);

}  // namespace cwsync
