#include "storage/cache_store.h"

#include <unordered_map>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "base/crash_point.h"
#include "storage/row_codec.h"
#include "storage/search_index.h"
#include "storage/sql_util.h"

namespace cwsync::storage {

using detail::guarded;

// ---- PageWriter ---------------------------------------------------------------

struct PageWriter::Impl {
  Impl(Database& d, WriteTransaction t, std::string tn, TimePoint now)
      : db(d), txn(std::move(t)), tenant(std::move(tn)), now_iso(detail::iso(now)) {}

  // Runs one step; the first failure rolls the page back and poisons it.
  template <typename F>
  Status step(std::string_view context, F&& body) {
    if (done) return make_error(ErrorKind::kInternal, "page already committed", std::string(context));
    if (poisoned) {
      return make_error(ErrorKind::kInternal, "an earlier step of this page failed; nothing written",
                        std::string(context));
    }
    Status st = guarded(context, [&]() -> Status { return body(); });
    if (!st) {
      poisoned = true;
      txn.rollback();
    }
    return st;
  }

  SQLite::Statement& prepared(std::unique_ptr<SQLite::Statement>& slot, const std::string& sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(db.handle(), sql);
    slot->reset();
    return *slot;
  }

  // Upserts one cache row into `table`, counting it in `counter`.
  template <typename Row>
  Status upsert(std::string what, const std::string& sql, std::unique_ptr<SQLite::Statement>& slot,
                const Row& row, std::int64_t& counter) {
    return step(what, [&]() -> Status {
      auto& st = prepared(slot, sql);
      detail::bind_upsert(st, tenant, now_iso, row);
      st.exec();
      ++counter;
      return {};
    });
  }

  // Tombstones the live items of the replaced quotes that their last
  // replace_items() did not list.
  void sweep_items() {
    if (item_sets.empty()) return;
    nlohmann::json quotes = nlohmann::json::array(), kept = nlohmann::json::array();
    for (auto& [quote, ids] : item_sets) {
      quotes.push_back(quote);
      for (std::string& id : ids) kept.push_back(std::move(id));
    }
    item_sets.clear();
    SQLite::Statement sweep(db.handle(),
        "UPDATE cpq_quote_items SET deleted_at = ?1 "
        "WHERE tenant = ?2 AND quote_id IN (SELECT value FROM json_each(?3)) "
        "AND deleted_at IS NULL AND id NOT IN (SELECT value FROM json_each(?4))");
    sweep.bind(1, now_iso);
    sweep.bind(2, tenant);
    sweep.bind(3, quotes.dump());
    sweep.bind(4, kept.dump());
    stats.items_tombstoned += sweep.exec();
  }

