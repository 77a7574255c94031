// The payload contract of psa_posts (docs/schema.md "Payloads"): parsing and
// validating the JSON another program (or `cwsync enqueue`) stored, and
// building it for the CLI. A payload that fails here is dead on first sight.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "storage/rows.h"
#include "sync/time_rounding.h"

namespace cwsync {

enum class NoteType { kInternal, kResolution, kDescription };
const char* to_string(NoteType t);                       // "internal" ...
std::optional<NoteType> parse_note_type(std::string_view s);

struct NotePayload {
  std::string text;                      // non-empty
  NoteType type = NoteType::kInternal;
  std::optional<std::string> member;     // email, numeric id or identifier
  bool customer_visible = false;
};

struct StatusPayload {
  std::optional<std::int64_t> status_id; // exactly one of id / name is set
  std::optional<std::string> status_name;
};

struct TimePayload {
  TimePoint start, end;                  // end > start
  Rounding rounding = Rounding::kNone;
  std::optional<std::string> billable;   // PSA billableOption name
  std::optional<std::string> notes;
  std::optional<std::string> member;
};

using PostPayload = std::variant<NotePayload, StatusPayload, TimePayload>;

// Parses and validates `json` for `kind`. kInvalidInput with a message that
// says what is wrong (not JSON, not an object, missing/ill-typed field,
// unknown field, bad enum value, end not after start).
Result<PostPayload> parse_payload(storage::PostKind kind, std::string_view json);

// "Billable" | "DoNotBill" | "NoCharge" | "NoDefault" for the accepted
// spellings (those names, case-insensitive, and billable, dont_bill,
// no_charge, no_default); nullopt otherwise.
std::optional<std::string> billable_option(std::string_view s);

// The canonical payload JSON for each kind (what `cwsync enqueue` stores).
nlohmann::json to_json(const NotePayload& p);
nlohmann::json to_json(const StatusPayload& p);
nlohmann::json to_json(const TimePayload& p);

}  // namespace cwsync
