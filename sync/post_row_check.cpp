#include "sync/post_row_check.h"

#include <string>

namespace cwsync {
namespace {

// Providers this build can deliver to; a row naming another is not ours to
// guess at.
constexpr const char* kKnownProviders[] = {"connectwise", "autotask"};

Error invalid_post(const std::string& why) {
  return make_error(ErrorKind::kInvalidInput, "invalid post: " + why, "psa_posts");
}

// A stored value for a message: printable ASCII kept, other bytes as \xNN,
// at most 40 characters, so junk from SQL cannot break a log line.
std::string shown(std::string_view raw) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (raw.size() > 40) out += "...";
  return out;
}

}  // namespace

Result<PostPayload> check_post_row(const storage::PostRow& row) {
  if (row.ticket_id_text) {
    return invalid_post("ticket_id '" + shown(*row.ticket_id_text) +
                        "' is not a whole number; it was not sent to any ticket. Insert "
                        "ticket_id as an INTEGER (docs/schema.md)");
  }
  if (row.ticket_id <= 0) {
    return invalid_post("ticket_id " + std::to_string(row.ticket_id) +
                        " is not a ticket id; expected a positive whole number");
  }
  if (!row.kind) return invalid_post("unknown kind; expected note, status or time_entry");
  bool known = false;
  for (const char* p : kKnownProviders) known = known || row.provider == p;
  if (!known) {
    return invalid_post("unknown provider '" + shown(row.provider) + "'; expected connectwise or autotask");
  }
  auto payload = parse_payload(*row.kind, row.payload);
  if (!payload.ok()) {
    return make_error(ErrorKind::kInvalidInput, "invalid payload: " + payload.error().message,
                      "psa_posts");
  }
  return payload;
}

}  // namespace cwsync