  Database& db;
  WriteTransaction txn;
  std::string tenant;
  std::string now_iso;
  // Declared after txn: destroyed (finalized) before it rolls back.
  std::unique_ptr<SQLite::Statement> quote_st, item_st, opp_st, ticket_st;
  // Quote id -> the item ids replace_items() made live, swept at commit.
  std::unordered_map<std::string, std::vector<std::string>> item_sets;
  PageStats stats;
  bool poisoned = false;
  bool done = false;
};

PageWriter::PageWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PageWriter::PageWriter(PageWriter&&) noexcept = default;
PageWriter& PageWriter::operator=(PageWriter&&) noexcept = default;
PageWriter::~PageWriter() = default;

Status PageWriter::upsert_quote(const QuoteRow& row) {
  static const std::string sql = detail::upsert_sql("cpq_quotes", detail::quote_columns());
  return impl_->upsert("upsert quote " + row.id, sql, impl_->quote_st, row, impl_->stats.quotes);
}

Status PageWriter::replace_items(std::string_view quote_id, const std::vector<QuoteItemRow>& items) {
  return impl_->step("replace items of quote " + std::string(quote_id), [&]() -> Status {
    static const std::string sql = detail::upsert_sql("cpq_quote_items", detail::item_columns());
    std::vector<std::string> kept;
    kept.reserve(items.size());
    for (const QuoteItemRow& item : items) {
      if (item.quote_id != quote_id) {
        return make_error(ErrorKind::kInvalidInput,
                          "item " + item.id + " belongs to quote " + item.quote_id);
      }
      auto& st = impl_->prepared(impl_->item_st, sql);
      detail::bind_upsert(st, impl_->tenant, impl_->now_iso, item);
      st.exec();
      kept.push_back(item.id);
      ++impl_->stats.items;
    }
    // The quote's other items are tombstoned by one statement for the whole
    // page at commit (sweep_items): one per quote cost a JSON array, a
    // json_each and a statement each, ~3% of a full sync's CPU. A quote
    // replaced twice in a page keeps its last set, as if swept each time.
    impl_->item_sets[std::string(quote_id)] = std::move(kept);
    return {};
  });
}

Status PageWriter::upsert_opportunity(const OpportunityRow& row) {
  static const std::string sql =
      detail::upsert_sql("cpq_opportunities", detail::opportunity_columns());
  return impl_->upsert("upsert opportunity " + row.id, sql, impl_->opp_st, row,
                       impl_->stats.opportunities);
}

Status PageWriter::upsert_ticket(const TicketRow& row) {
  static const std::string sql = detail::upsert_sql("psa_tickets", detail::ticket_columns());
  return impl_->upsert("upsert ticket " + row.id, sql, impl_->ticket_st, row, impl_->stats.tickets);
}

Status PageWriter::advance_cursor(Entity entity, const SyncCursor& cursor) {
  return impl_->step("advance cursor", [&]() -> Status {
    // Row-value comparison: ISO-8601 text sorts chronologically.
    SQLite::Statement st(impl_->db.handle(),
        "INSERT INTO sync_state (tenant, entity, cursor_modified_at, cursor_id, updated_at) "
        "VALUES (:tenant, :entity, :at, :id, :now) "
        "ON CONFLICT (tenant, entity) DO UPDATE SET "
        "  cursor_modified_at = excluded.cursor_modified_at, cursor_id = excluded.cursor_id, "
        "  updated_at = excluded.updated_at "
        "WHERE sync_state.cursor_modified_at IS NULL OR "
        "  (excluded.cursor_modified_at, excluded.cursor_id) > "
        "  (sync_state.cursor_modified_at, COALESCE(sync_state.cursor_id, ''))");
    st.bind(":tenant", impl_->tenant);
    st.bind(":entity", to_string(entity));
    st.bind(":at", detail::iso(cursor.modified_at));
    st.bind(":id", cursor.id);
    st.bind(":now", impl_->now_iso);
    if (st.exec() > 0) impl_->stats.cursor_advanced = true;
    return {};
  });
}

Result<PageStats> PageWriter::commit() {
  crash_point("page_before_commit");
  Status st = impl_->step("commit page", [&]() -> Status {
    impl_->sweep_items();
    detail::index_pending_search(impl_->db.handle());
    return impl_->txn.commit();
  });
  if (!st) return st.error();
  crash_point("page_after_commit");
  impl_->done = true;
  return impl_->stats;
}

// ---- CacheStore: cursors and pages ------------------------------------------

Result<std::optional<SyncCursor>> CacheStore::cursor(std::string_view tenant, Entity entity) {
  return guarded("read cursor", [&]() -> Result<std::optional<SyncCursor>> {
    SQLite::Statement st(db_->handle(),
        "SELECT cursor_modified_at, cursor_id FROM sync_state "
        "WHERE tenant = ? AND entity = ? AND cursor_modified_at IS NOT NULL");
    st.bind(1, std::string(tenant));
    st.bind(2, to_string(entity));
    if (!st.executeStep()) return std::optional<SyncCursor>();
    auto at = detail::col_time(st.getColumn(0));
    if (!at) return std::optional<SyncCursor>();
    return std::optional<SyncCursor>(SyncCursor{*at, st.getColumn(1).getString()});
  });
}

Status CacheStore::reset_cursor(std::string_view tenant, Entity entity, TimePoint now) {
  return guarded("reset cursor", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "UPDATE sync_state SET cursor_modified_at = NULL, cursor_id = NULL, updated_at = ? "
        "WHERE tenant = ? AND entity = ?");
    st.bind(1, detail::iso(now));
    st.bind(2, std::string(tenant));
    st.bind(3, to_string(entity));
    st.exec();
    return {};
  });
}

Result<PageWriter> CacheStore::begin_page(std::string_view tenant, TimePoint now) {
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return PageWriter(
      std::make_unique<PageWriter::Impl>(*db_, std::move(*txn), std::string(tenant), now));
}

