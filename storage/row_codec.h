// Internal to storage/: the column lists of the cache tables and the mapping
// between them and the row structs, kept in one place so writes and reads
// cannot drift apart. Not a public header.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Statement.h>

#include "storage/rows.h"

namespace cwsync::storage::detail {

// Typed columns of each table, excluding tenant, synced_at and deleted_at.
const std::vector<const char*>& quote_columns();
const std::vector<const char*>& item_columns();
const std::vector<const char*>& opportunity_columns();
const std::vector<const char*>& ticket_columns();

// "INSERT ... ON CONFLICT(tenant, id) DO UPDATE ..." binding :tenant,
// :synced_at and one :name per column; an update clears deleted_at.
std::string upsert_sql(const char* table, const std::vector<const char*>& columns);
// " AND (closed = 0 OR closed_at > '<iso>')": psa_tickets rows inside the
// pull's closed window (the time is our own ISO text, never user input).
std::string ticket_window_sql(TimePoint closed_after);
// "c1, c2, ..." for SELECTs.
std::string select_list(const std::vector<const char*>& columns);

// Binds every parameter of the table's upsert_sql() statement. The row must
// outlive the statement's exec() (its strings are bound without a copy).
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const QuoteRow& row);
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const QuoteItemRow& row);
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const OpportunityRow& row);
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const TicketRow& row);

// Read the current row of a SELECT that lists the table's columns by name.
QuoteRow read_quote(SQLite::Statement& st);
QuoteItemRow read_item(SQLite::Statement& st);
OpportunityRow read_opportunity(SQLite::Statement& st);
TicketRow read_ticket(SQLite::Statement& st);

// "SELECT p.*, attempts, last_requeued_at FROM psa_posts p " — append WHERE.
extern const char* const kPostSelect;
PostRow read_post(SQLite::Statement& st);        // a kPostSelect row
ActivityRow read_activity(SQLite::Statement& st);  // a psa_activity_log row

}  // namespace cwsync::storage::detail
