// Read helpers for the CLI, health and metrics. The pipeline SQL mirrors the
// cpq_pipeline view (views_v1.cpp) with `now` and the window bound as
// parameters; cache_queries_test checks the two agree.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/cache_store.h"
#include "storage/row_codec.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;

constexpr const char* kItemColumns =
    "tenant, id, source, name, client_name, status, status_name, stage_name, probability, "
    "value, expected_close_date, closed_date, date_entered, last_updated, "
    "CASE WHEN status = 'open' AND date_entered IS NOT NULL "
    "     THEN CAST(julianday(:now) - julianday(date_entered) AS INTEGER) END AS age, "
    "COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'at_risk_days'), 45) "
    "  AS risk_days ";

std::vector<PipelineItem> read_items(SQLite::Statement& st) {
  std::vector<PipelineItem> out;
  while (st.executeStep()) {
    PipelineItem i;
    i.tenant = st.getColumn("tenant").getString();
    i.id = st.getColumn("id").getString();
    i.source = st.getColumn("source").getString();
    i.name = detail::col_text(st.getColumn("name"));
    i.client_name = detail::col_text(st.getColumn("client_name"));
    i.status = parse_opportunity_status(st.getColumn("status").getString())
                   .value_or(OpportunityStatus::kOpen);
    i.status_name = detail::col_text(st.getColumn("status_name"));
    i.stage_name = detail::col_text(st.getColumn("stage_name"));
    i.probability = detail::col_real(st.getColumn("probability"));
    i.value = st.getColumn("value").getDouble();
    i.expected_close_date = detail::col_time(st.getColumn("expected_close_date"));
    i.closed_date = detail::col_time(st.getColumn("closed_date"));
    i.date_entered = detail::col_time(st.getColumn("date_entered"));
    i.last_updated = detail::col_time(st.getColumn("last_updated"));
    i.age_days = detail::col_int(st.getColumn("age"));
    i.at_risk = i.age_days && *i.age_days > st.getColumn("risk_days").getInt64();
    out.push_back(std::move(i));
  }
  return out;
}

SyncState read_state(SQLite::Statement& st) {
  SyncState s;
  s.tenant = st.getColumn("tenant").getString();
  s.entity = parse_entity(st.getColumn("entity").getString()).value_or(Entity::kQuotes);
  if (auto at = detail::col_time(st.getColumn("cursor_modified_at"))) {
    s.cursor = SyncCursor{*at, st.getColumn("cursor_id").getString()};
  }
  s.last_incremental_at = detail::col_time(st.getColumn("last_incremental_at"));
  s.last_full_at = detail::col_time(st.getColumn("last_full_at"));
  s.last_reconcile_at = detail::col_time(st.getColumn("last_reconcile_at"));
  s.last_error = detail::col_text(st.getColumn("last_error"));
  s.last_error_at = detail::col_time(st.getColumn("last_error_at"));
  return s;
}

}  // namespace

Result<std::vector<SyncState>> CacheStore::sync_states(std::optional<std::string> tenant) {
  return guarded("read sync_state", [&]() -> Result<std::vector<SyncState>> {
    SQLite::Statement st(db_->handle(),
        "SELECT * FROM sync_state WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, entity");
    detail::bind(st, "?1", tenant);
    std::vector<SyncState> out;
    while (st.executeStep()) out.push_back(read_state(st));
    return out;
  });
}

