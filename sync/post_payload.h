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

// The longest time entry accepted: a longer one is a typo (a wrong year or
// date), never a day's work, and PSA would book it as entered.
inline constexpr std::chrono::hours kMaxTimeEntry{24};

struct TimePayload {
  TimePoint start, end;                  // start < end <= start + kMaxTimeEntry
  Rounding rounding = Rounding::kNone;
  std::optional<std::string> billable;   // PSA billableOption name
  std::optional<std::string> notes;
  std::optional<std::string> member;
};

using PostPayload = std::variant<NotePayload, StatusPayload, TimePayload>;

// Parses and validates `json` for `kind`. kInvalidInput with a message that
// says what is wrong (not JSON, not an object, missing/ill-typed field,
// unknown field, bad enum value, end not after start, longer than 24 h, a
// status that looks like a number but is not a positive id).
Result<PostPayload> parse_payload(storage::PostKind kind, std::string_view json);

// `text` as a positive int64 when it is only ASCII digits and in range;
// nullopt otherwise (empty, a sign, spaces, a fraction, 0, overflow).
std::optional<std::int64_t> parse_positive_id(std::string_view text);
// True when `text` reads as a number (optional sign, digits, optional
// fraction): such a status or ticket is an id or a mistake, never a name.
bool looks_numeric(std::string_view text);

// "Billable" | "DoNotBill" | "NoCharge" | "NoDefault" for the accepted
// spellings (those names, case-insensitive, and billable, dont_bill,
// no_charge, no_default); nullopt otherwise.
std::optional<std::string> billable_option(std::string_view s);

// The canonical payload JSON for each kind (what `cwsync enqueue` stores).
nlohmann::json to_json(const NotePayload& p);
nlohmann::json to_json(const StatusPayload& p);
nlohmann::json to_json(const TimePayload& p);

}  // namespace cwsync
