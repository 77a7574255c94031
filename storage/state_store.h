// StateStore: tenant_states, the daemon's account of conditions that outlive
// one job run and that `cwsync status` (another process) must show: a queue
// paused after a 401/403, pulls stopped after an account error, and each
// job's last failure. Written by the daemon only; read by anyone.
// Every function takes `now` from the caller. SQLite failures are kDatabase.
// Threading: like its Database, one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "storage/database.h"

namespace cwsync::storage {

enum class TenantState { kQueuePaused, kPullsStopped, kJobFailed };
const char* to_string(TenantState s);  // "queue_paused" | "pulls_stopped" | "job_failed"

struct TenantStateRow {
  std::string tenant;
  TenantState state = TenantState::kJobFailed;
  std::string job;                     // job name for kJobFailed; "" otherwise
  std::string reason;
  std::optional<TimePoint> until;      // nullopt: until a reload (or none)
  TimePoint at;                        // when it was recorded
};

class StateStore {
 public:
  explicit StateStore(Database& db) : db_(&db) {}  // db must outlive the store

  // Inserts or replaces the row for (tenant, state, job); `at` = now.
  Status set(const TenantStateRow& row, TimePoint now);
  // Deletes the row for (tenant, state, job); no row is fine.
  Status clear(const std::string& tenant, TenantState state, const std::string& job = {});
  // Deletes every row of `state` (of one tenant when given).
  Status clear_all(TenantState state, const std::optional<std::string>& tenant = {});
  // Rows ordered by tenant, state, job (one tenant when given).
  Result<std::vector<TenantStateRow>> list(const std::optional<std::string>& tenant = {});

 private:
  Database* db_;
};

}  // namespace cwsync::storage
