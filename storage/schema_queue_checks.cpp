// Migration 3: psa_posts refuses ill-typed rows at INSERT (and at an UPDATE
// of the columns a post is made of). Other programs write this table with
// plain SQL; SQLite's INTEGER affinity keeps '1010abc' or 1011.5 as they
// are, and reading them as integers would post to ticket 1010 or 1011. The
// triggers check what SQL can check cheaply; the drainer
// (sync/post_row_check.h) checks everything again and dead-letters what
// slipped through (rows from before this migration). RAISE messages are
// constant in this SQLite, so they name the column and the rule, and
// docs/schema.md lists them.
#include <string>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// The body shared by both triggers. Each check runs only when the earlier
// ones passed (RAISE aborts), so the payload is a JSON object from the third
// check on. CASE, not OR: json_type() on malformed JSON is an error.
constexpr const char* kChecks = R"SQL(
  SELECT RAISE(ABORT, 'psa_posts.ticket_id must be a positive INTEGER ticket id, not text or a fraction (see docs/schema.md)')
  WHERE typeof(NEW.ticket_id) <> 'integer' OR NEW.ticket_id <= 0;
  SELECT RAISE(ABORT, 'psa_posts.payload must be a JSON object (see docs/schema.md, Payloads)')
  WHERE CASE WHEN json_valid(NEW.payload) THEN json_type(NEW.payload) IS NOT 'object' ELSE 1 END;
  SELECT RAISE(ABORT, 'psa_posts.payload of a note needs "text", a non-empty string')
  WHERE NEW.kind = 'note'
    AND (json_type(NEW.payload, '$.text') IS NOT 'text'
         OR trim(json_extract(NEW.payload, '$.text'), ' ' || char(9, 10, 13)) = '');
  SELECT RAISE(ABORT, 'psa_posts.payload of a status post needs "status", a status name or a positive status id')
  WHERE NEW.kind = 'status'
    AND (IFNULL(json_type(NEW.payload, '$.status'), 'null') NOT IN ('text', 'integer')
         OR (json_type(NEW.payload, '$.status') = 'integer' AND json_extract(NEW.payload, '$.status') <= 0));
  SELECT RAISE(ABORT, 'psa_posts.payload of a time_entry needs "start" and "end", ISO-8601 UTC times')
  WHERE NEW.kind = 'time_entry'
    AND (json_type(NEW.payload, '$.start') IS NOT 'text' OR json_type(NEW.payload, '$.end') IS NOT 'text');
  SELECT RAISE(ABORT, 'psa_posts.payload of a time_entry must end after it starts and last at most 24 hours')
  WHERE NEW.kind = 'time_entry'
    AND julianday(json_extract(NEW.payload, '$.start')) IS NOT NULL
    AND julianday(json_extract(NEW.payload, '$.end')) IS NOT NULL
    AND round((julianday(json_extract(NEW.payload, '$.end')) -
               julianday(json_extract(NEW.payload, '$.start'))) * 86400) NOT BETWEEN 1 AND 86400;
)SQL";

const std::string& queue_checks() {
  static const std::string sql =
      std::string("CREATE TRIGGER psa_posts_check_insert BEFORE INSERT ON psa_posts\nBEGIN") +
      kChecks +
      "END;\n"
      "CREATE TRIGGER psa_posts_check_update BEFORE UPDATE OF ticket_id, kind, payload "
      "ON psa_posts\nBEGIN" +
      kChecks + "END;\n";
  return sql;
}

}  // namespace

const char* schema_queue_checks() { return queue_checks().c_str(); }

}  // namespace cwsync::storage::detail
