// Ticket status lookup for queued status posts: a ticket's board and current
// status (GET service/tickets/{id}), and a board's statuses by name
// (GET service/boards/{id}/statuses, cached per board).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/psa_directory.h"

namespace cwsync {

struct TicketStatus {
  std::int64_t ticket_id = 0;
  std::int64_t board_id = 0;
  std::int64_t status_id = 0;
  std::string status_name;
};

class StatusDirectory {
 public:
  // `psa` must outlive the directory. `ttl`: how long a board's list is used.
  StatusDirectory(PsaEndpoint& psa, const Clock& clock, Millis ttl = std::chrono::hours(1));

  // The ticket's board and current status (always fetched, never cached).
  // Errors: the request's (kNotFound for an unknown ticket), kMalformed.
  Result<TicketStatus> ticket(std::int64_t ticket_id);

  // The id of the status called `name` (case-insensitive, trimmed) on
  // `board_id`. An unknown name refreshes a stale list once, then is
  // kInvalidInput "unknown status 'X' on board B; valid: A, B, C".
  // Thread-safe.
  Result<std::int64_t> resolve(std::int64_t board_id, std::string_view name);

  // The statuses of `board_id` (cached). Thread-safe.
  Result<std::vector<PsaStatus>> list(std::int64_t board_id) { return names_.list(board_id); }

 private:
  Result<std::vector<PsaStatus>> fetch(std::int64_t board_id);

  PsaEndpoint& psa_;
  StatusNames names_;
};

}  // namespace cwsync
