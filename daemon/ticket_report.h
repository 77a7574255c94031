// What `cwsync search` and `cwsync ticket` print: the full-text hits and one
// cached ticket with its freshness and PSA posts ("ticket context"). JSON
// and text side by side so the two never drift; the JSON shapes are stable
// (scripts parse `--json`, docs/operations.md shows them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "storage/database.h"
#include "storage/rows.h"

namespace cwsync::daemon {

// The schema version that has psa_tickets and search. Reading commands
// refuse an older file with a hint to migrate, instead of "no such table".
inline constexpr int kTicketSchemaVersion = 4;
// kDatabase "... run `cwsync migrate`" when `db` predates the ticket cache.
Status require_ticket_schema(storage::Database& db);

nlohmann::json search_json(const std::string& text, const std::string& match,
                           const std::vector<storage::SearchHit>& hits);
// One line per hit: "ticket  acme  1001  VPN drops every hour  | ...[vpn]..."
std::string search_text(const std::vector<storage::SearchHit>& hits);

struct TicketContext {
  std::string tenant;
  std::string id;
  // Set when the ticket is cached and live; otherwise `reason` says why not
  // (tickets not enabled, not synced yet, closed beyond the window or
  // deleted upstream) and `last_known` holds a tombstoned row, if any.
  std::optional<storage::CachedTicket> ticket;
  std::optional<storage::CachedTicket> last_known;
  std::string reason;
  std::optional<storage::SyncState> sync;        // the tenant's `tickets` entity
  std::vector<storage::PostHistoryRow> posts;    // oldest first
};

// Looks the ticket up for each of `tenants` (config tenants, or the one
// given). Exactly one tenant with a cached row (live or tombstoned) wins;
// none gives a context with the reason (per tenant when several);
// several gives kInvalidInput naming them ("pass --tenant"). Errors: kDatabase.
Result<TicketContext> read_ticket_context(storage::Database& db,
                                          const std::vector<const Tenant*>& tenants,
                                          std::int64_t id);
nlohmann::json ticket_json(const TicketContext& c, TimePoint now);
std::string ticket_text(const TicketContext& c, TimePoint now);

}  // namespace cwsync::daemon
