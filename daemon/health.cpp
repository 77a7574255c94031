#include "daemon/health.h"

#include <map>

#include "daemon/command.h"
#include "storage/database.h"

namespace cwsync::daemon {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::int64_t secs(milliseconds d) { return duration_cast<seconds>(d).count(); }

const char* short_entity(const std::string& entity) {
  if (entity == "opportunities") return "opps";
  return entity.c_str();
}

}  // namespace

HealthReport evaluate_health(const std::vector<JobState>& jobs, TimePoint now,
                             const Status& db_writable) {
  HealthReport r;
  nlohmann::json reasons = nlohmann::json::array();
  nlohmann::json list = nlohmann::json::array();
  if (!db_writable.ok()) {
    reasons.push_back({{"check", "database"}, {"error", db_writable.error().describe()}});
  }
  for (const auto& j : jobs) {
    TimePoint since = j.last_success.value_or(j.added_at);
    auto age = duration_cast<milliseconds>(now - since);
    auto limit = 3 * j.interval;
    nlohmann::json entry = {{"tenant", j.tenant}, {"entity", j.entity}, {"job", j.name},
                            {"interval_s", secs(j.interval)}, {"runs", j.runs},
                            {"failures", j.failures}, {"running", j.running}};
    entry["last_success"] = j.last_success ? nlohmann::json(format_iso8601(*j.last_success))
                                           : nlohmann::json(nullptr);
    if (!j.last_error.empty()) entry["last_error"] = j.last_error;
    list.push_back(entry);
    if (!j.counts_for_health || j.interval.count() <= 0 || age <= limit) continue;
    nlohmann::json reason = {{"check", "freshness"}, {"tenant", j.tenant}, {"entity", j.entity},
                             {"job", j.name}, {"age_s", secs(age)}, {"limit_s", secs(limit)},
                             {"last_success", entry["last_success"]}};
    if (!j.last_error.empty()) reason["last_error"] = j.last_error;
    reasons.push_back(std::move(reason));
  }
  r.ok = reasons.empty();
  r.body = {{"status", r.ok ? "ok" : "unhealthy"}, {"reasons", reasons}, {"jobs", list}};
  return r;
}

Status probe_db_writable(const std::string& db_path) {
  storage::OpenOptions opts;
  opts.create = false;
  opts.busy_timeout = milliseconds(2000);
  auto db = storage::Database::open(db_path, opts);
  if (!db.ok()) return db.error();
  auto tx = storage::WriteTransaction::begin(*db);
  if (!tx.ok()) return tx.error();
  tx->rollback();
  return {};
}

std::string status_line(const std::vector<JobState>& jobs, TimePoint now,
                        const std::optional<storage::QueueCounts>& queue) {
  struct Agg {
    bool never = false, failing = false, any = false;
    TimePoint oldest = TimePoint::max();
  };
  std::vector<std::string> order;
  std::map<std::string, Agg> by_entity;
  for (const auto& j : jobs) {
    if (j.entity == "queue") continue;  // the queue is described by its counts
    if (by_entity.find(j.entity) == by_entity.end()) order.push_back(j.entity);
    Agg& a = by_entity[j.entity];
    a.any = true;
    if (!j.last_error.empty()) a.failing = true;
    if (!j.last_success) a.never = true;
    else if (*j.last_success < a.oldest) a.oldest = *j.last_success;
  }
  std::string out;
  for (const auto& entity : order) {
    const Agg& a = by_entity[entity];
    if (!out.empty()) out += ", ";
    out += short_entity(entity);
    out += ' ';
    out += a.never ? std::string("never") : format_age(duration_cast<milliseconds>(now - a.oldest));
    if (a.failing) out += " (failing)";
  }
  if (!out.empty()) out += ", ";
  if (queue) {
    out += "queue " + std::to_string(queue->pending + queue->in_flight) + " pending/" +
           std::to_string(queue->dead) + " dead";
  } else {
    out += "queue ?";
  }
  if (jobs.empty()) out += " (no jobs configured)";
  return out;
}

}  // namespace cwsync::daemon
