// Internal to storage/: brings the full-text index `search` up to date with
// the cache rows noted in `search_pending` (schema version 6). Every storage
// writer that changes cpq_quotes, cpq_opportunities or psa_tickets calls it
// inside its transaction, just before COMMIT, so a reader never sees a row
// the index does not (docs/search.md). It also indexes what a hand edit to
// those tables noted since the last daemon write.
#pragma once

namespace SQLite { class Database; }

namespace cwsync::storage::detail {

// Throws SQLite::Exception (callers run it under guarded()).
void index_pending_search(SQLite::Database& db);

// The SQL script it runs when anything is noted (for bench/ingest's floor,
// which writes through the C API).
const char* reindex_pending_sql();

}  // namespace cwsync::storage::detail
