// libFuzzer: the queue row validator (sync/post_row_check.h), the last check
// before a row another program inserted is sent. Input: byte 0 picks the kind
// (3 = unknown) and whether ticket_id was stored as text; byte 1 the provider;
// then the ticket (8 bytes as an integer, or text up to '\n'), then the
// payload. Invariants: never throws or crashes; an accepted row has an
// INTEGER positive ticket, a kind and the known provider; and what it
// accepted re-encodes (to_json) into a payload it accepts again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>

#include "sync/post_row_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cwsync;
  if (size < 2) return 0;
  storage::PostRow row;
  const std::uint8_t mode = data[0];
  if (mode % 4 != 3) row.kind = static_cast<storage::PostKind>(mode % 4);
  row.provider = (data[1] & 1) ? "connectwise" : std::string(1, static_cast<char>(data[1]));
  std::size_t i = 2;
  if (mode & 0x10) {
    std::string text;
    while (i < size && data[i] != '\n') text += static_cast<char>(data[i++]);
    row.ticket_id_text = text;
    row.ticket_id = std::atoll(text.c_str());  // what SQLite's getInt64 would round it to
    if (i < size) ++i;
  } else if (size - i >= 8) {
    std::memcpy(&row.ticket_id, data + i, 8);
    i += 8;
  }
  row.payload.assign(reinterpret_cast<const char*>(data + i), size - i);

  auto checked = check_post_row(row);
  if (!checked.ok()) {
    if (checked.error().kind != ErrorKind::kInvalidInput || checked.error().message.empty()) std::abort();
    return 0;
  }
  if (row.ticket_id <= 0 || row.ticket_id_text || !row.kind || row.provider != "connectwise") std::abort();
  const std::string again = std::visit([](const auto& p) { return to_json(p).dump(); }, *checked);
  if (!parse_payload(*row.kind, again).ok()) std::abort();
  return 0;
}