Result<TombstoneReconcile> CacheStore::begin_reconcile(std::string_view tenant, Entity entity,
                                                       std::optional<TimePoint> closed_after) {
  return guarded("begin reconcile", [&]() -> Result<TombstoneReconcile> {
    db_->handle().exec(
        "CREATE TEMP TABLE IF NOT EXISTS reconcile_ids (id TEXT PRIMARY KEY) WITHOUT ROWID");
    db_->handle().exec("DELETE FROM temp.reconcile_ids");
    std::string scope;
    if (entity == Entity::kTickets && closed_after) scope = detail::ticket_window_sql(*closed_after);
    return TombstoneReconcile(*db_, std::string(tenant), entity, std::move(scope));
  });
}

// ---- runs -------------------------------------------------------------------------

Result<std::int64_t> CacheStore::start_run(std::string_view tenant, Entity entity, RunKind kind,
                                           TimePoint now) {
  return guarded("start run", [&]() -> Result<std::int64_t> {
    SQLite::Statement st(db_->handle(),
        "INSERT INTO sync_runs (tenant, entity, kind, started_at) VALUES (?, ?, ?, ?)");
    st.bind(1, std::string(tenant));
    st.bind(2, to_string(entity));
    st.bind(3, to_string(kind));
    st.bind(4, detail::iso(now));
    st.exec();
    return static_cast<std::int64_t>(db_->handle().getLastInsertRowid());
  });
}

Result<std::int64_t> CacheStore::close_interrupted_runs(TimePoint now) {
  return guarded("close interrupted runs", [&]() -> Result<std::int64_t> {
    SQLite::Statement st(db_->handle(),
        "UPDATE sync_runs SET status = 'failed', finished_at = ?, "
        "error = 'interrupted: the process running it ended before the run finished "
        "(killed, crashed or stopped)' WHERE status = 'running'");
    st.bind(1, detail::iso(now));
    return static_cast<std::int64_t>(st.exec());
  });
}

Status CacheStore::finish_run(std::int64_t run_id, const RunOutcome& outcome, TimePoint now) {
  if (outcome.status == RunStatus::kRunning) {
    return make_error(ErrorKind::kInvalidInput, "finish_run needs status ok or failed");
  }
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("finish run " + std::to_string(run_id), [&]() -> Status {
    SQLite::Statement get(db_->handle(), "SELECT tenant, entity, kind FROM sync_runs WHERE id = ?");
    get.bind(1, static_cast<int64_t>(run_id));
    if (!get.executeStep()) {
      return make_error(ErrorKind::kNotFound, "no sync run " + std::to_string(run_id));
    }
    const std::string tenant = get.getColumn(0).getString();
    const std::string entity = get.getColumn(1).getString();
    const auto kind = parse_run_kind(get.getColumn(2).getString()).value_or(RunKind::kIncremental);
    const std::string now_iso = detail::iso(now);

    SQLite::Statement upd(db_->handle(),
        "UPDATE sync_runs SET finished_at = :now, status = :status, pages = :pages, "
        "api_calls = :calls, upserted = :up, deleted = :del, error = :error WHERE id = :id");
    upd.bind(":now", now_iso);
    upd.bind(":status", to_string(outcome.status));
    upd.bind(":pages", static_cast<int64_t>(outcome.pages));
    upd.bind(":calls", static_cast<int64_t>(outcome.api_calls));
    upd.bind(":up", static_cast<int64_t>(outcome.upserted));
    upd.bind(":del", static_cast<int64_t>(outcome.deleted));
    detail::bind(upd, ":error", outcome.error);
    upd.bind(":id", static_cast<int64_t>(run_id));
    upd.exec();

    std::string set;
    if (outcome.status == RunStatus::kFailed) {
      set = "last_error = :error, last_error_at = :now";
    } else if (kind == RunKind::kIncremental) {
      set = "last_incremental_at = :now, last_error = NULL, last_error_at = NULL";
    } else if (kind == RunKind::kFull) {
      // A full pull is also a complete incremental one.
      set = "last_full_at = :now, last_incremental_at = :now, last_error = NULL, "
            "last_error_at = NULL";
    } else {
      set = "last_reconcile_at = :now, last_error = NULL, last_error_at = NULL";
    }
    SQLite::Statement state(db_->handle(),
        "INSERT INTO sync_state (tenant, entity, updated_at) VALUES (:tenant, :entity, :now) "
        "ON CONFLICT (tenant, entity) DO NOTHING");
    state.bind(":tenant", tenant);
    state.bind(":entity", entity);
    state.bind(":now", now_iso);
    state.exec();
    SQLite::Statement mark(db_->handle(), "UPDATE sync_state SET " + set +
                                              ", updated_at = :now WHERE tenant = :tenant AND "
                                              "entity = :entity");
    mark.bind(":now", now_iso);
    mark.bind(":tenant", tenant);
    mark.bind(":entity", entity);
    if (outcome.status == RunStatus::kFailed) {
      mark.bind(":error", outcome.error.value_or("failed"));
    }
    mark.exec();
    // Every run ends here, an idle one too: what a hand edit noted for the
    // search index is indexed within one sync interval.
    detail::index_pending_search(db_->handle());
    return txn->commit();
  });
}