Result<PipelineSummary> CacheStore::pipeline(std::string_view tenant, int days, TimePoint now) {
  return guarded("pipeline", [&]() -> Result<PipelineSummary> {
    SQLite::Statement st(db_->handle(),
        "SELECT COUNT(status), TOTAL(value), "
        "  COUNT(CASE WHEN status = 'open' THEN 1 END), "
        "  TOTAL(CASE WHEN status = 'open' THEN value END), "
        "  COUNT(CASE WHEN status = 'won' THEN 1 END), "
        "  TOTAL(CASE WHEN status = 'won' THEN value END), "
        "  COUNT(CASE WHEN status = 'lost' THEN 1 END), "
        "  TOTAL(CASE WHEN status = 'lost' THEN value END) "
        "FROM cpq_pipeline_items "
        "WHERE tenant = :tenant AND (status = 'open' OR (closed_date IS NOT NULL AND "
        "  julianday(closed_date) >= julianday(:now) - :days))");
    st.bind(":tenant", std::string(tenant));
    st.bind(":now", detail::iso(now));
    st.bind(":days", days);
    st.executeStep();
    PipelineSummary p;
    p.tenant = std::string(tenant);
    p.window_days = days;
    p.total_count = st.getColumn(0).getInt64();
    p.total_value = st.getColumn(1).getDouble();
    p.open_count = st.getColumn(2).getInt64();
    p.open_value = st.getColumn(3).getDouble();
    p.won_count = st.getColumn(4).getInt64();
    p.won_value = st.getColumn(5).getDouble();
    p.lost_count = st.getColumn(6).getInt64();
    p.lost_value = st.getColumn(7).getDouble();
    const auto closed = p.won_count + p.lost_count;
    if (closed > 0) p.win_rate = static_cast<double>(p.won_count) / static_cast<double>(closed);
    return p;
  });
}

Result<std::vector<PipelineItem>> CacheStore::backlog(std::string_view tenant, int limit,
                                                      TimePoint now) {
  return guarded("backlog", [&]() -> Result<std::vector<PipelineItem>> {
    SQLite::Statement st(db_->handle(), std::string("SELECT ") + kItemColumns +
        "FROM cpq_pipeline_items WHERE tenant = :tenant AND status = 'open' "
        "ORDER BY age DESC, id LIMIT :limit");
    st.bind(":tenant", std::string(tenant));
    st.bind(":now", detail::iso(now));
    st.bind(":limit", limit > 0 ? limit : -1);
    return read_items(st);
  });
}

Result<std::vector<PipelineItem>> CacheStore::recent_wins(std::string_view tenant, int days,
                                                          int limit, TimePoint now) {
  return guarded("recent wins", [&]() -> Result<std::vector<PipelineItem>> {
    SQLite::Statement st(db_->handle(), std::string("SELECT ") + kItemColumns +
        "FROM cpq_pipeline_items WHERE tenant = :tenant AND status = 'won' "
        "AND closed_date IS NOT NULL AND julianday(closed_date) >= julianday(:now) - :days "
        "ORDER BY julianday(closed_date) DESC, id LIMIT :limit");
    st.bind(":tenant", std::string(tenant));
    st.bind(":now", detail::iso(now));
    st.bind(":days", days);
    st.bind(":limit", limit > 0 ? limit : -1);
    return read_items(st);
  });
}

Result<std::vector<PipelineItem>> CacheStore::recent_opportunities(std::string_view tenant,
                                                                   int limit, TimePoint now) {
  return guarded("recent opportunities", [&]() -> Result<std::vector<PipelineItem>> {
    SQLite::Statement st(db_->handle(), std::string("SELECT ") + kItemColumns +
        "FROM cpq_pipeline_items WHERE tenant = :tenant "
        "ORDER BY julianday(last_updated) DESC, id LIMIT :limit");
    st.bind(":tenant", std::string(tenant));
    st.bind(":now", detail::iso(now));
    st.bind(":limit", limit > 0 ? limit : -1);
    return read_items(st);
  });
}

Result<CacheCounts> CacheStore::counts(std::string_view tenant) {
  return guarded("cache counts", [&]() -> Result<CacheCounts> {
    auto both = [&](const char* table, std::int64_t& live, std::int64_t& deleted) {
      SQLite::Statement st(db_->handle(), std::string("SELECT COUNT(*) - COUNT(deleted_at), "
                                                      "COUNT(deleted_at) FROM ") +
                                              table + " WHERE tenant = ?");
      st.bind(1, std::string(tenant));
      st.executeStep();
      live = st.getColumn(0).getInt64();
      deleted = st.getColumn(1).getInt64();
    };
    CacheCounts c;
    both("cpq_quotes", c.quotes, c.quotes_deleted);
    both("cpq_quote_items", c.quote_items, c.quote_items_deleted);
    both("cpq_opportunities", c.opportunities, c.opportunities_deleted);
    both("psa_tickets", c.tickets, c.tickets_deleted);
    return c;
  });
}

