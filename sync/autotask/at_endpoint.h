// Where an Autotask tenant's REST API lives and how it is queried
// (docs/design.md, "Upstream: Autotask PSA"):
//   GET {zone_lookup_url}V1.0/ZoneInformation?user={username}   (no auth)
//     → {"zoneName","url","webUrl","ci"}; every call goes to {url}V1.0/...
//   POST {Entity}/query {"filter":[…],"IncludeFields":[…],"MaxRecords":500}
//     → {"items":[…],"pageDetails":{"nextPageUrl":…}}; the next page is a
//       POST of the same body to nextPageUrl (ApiClient + api_pager do the
//       retries, limits and paging).
// The zone is looked up once and shared by every client of the API user in
// the process (AutotaskSharedState), then looked up again after
// kLocationRefresh; `zone_url` in the config pins it.
// Autotask can move a database to another zone: a looked-up zone is looked
// up again when a call's answer may mean "wrong zone" (may_be_wrong_zone),
// at most once per kAutotaskZoneRecheck, and the call is sent once more to
// the new zone when it moved (docs/design.md, "Upstream: Autotask PSA").
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "base/result.h"
#include "sync/http/api_client.h"
#include "sync/http/api_pager.h"
#include "sync/http/upstream.h"

namespace cwsync {

// Autotask's largest page.
inline constexpr int kAutotaskMaxRecords = 500;

// The shortest time between two re-lookups of a looked-up zone. A database
// move is rare and the lookup is cheap, but every 404 (a deleted ticket, a
// gone record) would otherwise cost a lookup: this bounds them to 12 an hour
// per endpoint, and a move is followed within this time at worst.
inline constexpr std::chrono::minutes kAutotaskZoneRecheck{5};

// Whether a failed call's error may mean the tenant's database is no longer
// in the zone the call went to, so that the zone is worth looking up again:
// any 404, and any 4xx/5xx whose Autotask message names the zone. Never an
// ambiguous error (it may have been applied: resending could post twice) nor
// a local fast-fail. Pure.
bool may_be_wrong_zone(const Error& error);

// A filter item {"op","field","value"}.
nlohmann::json at_filter(std::string_view op, std::string_view field, nlohmann::json value);

class AutotaskEndpoint;

// Picklist value → label, per field name ("status" → {5: "Complete"}).
using AtPicklistLabels = std::map<std::string, std::map<std::int64_t, std::string>>;

// How long picklist labels read for a pull are reused before they are read
// again. Labels are only shown (a status value, not its label, decides open,
// won or lost), so a renamed label may show its old name for this long.
inline constexpr std::chrono::hours kAutotaskPicklistRefresh{1};

// What one API user's Autotask database told us that outlives one job's
// clients (UpstreamRegistry::connection_state, key autotask_state_key()):
// the zone, the pulls' picklist labels and when its request count was last
// read. Guarded by `mu`.
struct AutotaskSharedState {
  std::mutex mu;
  std::optional<std::string> zone;
  std::optional<TimePoint> looked_up_at;
  std::optional<TimePoint> last_recheck;  // the last re-lookup a wrong-zone answer forced
  struct Labels {
    TimePoint read_at;
    AtPicklistLabels labels;
  };
  std::map<std::string, Labels> picklists;  // by entity and field list
  std::optional<TimePoint> usage_read_at;   // the last ThresholdInformation read
};

// The connection_state key of an Autotask connection: its zone lookup URL
// and API user name (lower-cased; no secret).
std::string autotask_state_key(const AutotaskSettings& conn);

// The labels of `fields`' picklists from GET {entity}/entityInformation/fields
// (non-numeric values skipped; a field without a picklist maps to nothing),
// or the same labels read less than kAutotaskPicklistRefresh ago by any
// client of this API user. Errors: the read's.
Result<AtPicklistLabels> read_picklist_labels(AutotaskEndpoint& at, const std::string& entity,
                                              const std::vector<std::string>& fields,
                                              const CallOptions& options);

// The label of value `v` in `labels` (a field's picklist), or nullopt.
std::optional<std::string> picklist_label(const AtPicklistLabels& labels, const std::string& field,
                                          std::optional<std::int64_t> v);

class AutotaskEndpoint {
 public:
  // `api` must outlive this object and carry AutotaskAuth and the Autotask
  // ErrorRefiner. `conn` must be an Autotask connection; copied. `state`:
  // the API user's shared state; null: this endpoint's own.
  AutotaskEndpoint(const PsaConnection& conn, ApiClient& api,
                   std::shared_ptr<AutotaskSharedState> state = nullptr);

  // The zone's REST root, e.g. "https://webservices5.autotask.net/ATServicesRest/",
  // looked up on first use unless pinned (and again after a move, see
  // execute(), or after kLocationRefresh, when a failed lookup keeps the
  // zone it had). Errors: the lookup's (kAuth for an unknown user name),
  // kMalformed (no url in the answer). Thread-safe.
  Result<std::string> zone_url();

  // Sends `request`, whose url is relative to {zone}V1.0/ ("Tickets/5").
  // When the answer may mean the database moved (may_be_wrong_zone) and the
  // zone was looked up, not pinned, the zone is looked up again (rate
  // limited, kAutotaskZoneRecheck) and, if it changed, the request is sent
  // once to the new zone. Otherwise the original error stands.
  // Errors as ApiClient::execute, and zone_url()'s.
  Result<HttpResponse> execute(HttpRequest request, const CallOptions& options = {});
  // GET a relative path and parse the JSON body.
  Result<nlohmann::json> get_json(const std::string& path, const CallOptions& options = {});

  // POST {entity}/query with `filter` (a non-empty array), every page in
  // order (MaxRecords 500) until the handler stops. `include`: IncludeFields
  // (empty: every field). A wrong-zone answer to the first page is followed
  // as in execute() (the query starts again at the new zone); one to a later
  // page fails the query, after the re-lookup, so that the caller commits
  // nothing of that page and its next run starts at the new zone.
  Result<PagingStats> query(const std::string& entity, const nlohmann::json& filter,
                            const std::vector<std::string>& include, const PageHandler& handler,
                            const CallOptions& options = {});

  ApiClient& api() { return api_; }
  // The API user's shared state (the picklist cache lives there).
  AutotaskSharedState& state() { return *state_; }
  // The zone in use, or nullopt before the first lookup.
  std::optional<std::string> zone() const;
  // The host state (breaker, ceiling) of the zone in use, or of the zone
  // lookup before the first one. Never null.
  std::shared_ptr<UpstreamHost> zone_host() const;

 private:
  // GET ZoneInformation and store the zone. Call with state_->mu held.
  Result<std::string> look_up_locked();
  // After a wrong-zone answer from `used`: the zone to send to instead, or
  // nullopt (pinned, unchanged, rate limited or the lookup failed).
  std::optional<std::string> moved_from(const std::string& used);

  std::string username_;
  std::string lookup_url_;
  ApiClient& api_;
  std::optional<std::string> pinned_;  // conn.autotask->zone_url, with its slash
  std::shared_ptr<AutotaskSharedState> state_;  // never null; times are ApiClient::clock's
};

}  // namespace cwsync
