#include "sync/post_payload.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <set>
#include <Poco/String.h>

namespace cwsync {
namespace {

using nlohmann::json;

Error invalid(std::string message) {
  return make_error(ErrorKind::kInvalidInput, std::move(message), "payload");
}

// Rejects fields outside `known`, so a typo ("txt") is not silently ignored.
Status check_fields(const json& j, const std::set<std::string>& known, std::string_view kind) {
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      return invalid("unknown field '" + key + "' in a " + std::string(kind) +
                     " payload (known: " + names + ")");
    }
  }
  return {};
}

Result<std::optional<std::string>> optional_string(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return std::optional<std::string>();
  if (!j[name].is_string()) return invalid(std::string("'") + name + "' must be a string");
  return std::optional<std::string>(j[name].get<std::string>());
}

// A member reference: a string, or a positive integer id.
Result<std::optional<std::string>> member_field(const json& j) {
  if (!j.contains("member") || j["member"].is_null()) return std::optional<std::string>();
  const json& m = j["member"];
  if (m.is_number_integer() && m.get<long long>() > 0) {
    return std::optional<std::string>(std::to_string(m.get<long long>()));
  }
  if (m.is_string() && !m.get<std::string>().empty()) {
    return std::optional<std::string>(m.get<std::string>());
  }
  return invalid("'member' must be an email, an identifier or a positive member id");
}

Result<PostPayload> parse_note(const json& j) {
  if (auto st = check_fields(j, {"text", "type", "member", "customer_visible"}, "note"); !st.ok()) {
    return st.error();
  }
  NotePayload p;
  if (!j.contains("text") || !j["text"].is_string()) return invalid("a note needs 'text' (a string)");
  p.text = j["text"].get<std::string>();
  if (p.text.find_first_not_of(" \t\r\n") == std::string::npos) return invalid("note 'text' is empty");
  auto type = optional_string(j, "type");
  if (!type.ok()) return type.error();
  if (*type) {
    auto t = parse_note_type(**type);
    if (!t) return invalid("note 'type' must be internal, resolution or description, not '" + **type + "'");
    p.type = *t;
  }
  auto member = member_field(j);
  if (!member.ok()) return member.error();
  p.member = *member;
  if (j.contains("customer_visible") && !j["customer_visible"].is_null()) {
    if (!j["customer_visible"].is_boolean()) return invalid("'customer_visible' must be true or false");
    p.customer_visible = j["customer_visible"].get<bool>();
  }
  return PostPayload(std::move(p));
}

Result<PostPayload> parse_status(const json& j) {
  if (auto st = check_fields(j, {"status"}, "status"); !st.ok()) return st.error();
  StatusPayload p;
  if (!j.contains("status")) return invalid("a status post needs 'status' (a name or an id)");
  const json& s = j["status"];
  if (s.is_number_integer() && s.get<long long>() > 0) {
    p.status_id = s.get<long long>();
  } else if (s.is_string() && parse_positive_id(s.get<std::string>())) {
    p.status_id = parse_positive_id(s.get<std::string>());
  } else if (s.is_string() && looks_numeric(s.get<std::string>())) {
    return invalid("'status' " + s.get<std::string>() +
                   " is neither a status id (a positive whole number) nor a status name");
  } else if (s.is_string() && s.get<std::string>().find_first_not_of(' ') != std::string::npos) {
    p.status_name = s.get<std::string>();
  } else {
    return invalid("'status' must be a status name or a positive status id");
  }
  return PostPayload(std::move(p));
}

Result<TimePoint> time_field(const json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) {
    return invalid(std::string("a time entry needs '") + name + "' (an ISO-8601 time)");
  }
  auto t = parse_iso8601(j[name].get<std::string>());
  if (!t) return invalid(std::string("'") + name + "' is not an ISO-8601 time: '" +
                         j[name].get<std::string>() + "'");
  return *t;
}

