// What "healthy" means, and the one-line STATUS= summary. Pure functions of
// a scheduler snapshot, so they test without threads or a server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "daemon/scheduler.h"
#include "storage/rows.h"

namespace cwsync::daemon {

struct HealthReport {
  bool ok = true;
  nlohmann::json body;   // {"status":"ok"|"unhealthy","reasons":[...],"jobs":[...]}
};

// Healthy when the DB is writable and every job that counts for health
// succeeded within 3 × its interval, measured from its last success or, if it
// never succeeded, from when the daemon started it (a fresh daemon gets the
// same grace). Each violation becomes one reason object.
HealthReport evaluate_health(const std::vector<JobState>& jobs, TimePoint now,
                             const Status& db_writable);

// Opens the database read-write (never creates it) and takes and releases
// the write lock (BEGIN IMMEDIATE; ROLLBACK). Errors: kIo / kDatabase.
Status probe_db_writable(const std::string& db_path);

// "quotes 2m ago, opps 2m ago, queue 3 pending/0 dead": per entity the
// oldest last success across tenants ("never" if one never succeeded,
// "failing" appended when the last run failed), then the queue counts.
// `queue` nullopt (DB unreadable) prints "queue ?". No secrets by construction.
std::string status_line(const std::vector<JobState>& jobs, TimePoint now,
                        const std::optional<storage::QueueCounts>& queue);

}  // namespace cwsync::daemon