// ---- meta and settings ----------------------------------------------------------

Result<std::optional<std::string>> CacheStore::get_meta(std::string_view tenant,
                                                        std::string_view key) {
  return guarded("get sync_meta", [&]() -> Result<std::optional<std::string>> {
    SQLite::Statement st(db_->handle(),
                         "SELECT value_json FROM sync_meta WHERE tenant = ? AND key = ?");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(key));
    if (!st.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(st.getColumn(0).getString());
  });
}

Status CacheStore::put_meta(std::string_view tenant, std::string_view key,
                            std::string_view value_json, TimePoint now) {
  // An autocommit write: no WriteTransaction to explain a full disk.
  Status put = guarded("put sync_meta", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "INSERT INTO sync_meta (tenant, key, value_json, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (tenant, key) DO UPDATE SET value_json = excluded.value_json, "
        "updated_at = excluded.updated_at");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(key));
    st.bind(3, std::string(value_json));
    st.bind(4, detail::iso(now));
    st.exec();
    return {};
  });
  if (!put) return detail::explain_disk_error(put.error(), db_->path());
  return put;
}

Result<std::optional<std::string>> CacheStore::setting(std::string_view key) {
  return guarded("read setting", [&]() -> Result<std::optional<std::string>> {
    SQLite::Statement st(db_->handle(), "SELECT value FROM settings WHERE key = ?");
    st.bind(1, std::string(key));
    if (!st.executeStep()) return std::optional<std::string>();
    return std::optional<std::string>(st.getColumn(0).getString());
  });
}

Result<int> CacheStore::setting_int(std::string_view key, int fallback) {
  auto value = setting(key);
  if (!value) return value.error();
  if (!value->has_value()) return fallback;
  try {
    std::size_t used = 0;
    const int n = std::stoi(**value, &used);
    return used == (*value)->size() ? n : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

Status CacheStore::set_setting(std::string_view key, std::string_view value) {
  return guarded("write setting", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    st.bind(1, std::string(key));
    st.bind(2, std::string(value));
    st.exec();
    return {};
  });
}

Result<std::optional<UpstreamUsage>> CacheStore::get_usage(std::string_view tenant) {
  auto text = get_meta(tenant, kUpstreamUsageKey);
  if (!text.ok()) return text.error();
  if (!*text) return std::optional<UpstreamUsage>();
  auto j = nlohmann::json::parse(**text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j["used"].is_number_integer() || !j["limit"].is_number_integer() ||
      !j["at"].is_string()) {
    return std::optional<UpstreamUsage>();
  }
  auto at = parse_iso8601(j["at"].get<std::string>());
  if (!at) return std::optional<UpstreamUsage>();
  return std::optional<UpstreamUsage>(
      UpstreamUsage{j["used"].get<std::int64_t>(), j["limit"].get<std::int64_t>(), *at});
}

Status CacheStore::put_usage(std::string_view tenant, const UpstreamUsage& usage) {
  const nlohmann::json j = {{"used", usage.used}, {"limit", usage.limit},
                            {"at", format_iso8601(usage.at)}};
  return put_meta(tenant, kUpstreamUsageKey, j.dump(), usage.at);
}

}  // namespace cwsync::storage
