// Tombstone reconcile: rows upstream no longer has get deleted_at, never a
// hard delete. The live-id set sits in a TEMP table (private to this
// connection, keyed for NOT IN lookups), so 100k ids load without holding the
// cache's write lock.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/cache_store.h"
#include "storage/search_index.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;

const char* table_of(Entity e) {
  switch (e) {
    case Entity::kQuotes: return "cpq_quotes";
    case Entity::kQuoteItems: return "cpq_quote_items";
    case Entity::kOpportunities: return "cpq_opportunities";
    case Entity::kTickets: return "psa_tickets";
  }
  return "cpq_quotes";
}

std::int64_t count_where(SQLite::Database& db, Entity e, const std::string& tenant,
                         const char* condition) {
  SQLite::Statement st(db, std::string("SELECT COUNT(*) FROM ") + table_of(e) +
                               " WHERE tenant = ? AND " + condition);
  st.bind(1, tenant);
  st.executeStep();
  return st.getColumn(0).getInt64();
}

ReconcileCounts compute(SQLite::Database& db, Entity e, const std::string& tenant,
                        const std::string& scope) {
  ReconcileCounts c;
  c.live_ids = db.execAndGet("SELECT COUNT(*) FROM temp.reconcile_ids").getInt64();
  c.live_rows = count_where(db, e, tenant, ("deleted_at IS NULL" + scope).c_str());
  c.missing = count_where(db, e, tenant,
                          ("deleted_at IS NULL AND id NOT IN (SELECT id FROM temp.reconcile_ids)" +
                           scope).c_str());
  c.reappeared = count_where(db, e, tenant,
                             "deleted_at IS NOT NULL AND id IN (SELECT id FROM temp.reconcile_ids)");
  return c;
}

}  // namespace

double ReconcileCounts::delete_ratio() const {
  return live_rows == 0 ? 0.0 : static_cast<double>(missing) / static_cast<double>(live_rows);
}

TombstoneReconcile::TombstoneReconcile(Database& db, std::string tenant, Entity entity,
                                       std::string scope)
    : db_(&db), tenant_(std::move(tenant)), entity_(entity), scope_(std::move(scope)) {}

TombstoneReconcile::TombstoneReconcile(TombstoneReconcile&& other) noexcept
    : db_(other.db_), tenant_(std::move(other.tenant_)), entity_(other.entity_),
      scope_(std::move(other.scope_)) {
  other.db_ = nullptr;
}

TombstoneReconcile::~TombstoneReconcile() {
  if (db_ != nullptr) db_->handle().tryExec("DROP TABLE IF EXISTS temp.reconcile_ids");
}

Status TombstoneReconcile::add_live_ids(const std::vector<std::string>& ids) {
  if (db_ == nullptr) return make_error(ErrorKind::kInternal, "reconcile was moved from");
  return guarded("load reconcile ids", [&]() -> Status {
    // A transaction that only touches the temp schema: fast bulk insert, no
    // lock on the main database.
    SQLite::Database& db = db_->handle();
    db.exec("BEGIN");
    try {
      SQLite::Statement st(db, "INSERT OR IGNORE INTO temp.reconcile_ids (id) VALUES (?)");
      for (const std::string& id : ids) {
        st.bind(1, id);
        st.exec();
        st.reset();
      }
      db.exec("COMMIT");
    } catch (...) {
      db.tryExec("ROLLBACK");
      throw;
    }
    return {};
  });
}

Result<ReconcileCounts> TombstoneReconcile::count() {
  if (db_ == nullptr) return make_error(ErrorKind::kInternal, "reconcile was moved from");
  return guarded("count reconcile", [&]() -> Result<ReconcileCounts> {
    return compute(db_->handle(), entity_, tenant_, scope_);
  });
}

Result<std::vector<std::string>> TombstoneReconcile::missing_ids() {
  if (db_ == nullptr) return make_error(ErrorKind::kInternal, "reconcile was moved from");
  return guarded("list reconcile misses", [&]() -> Result<std::vector<std::string>> {
    SQLite::Statement st(db_->handle(),
        std::string("SELECT id FROM ") + table_of(entity_) +
            " WHERE tenant = ? AND deleted_at IS NULL AND id NOT IN "
            "(SELECT id FROM temp.reconcile_ids)" + scope_ + " ORDER BY id");
    st.bind(1, tenant_);
    std::vector<std::string> ids;
    while (st.executeStep()) ids.push_back(st.getColumn(0).getString());
    return ids;
  });
}

Result<ReconcileCounts> TombstoneReconcile::apply(TimePoint now,
                                                  std::optional<double> max_delete_ratio) {
  if (db_ == nullptr) return make_error(ErrorKind::kInternal, "reconcile was moved from");
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("apply reconcile", [&]() -> Result<ReconcileCounts> {
    SQLite::Database& db = db_->handle();
    ReconcileCounts c = compute(db, entity_, tenant_, scope_);
    if (max_delete_ratio && c.delete_ratio() > *max_delete_ratio) {
      return make_error(ErrorKind::kInvalidInput,
                        "reconcile would tombstone " + std::to_string(c.missing) + " of " +
                            std::to_string(c.live_rows) + " " + to_string(entity_) +
                            " rows, above the max delete ratio; nothing changed",
                        tenant_);
    }
    const std::string now_iso = detail::iso(now);
    const std::string table = table_of(entity_);
    SQLite::Statement gone(db, "UPDATE " + table + " SET deleted_at = ? WHERE tenant = ? AND "
                               "deleted_at IS NULL AND id NOT IN (SELECT id FROM temp.reconcile_ids)" +
                               scope_);
    gone.bind(1, now_iso);
    gone.bind(2, tenant_);
    c.missing = gone.exec();
    SQLite::Statement back(db, "UPDATE " + table + " SET deleted_at = NULL WHERE tenant = ? AND "
                               "deleted_at IS NOT NULL AND id IN (SELECT id FROM temp.reconcile_ids)");
    back.bind(1, tenant_);
    c.reappeared = back.exec();
    if (entity_ == Entity::kQuotes) {
      // Items of a quote that is gone are gone too.
      SQLite::Statement items(db,
          "UPDATE cpq_quote_items SET deleted_at = ? WHERE tenant = ? AND deleted_at IS NULL "
          "AND quote_id NOT IN (SELECT id FROM temp.reconcile_ids)");
      items.bind(1, now_iso);
      items.bind(2, tenant_);
      c.items_tombstoned = items.exec();
    }
    SQLite::Statement state(db,
        "INSERT INTO sync_state (tenant, entity, last_reconcile_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (tenant, entity) DO UPDATE SET "
        "last_reconcile_at = excluded.last_reconcile_at, updated_at = excluded.updated_at");
    state.bind(1, tenant_);
    state.bind(2, to_string(entity_));
    state.bind(3, now_iso);
    state.exec();
    detail::index_pending_search(db);
    if (auto st = txn->commit(); !st) return st.error();
    return c;
  });
}

}  // namespace cwsync::storage
