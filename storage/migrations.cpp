#include "storage/migrations.h"

#include <array>
#include <string>

#include <SQLiteCpp/Database.h>

#include "base/log.h"
#include "storage/schema_sql.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

struct Migration {
  int version;
  const char* description;
  // Executed in order inside one transaction.
  std::array<const char*, 2> scripts;
};

const std::array<Migration, 10>& migrations() {
  static const std::array<Migration, 10> list = {{
      {1, "initial schema: cache tables, sync bookkeeping, PSA queue, views",
       {detail::kSchemaV1Tables, detail::kSchemaV1Views}},
      {2, "queue budget (psa_posts.failures) and tenant_states",
       {detail::kSchemaQueueStates, nullptr}},
      {3, "psa_posts refuses ill-typed rows (ticket_id, payload shape) at INSERT and UPDATE",
       {detail::schema_queue_checks(), nullptr}},
      {4, "PSA ticket cache (psa_tickets), the full-text index `search` and cpq_clients",
       {detail::kSchemaTickets, detail::search_triggers()}},
      {5, "the dashboard views read maintained pipeline summaries and covering indexes",
       {detail::schema_pipeline_summary(), nullptr}},
      {6, "the full-text index is brought up to date once per write transaction, not per row",
       {detail::schema_search_batched(), nullptr}},
      {7, "covering indexes on the pipeline summary for the backlog, recent-wins and stage queries",
       {detail::schema_view_ages(), nullptr}},
      {8, "cpq_at_risk_totals and a cheaper age in cpq_backlog for the at-risk and backlog queries",
       {detail::schema_at_risk(), nullptr}},
      {9, "a psa item without linked quotes is worth its stored value; accepted-and-lost is won",
       {detail::schema_psa_value(), nullptr}},
      {10, "psa_activity_log rows of delivered posts may be pruned (retention.activity_log)",
       {detail::schema_retention(), nullptr}},
  }};
  return list;
}

Status apply(Database& db, const Migration& m) {
  auto txn = WriteTransaction::begin(db);
  if (!txn) return txn.error();
  return detail::guarded("migration " + std::to_string(m.version), [&]() -> Status {
    // Re-read under the write lock: another process may have migrated while
    // we waited for it.
    const int current = db.handle().execAndGet("PRAGMA user_version").getInt();
    if (current >= m.version) return {};
    for (const char* script : m.scripts) {
      if (script != nullptr) db.handle().exec(script);
    }
    db.handle().exec("PRAGMA user_version = " + std::to_string(m.version));
    if (auto st = txn->commit(); !st) return st;
    log::info("db_migrated").field("version", m.version).msg(m.description);
    return {};
  });
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }

std::string newer_schema_message(int found_version) {
  return "database schema version " + std::to_string(found_version) +
         " is newer than this cwsync supports (" + std::to_string(latest_schema_version()) +
         "); refusing to use it. Upgrade cwsync, or point it at another database file";
}

Status migrate(Database& db) { return migrate_to(db, latest_schema_version()); }

Status migrate_to(Database& db, int target) {
  if (db.read_only()) {
    return make_error(ErrorKind::kDatabase, "cannot migrate a read-only connection", db.path());
  }
  auto version = db.user_version();
  if (!version) return version.error();
  if (*version > latest_schema_version()) {
    return make_error(ErrorKind::kDatabase, newer_schema_message(*version), db.path());
  }
  if (auto st = detail::guarded("check schema", [&] {
        return detail::check_is_cwsync(db.handle(), db.path(), *version);
      });
      !st) {
    return st;
  }
  for (const Migration& m : migrations()) {
    if (m.version <= *version || m.version > target) continue;
    if (auto st = apply(db, m); !st) return detail::explain_disk_error(st.error(), db.path());
  }
  return {};
}

}  // namespace cwsync::storage
