// The arguments of `cwsync enqueue note|status|time`, checked and turned into
// a queue row before anything touches the database (docs/queue.md). Kept
// apart from the command so tests and the fuzzer drive it without a config,
// a database or a terminal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/rows.h"

namespace cwsync::daemon {

// Every option as typed; nothing parsed yet. An optional is unset when the
// option was not given (so `--text ""` is told apart from no --text).
struct EnqueueArgs {
  std::string tenant, key, ticket;
  bool json = false;
  // note
  std::string type = "internal", member;
  std::optional<std::string> text, text_file;
  bool customer_visible = false;
  // status
  std::string status;
  // time
  std::string start, end, rounding, billable;
  std::optional<std::string> notes_file;
};

// What enqueue stores: the ticket and the payload JSON (parse_payload accepts it).
struct EnqueueRow {
  std::int64_t ticket_id = 0;
  std::string payload_json;
};

// Reads the file an option names ("-": stdin). kInvalidInput with a message
// naming the option and the path (missing, a directory, unreadable).
using TextReader =
    std::function<Result<std::string>(const std::string& path, std::string_view option)>;

// The real TextReader: the file's bytes without trailing newlines.
Result<std::string> read_text_file(const std::string& path, std::string_view option);

// A ticket id as typed: ASCII digits only, 1..INT64_MAX. kInvalidInput naming
// `option` otherwise ("99999999999999999999 is too large", "-3 is not ...").
Result<std::int64_t> parse_ticket_arg(std::string_view text, std::string_view option = "--ticket");

// Checks every option of `kind` (ticket, UTF-8 text, note type, status,
// times, member) and builds the row. kInvalidInput with one line for the
// user; never throws. Files are read through `read`.
Result<EnqueueRow> build_enqueue_row(storage::PostKind kind, const EnqueueArgs& args,
                                     const TextReader& read = read_text_file);

}  // namespace cwsync::daemon
