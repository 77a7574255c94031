// libFuzzer: the `cwsync enqueue` argument checks (daemon/enqueue_args.h).
// Input: one byte choosing the kind and which text options are given, then
// the option values separated by '\n' (ticket, text, status, start, end,
// member, rounding, billable). A "file" reads back its own name, so the file
// options run without a disk. Invariants: never throws or crashes; an
// accepted row has a positive ticket and a payload the drainer's parser
// accepts (so nothing enqueue lets through is dead on arrival).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/enqueue_args.h"
#include "sync/post_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cwsync;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::vector<std::string> f;
  std::string cur;
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == '\n') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  f.push_back(cur);
  f.resize(8);

  const auto kind = static_cast<storage::PostKind>(mode % 3);
  daemon::EnqueueArgs a;
  a.ticket = f[0];
  if (mode & 0x04) a.text = f[1];
  if (mode & 0x08) a.text_file = f[1];
  if (mode & 0x10) a.notes_file = f[1];
  a.status = f[2];
  a.start = f[3];
  a.end = f[4];
  a.member = f[5];
  a.rounding = f[6];
  a.billable = f[7];
  a.customer_visible = (mode & 0x20) != 0;
  auto echo = [](const std::string& path, std::string_view) -> Result<std::string> { return path; };

  auto row = daemon::build_enqueue_row(kind, a, echo);
  if (!row.ok()) {
    if (row.error().kind != ErrorKind::kInvalidInput || row.error().message.empty()) std::abort();
    return 0;
  }
  if (row->ticket_id <= 0) std::abort();
  if (!parse_payload(kind, row->payload_json).ok()) std::abort();
  return 0;
}
