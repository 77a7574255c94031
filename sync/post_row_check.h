// The checks a psa_posts row passes before anything is sent. Other programs
// insert into the queue with plain SQL (docs/schema.md), so every row is
// untrusted input: the migration's triggers refuse most bad rows at INSERT,
// and this catches the rest (rows from before those triggers, or a trigger
// dropped by hand). A row that fails is dead-lettered with the reason and
// never posted; above all, a ticket id that is not an integer is never
// rounded to some other ticket.
#pragma once

#include "base/result.h"
#include "storage/rows.h"
#include "sync/post_payload.h"

namespace cwsync {

// The parsed payload when `row` is deliverable: an INTEGER ticket_id > 0, a
// known kind and provider, and a payload of its kind's shape
// (parse_payload). Otherwise kInvalidInput; the message is the dead-letter
// reason ("invalid post: ..." or "invalid payload: ..."). Pure; thread-safe.
Result<PostPayload> check_post_row(const storage::PostRow& row);

}  // namespace cwsync
