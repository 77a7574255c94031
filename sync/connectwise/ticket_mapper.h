// ConnectWise PSA service ticket JSON (/service/tickets) → the provider-neutral
// psa_tickets row. Another PSA (Autotask) brings its own mapper; the pull
// engine adapter and the tables do not change.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/rows.h"

namespace cwsync {

// One ticket object → row (provider "connectwise", number = id). `id`
// (integer) is required (kMalformed otherwise); every other field is
// optional. updated_at is _info.lastUpdated, created_at _info.dateEntered,
// both truncated to whole seconds (the cursor's precision).
Result<storage::TicketRow> map_cw_ticket(const nlohmann::json& obj, std::string_view raw);

}  // namespace cwsync
