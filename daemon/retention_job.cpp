#include "daemon/retention_job.h"

#include <algorithm>
#include <optional>

#include "base/log.h"
#include "daemon/metrics.h"
#include "storage/database.h"
#include "storage/retention_store.h"

namespace cwsync::daemon {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The pause after each batch: as long as the batch held the lock, so the
// job takes at most half the writer's time, within bounds that keep a
// million-row backlog to minutes.
milliseconds pause_after(Steady::duration batch) {
  return std::clamp(std::chrono::duration_cast<milliseconds>(batch), milliseconds(5),
                    milliseconds(200));
}

std::int64_t ms_since(Steady::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - t0).count();
}

}  // namespace

JobOutcome RetentionJob::run(JobContext& ctx) {
  const Retention& r = ctx.config().retention;
  if (!r.sync_runs && !r.activity_log) return JobOutcome::ok("retention: keep everything");
  const auto t0 = Steady::now();
  auto db = storage::Database::open(ctx.config().database);
  if (!db.ok()) {
    log::warn("retention_failed").field("duration_ms", ms_since(t0)).msg(db.error().describe());
    return JobOutcome::failed(db.error());
  }
  storage::RetentionStore store(*db);
  const TimePoint now = ctx.clock().now();

  auto batch_start = Steady::now();
  storage::PruneOptions opts;
  opts.between_batches = [&] {
    ctx.progress();
    const bool go_on = ctx.wait_for(pause_after(Steady::now() - batch_start));
    batch_start = Steady::now();
    return go_on;
  };

  std::int64_t runs = 0, activity = 0;
  auto prune = [&](const char* table, const std::optional<milliseconds>& keep, auto&& fn,
                   std::int64_t& count) -> Status {
    if (!keep) return {};
    batch_start = Steady::now();
    auto n = fn(now - *keep);
    if (!n.ok()) {
      log::warn("retention_failed")
          .field("table", table)
          .field("sync_runs", runs)
          .field("activity_log", activity)
          .field("duration_ms", ms_since(t0))
          .msg(n.error().describe());
      return n.error();
    }
    count = n->rows;
    ctx.metrics().add(metric::kRetentionPruned, {{"table", table}}, static_cast<double>(n->rows));
    return {};
  };
  Status st = prune(
      "sync_runs", r.sync_runs,
      [&](TimePoint cutoff) { return store.prune_sync_runs(cutoff, opts); }, runs);
  if (st.ok() && !ctx.stop_requested()) {
    st = prune(
        "psa_activity_log", r.activity_log,
        [&](TimePoint cutoff) { return store.prune_activity_log(cutoff, opts); }, activity);
  }
  if (runs + activity > 0) {
    log::info("retention_pruned")
        .field("sync_runs", runs)
        .field("activity_log", activity)
        .field("duration_ms", ms_since(t0))
        .msg("deleted history rows older than the retention");
  }
  if (!st.ok()) return JobOutcome::failed(st.error());
  return JobOutcome::ok("pruned " + std::to_string(runs) + " sync_runs rows, " +
                        std::to_string(activity) + " psa_activity_log rows");
}

std::vector<std::unique_ptr<Job>> retention_jobs(const Config&) {
  std::vector<std::unique_ptr<Job>> out;
  out.push_back(std::make_unique<RetentionJob>());
  return out;
}

}  // namespace cwsync::daemon
