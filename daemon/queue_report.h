// How the operator CLI (`cwsync queue ...`, `cwsync history`) shows queue
// rows: one JSON shape per row type (stable: scripts parse `--json`) and one
// text line per row. Pure; no I/O.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/rows.h"

namespace cwsync {

// Field names follow the psa_posts / psa_activity_log columns; times are
// ISO-8601 UTC; absent values are null. The payload is embedded as JSON when
// it parses, else as the raw string.
nlohmann::json to_json(const storage::PostRow& post);
nlohmann::json to_json(const storage::ActivityRow& event);
nlohmann::json to_json(const storage::PostHistoryRow& row);

// "  12  acme  note        ticket 1001  pending    2 tries  next 2026-...  <last error>"
std::string post_line(const storage::PostRow& post);
// "2026-11-23T12:00:00Z  attempt #2  http 502  340ms  <message>"
std::string activity_line(const storage::ActivityRow& event);
// "2026-11-23T12:00:00Z  #12 note  succeeded  remote 50007  <last error>"
std::string history_line(const storage::PostHistoryRow& row);

}  // namespace cwsync
