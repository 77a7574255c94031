// PSA opportunity JSON → pipeline rows, and the status table that says which
// PSA statuses mean won, lost or open (/sales/opportunities/statuses).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/rows.h"

namespace cwsync {

struct PsaStatusInfo {
  std::string name;
  bool won = false, lost = false, closed = false;
};

// Status id → flags. Serialises to the sync_meta cache as JSON.
class OpportunityStatusTable {
 public:
  // From the /sales/opportunities/statuses list. kMalformed when it is not a
  // list of objects with integer ids.
  static Result<OpportunityStatusTable> from_api(const nlohmann::json& list);
  // From the sync_meta value written by to_json(); kMalformed if unreadable.
  static Result<OpportunityStatusTable> from_json(std::string_view text);
  std::string to_json(TimePoint fetched_at) const;
  // When the cached table was fetched (from_json only).
  std::optional<TimePoint> fetched_at() const { return fetched_at_; }

  const PsaStatusInfo* find(std::int64_t id) const;
  std::size_t size() const { return by_id_.size(); }

 private:
  std::map<std::int64_t, PsaStatusInfo> by_id_;
  std::optional<TimePoint> fetched_at_;
};

// The open/won/lost of a status: wonFlag → won; lostFlag → lost; closedFlag
// without either → lost (closed, not won); otherwise open.
storage::OpportunityStatus classify(const PsaStatusInfo& status);

struct MappedOpportunity {
  storage::OpportunityRow row;
  bool unknown_status = false;  // status id not in the table (row marked open)
};

// One /sales/opportunities object → row (source psa). `id` (integer) is
// required (kMalformed otherwise). last_updated is _info.lastUpdated.
Result<MappedOpportunity> map_psa_opportunity(const nlohmann::json& obj, std::string_view raw,
                                              const OpportunityStatusTable& statuses);

}  // namespace cwsync