Result<PostPayload> parse_time(const json& j) {
  if (auto st = check_fields(j, {"start", "end", "rounding", "billable", "notes", "member"},
                             "time_entry");
      !st.ok()) {
    return st.error();
  }
  TimePayload p;
  auto start = time_field(j, "start");
  if (!start.ok()) return start.error();
  auto end = time_field(j, "end");
  if (!end.ok()) return end.error();
  p.start = *start;
  p.end = *end;
  if (p.end <= p.start) {
    return invalid("'end' (" + format_iso8601(p.end) + ") must be after 'start' (" +
                   format_iso8601(p.start) + ")");
  }
  // In whole seconds: parsed times span 1678..2262, and that gap in the
  // clock's nanoseconds overflows a 64-bit count.
  const auto seconds_of = [](TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch());
  };
  const auto length = seconds_of(p.end) - seconds_of(p.start);
  if (length > kMaxTimeEntry) {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(length).count();
    return invalid("a time entry from " + format_iso8601(p.start) + " to " + format_iso8601(p.end) +
                   " is " + std::to_string(hours) +
                   " hours long; at most 24 h is accepted (check the date and year)");
  }
  auto rounding = optional_string(j, "rounding");
  if (!rounding.ok()) return rounding.error();
  if (*rounding) {
    auto r = parse_rounding(**rounding);
    if (!r) return invalid("'rounding' must be 15m, 30m, exact or none, not '" + **rounding + "'");
    p.rounding = *r;
  }
  if (j.contains("billable") && !j["billable"].is_null()) {
    const json& b = j["billable"];
    if (b.is_boolean()) {
      p.billable = b.get<bool>() ? "Billable" : "DoNotBill";
    } else if (b.is_string() && billable_option(b.get<std::string>())) {
      p.billable = billable_option(b.get<std::string>());
    } else {
      return invalid("'billable' must be true, false, Billable, DoNotBill, NoCharge or NoDefault");
    }
  }
  auto notes = optional_string(j, "notes");
  if (!notes.ok()) return notes.error();
  p.notes = *notes;
  auto member = member_field(j);
  if (!member.ok()) return member.error();
  p.member = *member;
  return PostPayload(std::move(p));
}

}  // namespace

const char* to_string(NoteType t) {
  switch (t) {
    case NoteType::kInternal: return "internal";
    case NoteType::kResolution: return "resolution";
    case NoteType::kDescription: return "description";
  }
  return "internal";
}

std::optional<NoteType> parse_note_type(std::string_view s) {
  std::string l = Poco::toLower(std::string(s));
  if (l == "internal") return NoteType::kInternal;
  if (l == "resolution") return NoteType::kResolution;
  if (l == "description") return NoteType::kDescription;
  return std::nullopt;
}

std::optional<std::string> billable_option(std::string_view s) {
  std::string l = Poco::toLower(std::string(s));
  if (l == "billable") return "Billable";
  if (l == "donotbill" || l == "dont_bill") return "DoNotBill";
  if (l == "nocharge" || l == "no_charge") return "NoCharge";
  if (l == "nodefault" || l == "no_default") return "NoDefault";
  return std::nullopt;
}

std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

bool looks_numeric(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t digits_from = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
  if (i == digits_from) return false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
  }
  return i == text.size();
}

Result<PostPayload> parse_payload(storage::PostKind kind, std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("payload is not valid JSON");
  if (!j.is_object()) return invalid("payload must be a JSON object");
  switch (kind) {
    case storage::PostKind::kNote: return parse_note(j);
    case storage::PostKind::kStatus: return parse_status(j);
    case storage::PostKind::kTimeEntry: return parse_time(j);
  }
  return invalid("unknown post kind");
}

nlohmann::json to_json(const NotePayload& p) {
  json j = {{"text", p.text}, {"type", to_string(p.type)}};
  if (p.member) j["member"] = *p.member;
  if (p.customer_visible) j["customer_visible"] = true;
  return j;
}

nlohmann::json to_json(const StatusPayload& p) {
  if (p.status_id) return {{"status", *p.status_id}};
  return {{"status", p.status_name.value_or("")}};
}

nlohmann::json to_json(const TimePayload& p) {
  json j = {{"start", format_iso8601(p.start)},
            {"end", format_iso8601(p.end)},
            {"rounding", to_string(p.rounding)}};
  if (p.billable) j["billable"] = *p.billable;
  if (p.notes) j["notes"] = *p.notes;
  if (p.member) j["member"] = *p.member;
  return j;
}

}  // namespace cwsync
