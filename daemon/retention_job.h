// The retention job of `cwsync run`: once an hour (and soon after start),
// deletes the history rows `retention:` no longer keeps (config/config.h
// Retention, storage/retention_store.h for what is never deleted).
//
// One job for the whole database (tenant ""), on the pull lane: it never
// delays a post's delivery worker, and its batches hold the write lock a few
// milliseconds each, with a pause as long as the batch between them so a
// queue write waiting on busy_timeout gets the lock. Logs retention_pruned
// (info) when it deleted something, retention_failed (warn) when a table
// could not be pruned; the scheduler then logs job_failed as for any job.
// /healthz does not count it: a failed prune is no reason to restart.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "daemon/job.h"

namespace cwsync::daemon {

// How often it runs: rows older than the retention go within the hour.
inline constexpr std::chrono::milliseconds kRetentionInterval = std::chrono::hours(1);

class RetentionJob final : public Job {
 public:
  RetentionJob() = default;
  std::string name() const override { return "retention"; }
  std::string tenant() const override { return ""; }
  std::string entity() const override { return "retention"; }
  std::chrono::milliseconds interval(const Config&) const override { return kRetentionInterval; }
  bool counts_for_health() const override { return false; }
  JobLane lane() const override { return JobLane::kPull; }
  // Prunes both tables per ctx.config().retention against ctx.clock().now().
  // Fails (kDatabase) when a table could not be pruned; rows deleted before
  // that stay deleted. A stop request ends it between two batches, ok.
  JobOutcome run(JobContext& ctx) override;
};

// The job set for a config: always one RetentionJob (a reload may turn
// retention on; with everything on `keep` a run does nothing).
std::vector<std::unique_ptr<Job>> retention_jobs(const Config& config);

}  // namespace cwsync::daemon
