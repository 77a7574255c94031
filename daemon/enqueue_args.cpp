#include "daemon/enqueue_args.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sync/post_payload.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

Error invalid(std::string message) { return make_error(ErrorKind::kInvalidInput, std::move(message)); }

// Offset of the first byte that is not well-formed UTF-8 (overlongs,
// surrogates and code points past U+10FFFF included), or nullopt.
std::optional<std::size_t> invalid_utf8_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c == 0xe0) { n = 2; lo = 0xa0; }
    else if (c == 0xed) { n = 2; hi = 0x9f; }
    else if (c >= 0xe1 && c <= 0xef) n = 2;
    else if (c == 0xf0) { n = 3; lo = 0x90; }
    else if (c == 0xf4) { n = 3; hi = 0x8f; }
    else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else return i;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return std::nullopt;
}

// `value` of `what` (an option, or a file it named) as UTF-8, or the error.
Status require_utf8(std::string_view value, const std::string& what) {
  auto at = invalid_utf8_at(value);
  if (!at) return {};
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(value[*at]));
  return invalid(what + " is not UTF-8 text (byte " + hex + " at offset " + std::to_string(*at) +
                 "); convert it first, e.g. with `iconv -f latin1 -t utf-8`");
}

// A member given as digits is a member id; anything else is kept as text,
// except a number that cannot be an id ("0", "-3"), which is a mistake.
Status add_member(json& p, const std::string& m) {
  if (m.empty()) return {};
  if (auto id = parse_positive_id(m)) {
    p["member"] = *id;
  } else if (looks_numeric(m)) {
    return invalid("--member " + m + " is not a member id (ids are positive whole numbers)");
  } else {
    p["member"] = m;
  }
  return {};
}

// A text option's value: inline, or read from the file an option names.
Result<std::string> text_value(const std::optional<std::string>& inline_text,
                               const std::optional<std::string>& file, const char* inline_opt,
                               const char* file_opt, const TextReader& read) {
  if (inline_text && file) {
    return invalid(std::string("give either ") + inline_opt + " or " + file_opt + ", not both");
  }
  if (inline_text) {
    if (auto st = require_utf8(*inline_text, inline_opt); !st.ok()) return st.error();
    return *inline_text;
  }
  auto text = read(*file, file_opt);
  if (!text.ok()) return text.error();
  if (auto st = require_utf8(*text, std::string(file_opt) + " " + *file); !st.ok()) return st.error();
  return std::move(*text);
}

Result<json> note_payload(const EnqueueArgs& a, const TextReader& read) {
  if (!a.text && !a.text_file) return invalid("a note needs its text: give --text or --text-file");
  auto text = text_value(a.text, a.text_file, "--text", "--text-file", read);
  if (!text.ok()) return text.error();
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid(a.text ? std::string("--text is empty; a note needs some text")
                          : "--text-file " + *a.text_file + " holds no text; a note needs some");
  }
  json p = {{"text", *text}, {"type", a.type}};
  if (auto st = add_member(p, a.member); !st.ok()) return st.error();
  if (a.customer_visible) p["customer_visible"] = true;
  return p;
}

Result<json> status_payload(const EnqueueArgs& a) {
  if (auto id = parse_positive_id(a.status)) return json{{"status", *id}};
  if (looks_numeric(a.status)) {
    return invalid("--status " + a.status +
                   " is not a status id (ids are positive whole numbers) nor a status name");
  }
  return json{{"status", a.status}};
}

Result<json> time_payload(const EnqueueArgs& a, const TextReader& read) {
  json p = {{"start", a.start}, {"end", a.end}};
  if (!a.rounding.empty()) p["rounding"] = a.rounding;
  if (!a.billable.empty()) p["billable"] = a.billable;
  if (auto st = add_member(p, a.member); !st.ok()) return st.error();
  if (a.notes_file) {
    auto notes = text_value(std::nullopt, a.notes_file, "--notes", "--notes-file", read);
    if (!notes.ok()) return notes.error();
    p["notes"] = *notes;
  }
  return p;
}

}  // namespace

Result<std::string> read_text_file(const std::string& path, std::string_view option) {
  const std::string what = std::string(option) + " " + path;
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return invalid(what + " is a directory; give the file that holds the text");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid("cannot read " + what + ": " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) return invalid("cannot read " + what + ": I/O error");
    text = s.str();
  }
  // A text file's last line ends with a newline; the note should not, or
  // the marker would follow a blank line.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

Result<std::int64_t> parse_ticket_arg(std::string_view text, std::string_view option) {
  const std::string opt(option);
  if (text.empty()) return invalid(opt + " needs a ticket id, a positive whole number");
  if (auto id = parse_positive_id(text)) return *id;
  const std::string shown(text.substr(0, 40));
  if (text.find_first_not_of("0123456789") == std::string_view::npos &&
      text.find_first_not_of('0') != std::string_view::npos) {
    return invalid(opt + " " + shown + " is too large; ticket ids go up to 9223372036854775807");
  }
  return invalid(opt + " '" + shown + "' is not a ticket id; expected a positive whole number");
}

Result<EnqueueRow> build_enqueue_row(storage::PostKind kind, const EnqueueArgs& a,
                                     const TextReader& read) {
  auto ticket = parse_ticket_arg(a.ticket);
  if (!ticket.ok()) return ticket.error();
  const std::pair<const std::string*, const char*> strings[] = {
      {&a.member, "--member"}, {&a.status, "--status"}, {&a.start, "--start"},
      {&a.end, "--end"}, {&a.key, "--idempotency-key"}, {&a.tenant, "--tenant"},
      {&a.type, "--type"}, {&a.rounding, "--rounding"}, {&a.billable, "--billable"}};
  for (const auto& [value, opt] : strings) {
    if (auto st = require_utf8(*value, opt); !st.ok()) return st.error();
  }
  Result<json> payload = json::object();
  switch (kind) {
    case storage::PostKind::kNote: payload = note_payload(a, read); break;
    case storage::PostKind::kStatus: payload = status_payload(a); break;
    case storage::PostKind::kTimeEntry: payload = time_payload(a, read); break;
  }
  if (!payload.ok()) return payload.error();
  EnqueueRow row{*ticket, payload->dump()};
  // The drainer's own parser: what enqueue accepts, the drainer can deliver.
  if (auto parsed = parse_payload(kind, row.payload_json); !parsed.ok()) return parsed.error();
  return row;
}

}  // namespace cwsync::daemon
