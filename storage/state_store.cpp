#include "storage/state_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;

std::optional<TenantState> parse_state(const std::string& s) {
  for (TenantState t : {TenantState::kQueuePaused, TenantState::kPullsStopped,
                        TenantState::kJobFailed}) {
    if (s == to_string(t)) return t;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(TenantState s) {
  switch (s) {
    case TenantState::kQueuePaused: return "queue_paused";
    case TenantState::kPullsStopped: return "pulls_stopped";
    case TenantState::kJobFailed: return "job_failed";
  }
  return "job_failed";
}

Status StateStore::set(const TenantStateRow& row, TimePoint now) {
  return guarded("record tenant state", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "INSERT OR REPLACE INTO tenant_states (tenant, state, job, reason, until, at) "
        "VALUES (:tenant, :state, :job, :reason, :until, :at)");
    st.bind(":tenant", row.tenant);
    st.bind(":state", to_string(row.state));
    st.bind(":job", row.job);
    st.bind(":reason", row.reason);
    detail::bind(st, ":until", row.until);
    detail::bind(st, ":at", now);
    st.exec();
    return {};
  });
}

Status StateStore::clear(const std::string& tenant, TenantState state, const std::string& job) {
  return guarded("clear tenant state", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "DELETE FROM tenant_states WHERE tenant = ? AND state = ? AND job = ?");
    st.bind(1, tenant);
    st.bind(2, to_string(state));
    st.bind(3, job);
    st.exec();
    return {};
  });
}

Status StateStore::clear_all(TenantState state, const std::optional<std::string>& tenant) {
  return guarded("clear tenant states", [&]() -> Status {
    SQLite::Statement st(db_->handle(),
        "DELETE FROM tenant_states WHERE state = ?1 AND (?2 IS NULL OR tenant = ?2)");
    st.bind(1, to_string(state));
    detail::bind(st, "?2", tenant);
    st.exec();
    return {};
  });
}

Result<std::vector<TenantStateRow>> StateStore::list(const std::optional<std::string>& tenant) {
  return guarded("list tenant states", [&]() -> Result<std::vector<TenantStateRow>> {
    SQLite::Statement st(db_->handle(),
        "SELECT tenant, state, job, reason, until, at FROM tenant_states "
        "WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, state, job");
    detail::bind(st, "?1", tenant);
    std::vector<TenantStateRow> out;
    while (st.executeStep()) {
      auto state = parse_state(st.getColumn(1).getString());
      if (!state) continue;  // a state from a newer cwsync
      TenantStateRow r;
      r.tenant = st.getColumn(0).getString();
      r.state = *state;
      r.job = st.getColumn(2).getString();
      r.reason = st.getColumn(3).getString();
      r.until = detail::col_time(st.getColumn(4));
      r.at = detail::col_time_or_epoch(st.getColumn(5));
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace cwsync::storage