Result<std::vector<std::string>> CacheStore::tenants() {
  return guarded("tenants", [&]() -> Result<std::vector<std::string>> {
    SQLite::Statement st(db_->handle(),
        "SELECT tenant FROM sync_state UNION SELECT tenant FROM cpq_quotes "
        "UNION SELECT tenant FROM cpq_opportunities UNION SELECT tenant FROM psa_tickets "
        "ORDER BY 1");
    std::vector<std::string> out;
    while (st.executeStep()) out.push_back(st.getColumn(0).getString());
    return out;
  });
}

Result<std::optional<QuoteRow>> CacheStore::get_quote(std::string_view tenant,
                                                      std::string_view id) {
  return guarded("get quote", [&]() -> Result<std::optional<QuoteRow>> {
    SQLite::Statement st(db_->handle(), "SELECT " + detail::select_list(detail::quote_columns()) +
        " FROM cpq_quotes WHERE tenant = ? AND id = ? AND deleted_at IS NULL");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(id));
    if (!st.executeStep()) return std::optional<QuoteRow>();
    return std::optional<QuoteRow>(detail::read_quote(st));
  });
}

Result<std::vector<QuoteItemRow>> CacheStore::quote_items(std::string_view tenant,
                                                          std::string_view quote_id) {
  return guarded("quote items", [&]() -> Result<std::vector<QuoteItemRow>> {
    SQLite::Statement st(db_->handle(), "SELECT " + detail::select_list(detail::item_columns()) +
        " FROM cpq_quote_items WHERE tenant = ? AND quote_id = ? AND deleted_at IS NULL "
        "ORDER BY sort_order IS NULL, sort_order, id");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(quote_id));
    std::vector<QuoteItemRow> out;
    while (st.executeStep()) out.push_back(detail::read_item(st));
    return out;
  });
}

Result<std::optional<OpportunityRow>> CacheStore::get_opportunity(std::string_view tenant,
                                                                  std::string_view id) {
  return guarded("get opportunity", [&]() -> Result<std::optional<OpportunityRow>> {
    SQLite::Statement st(db_->handle(),
        "SELECT " + detail::select_list(detail::opportunity_columns()) +
        " FROM cpq_opportunities WHERE tenant = ? AND id = ? AND deleted_at IS NULL");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(id));
    if (!st.executeStep()) return std::optional<OpportunityRow>();
    return std::optional<OpportunityRow>(detail::read_opportunity(st));
  });
}

Result<std::vector<SyncRunRow>> CacheStore::recent_runs(std::optional<std::string> tenant,
                                                        int limit) {
  return guarded("recent runs", [&]() -> Result<std::vector<SyncRunRow>> {
    SQLite::Statement st(db_->handle(),
        "SELECT * FROM sync_runs WHERE ?1 IS NULL OR tenant = ?1 ORDER BY id DESC LIMIT ?2");
    detail::bind(st, "?1", tenant);
    st.bind(2, limit > 0 ? limit : -1);
    std::vector<SyncRunRow> out;
    while (st.executeStep()) {
      SyncRunRow r;
      r.id = st.getColumn("id").getInt64();
      r.tenant = st.getColumn("tenant").getString();
      r.entity = parse_entity(st.getColumn("entity").getString()).value_or(Entity::kQuotes);
      r.kind = parse_run_kind(st.getColumn("kind").getString()).value_or(RunKind::kIncremental);
      r.started_at = detail::col_time_or_epoch(st.getColumn("started_at"));
      r.finished_at = detail::col_time(st.getColumn("finished_at"));
      r.outcome.status =
          parse_run_status(st.getColumn("status").getString()).value_or(RunStatus::kRunning);
      r.outcome.pages = st.getColumn("pages").getInt64();
      r.outcome.api_calls = st.getColumn("api_calls").getInt64();
      r.outcome.upserted = st.getColumn("upserted").getInt64();
      r.outcome.deleted = st.getColumn("deleted").getInt64();
      r.outcome.error = detail::col_text(st.getColumn("error"));
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace cwsync::storage
