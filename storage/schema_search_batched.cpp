// Migration 6: the full-text index `search` is brought up to date once per
// write transaction instead of once per row (frozen once released).
//
// Why: version 4 wrote the FTS5 table from row triggers. A trigger runs inside
// the statement that fired it, each such statement opens a savepoint, and an
// FTS5 table flushes its pending terms to a new on-disk segment at every
// savepoint. A page of 1,000 quotes therefore wrote ~2,000 tiny segments and
// merged them again: about 40 % of the CPU of a full quote sync
// (bench/ingest). Now the row triggers only note which (kind, tenant, id)
// changed, in `search_pending` (a plain table, cheap to write), and the
// writer re-indexes the noted keys with a few set-based statements just
// before COMMIT (storage/search_index.cpp), so the index is still exact at
// every commit the daemon makes.
//
// The notes are skipped when an update leaves the indexed columns as they
// were (an incremental sync rewrites unchanged rows).
//
// Pipeline items derived from quotes (source 'quotes') leave the index: each
// was a second hit with the same words as its quote, which is indexed
// already; a search now finds it once, as the quote.
#include <functional>
#include <string>
#include <vector>

#include "storage/schema_sql.h"

namespace cwsync::storage::detail {
namespace {

// Append-only, no index: a note costs one row at the end of one B-tree, and
// the re-index reads each key once however often it was noted. `seq` keeps
// arrival order, so search_keys (whose keys are the FTS rowids that the
// unranked listing orders by) are assigned in the order rows arrived, as
// before.
const char* const kPendingTable = R"SQL(
CREATE TABLE search_pending (
  seq    INTEGER PRIMARY KEY,
  kind   TEXT NOT NULL CHECK (kind IN ('quote', 'opportunity', 'ticket')),
  tenant TEXT NOT NULL,
  id     TEXT NOT NULL
);
DROP TRIGGER cpq_quotes_search_insert;
DROP TRIGGER cpq_quotes_search_update;
DROP TRIGGER cpq_quotes_search_delete;
DROP TRIGGER cpq_opportunities_search_insert;
DROP TRIGGER cpq_opportunities_search_update;
DROP TRIGGER cpq_opportunities_search_delete;
DROP TRIGGER psa_tickets_search_insert;
DROP TRIGGER psa_tickets_search_update;
DROP TRIGGER psa_tickets_search_delete;
DELETE FROM search WHERE rowid IN (
  SELECT k.key FROM search_keys k
  JOIN cpq_opportunities o ON o.tenant = k.tenant AND o.id = k.id
  WHERE k.kind = 'opportunity' AND o.source = 'quotes');
)SQL";

// Notes that (kind, tenant, id) needs re-indexing; `guard`, when given, is a
// condition over OLD and NEW.
std::string note(const std::string& kind, const std::string& tenant, const std::string& id,
                 const std::string& guard = "") {
  const std::string values = "'" + kind + "', " + tenant + ", " + id;
  if (guard.empty()) return "  INSERT INTO search_pending (kind, tenant, id) VALUES (" + values + ");\n";
  return "  INSERT INTO search_pending (kind, tenant, id) SELECT " + values + " WHERE " + guard +
         ";\n";
}

std::string trigger(const std::string& name, const std::string& when, const std::string& body) {
  return "CREATE TRIGGER " + name + " " + when + " BEGIN\n" + body + "END;\n";
}

// "OLD.a IS NOT NEW.a OR ...": the update changed what the index holds.
std::string changed(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += " OR ";
    out += "OLD." + c + " IS NOT NEW." + c;
  }
  return out;
}

std::string join(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// One index entry per row, keyed by the row's id. `indexed(row)`: a
// condition over OLD or NEW for rows the index holds at all.
std::string row_triggers(const std::string& kind, const std::string& table,
                         const std::vector<std::string>& columns,
                         const std::function<std::string(const std::string&)>& indexed) {
  return trigger(table + "_search_insert", "AFTER INSERT ON " + table + " WHEN " + indexed("NEW"),
                 note(kind, "NEW.tenant", "NEW.id")) +
         trigger(table + "_search_update",
                 "AFTER UPDATE OF " + join(columns) + " ON " + table + " WHEN (" +
                     indexed("OLD") + " OR " + indexed("NEW") + ") AND (" + changed(columns) + ")",
                 note(kind, "OLD.tenant", "OLD.id", "OLD.id IS NOT NEW.id") +
                     note(kind, "NEW.tenant", "NEW.id")) +
         trigger(table + "_search_delete", "AFTER DELETE ON " + table + " WHEN " + indexed("OLD"),
                 note(kind, "OLD.tenant", "OLD.id"));
}

std::string build() {
  const std::string old_number = "CAST(OLD.quote_number AS TEXT)";
  const std::string new_number = "CAST(NEW.quote_number AS TEXT)";
  const std::vector<std::string> quote_columns = {"quote_number", "quote_version", "name",
                                                  "account_name", "deleted_at"};
  std::string sql = kPendingTable;
  // Quotes: one entry per quote number, from its latest live version, so
  // any change to a version re-indexes its number (and the old number when
  // a row moved to another).
  sql += trigger("cpq_quotes_search_insert", "AFTER INSERT ON cpq_quotes",
                 note("quote", "NEW.tenant", new_number));
  sql += trigger("cpq_quotes_search_update",
                 "AFTER UPDATE OF " + join(quote_columns) + " ON cpq_quotes WHEN " +
                     changed(quote_columns),
                 note("quote", "OLD.tenant", old_number,
                      "OLD.quote_number IS NOT NEW.quote_number") +
                     note("quote", "NEW.tenant", new_number));
  sql += trigger("cpq_quotes_search_delete", "AFTER DELETE ON cpq_quotes",
                 note("quote", "OLD.tenant", old_number));
  sql += row_triggers("opportunity", "cpq_opportunities",
                      {"id", "source", "name", "client_name", "deleted_at"},
                      [](const std::string& row) { return row + ".source <> 'quotes'"; });
  sql += row_triggers("ticket", "psa_tickets",
                      {"id", "number", "summary", "company", "contact", "deleted_at"},
                      [](const std::string&) { return std::string("1"); });
  return sql;
}

}  // namespace

const char* schema_search_batched() {
  static const std::string sql = build();
  return sql.c_str();
}

}  // namespace cwsync::storage::detail
