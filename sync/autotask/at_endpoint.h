// Where an Autotask tenant's REST API lives and how it is queried
// (docs/design.md, "Upstream: Autotask PSA"):
//   GET {zone_lookup_url}V1.0/ZoneInformation?user={username}   (no auth)
//     → {"zoneName","url","webUrl","ci"}; every call goes to {url}V1.0/...
//   POST {Entity}/query {"filter":[…],"IncludeFields":[…],"MaxRecords":500}
//     → {"items":[…],"pageDetails":{"nextPageUrl":…}}; the next page is a
//       POST of the same body to nextPageUrl (ApiClient + api_pager do the
//       retries, limits and paging).
// The zone is looked up once and cached; `zone_url` in the config pins it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "base/result.h"
#include "sync/http/api_client.h"
#include "sync/http/api_pager.h"

namespace cwsync {

// Autotask's largest page.
inline constexpr int kAutotaskMaxRecords = 500;

// A filter item {"op","field","value"}.
nlohmann::json at_filter(std::string_view op, std::string_view field, nlohmann::json value);

class AutotaskEndpoint;

// Picklist value → label, per field name ("status" → {5: "Complete"}).
using AtPicklistLabels = std::map<std::string, std::map<std::int64_t, std::string>>;

// The labels of `fields`' picklists from GET {entity}/entityInformation/fields
// (non-numeric values skipped; a field without a picklist maps to nothing).
// Errors: the read's.
Result<AtPicklistLabels> read_picklist_labels(AutotaskEndpoint& at, const std::string& entity,
                                              const std::vector<std::string>& fields,
                                              const CallOptions& options);

// The label of value `v` in `labels` (a field's picklist), or nullopt.
std::optional<std::string> picklist_label(const AtPicklistLabels& labels, const std::string& field,
                                          std::optional<std::int64_t> v);

class AutotaskEndpoint {
 public:
  // `api` must outlive this object and carry AutotaskAuth and the Autotask
  // ErrorRefiner. `conn` must be an Autotask connection; copied.
  AutotaskEndpoint(const PsaConnection& conn, ApiClient& api);

  // The zone's REST root, e.g. "https://webservices5.autotask.net/ATServicesRest/",
  // looked up on first use unless pinned. Errors: the lookup's (kAuth for an
  // unknown user name), kMalformed (no url in the answer). Thread-safe.
  Result<std::string> zone_url();

  // Sends `request`, whose url is relative to {zone}V1.0/ ("Tickets/5").
  // Errors as ApiClient::execute, and zone_url()'s.
  Result<HttpResponse> execute(HttpRequest request, const CallOptions& options = {});
  // GET a relative path and parse the JSON body.
  Result<nlohmann::json> get_json(const std::string& path, const CallOptions& options = {});

  // POST {entity}/query with `filter` (a non-empty array), every page in
  // order (MaxRecords 500) until the handler stops. `include`: IncludeFields
  // (empty: every field).
  Result<PagingStats> query(const std::string& entity, const nlohmann::json& filter,
                            const std::vector<std::string>& include, const PageHandler& handler,
                            const CallOptions& options = {});

  ApiClient& api() { return api_; }
  // The zone in use, or nullopt before the first lookup.
  std::optional<std::string> zone() const;

 private:
  std::string username_;
  std::string lookup_url_;
  ApiClient& api_;
  mutable std::mutex mu_;
  std::optional<std::string> zone_;
};

}  // namespace cwsync
