// The queue's write side: enqueue, claims and state transitions. Each public
// function is one BEGIN IMMEDIATE transaction that changes the post and
// appends its activity rows together.
#include "storage/queue_store.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <random>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "storage/row_codec.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;
using std::chrono::milliseconds;

struct LogEntry {
  ActivityEvent event;
  std::optional<int> attempt;
  std::optional<int> http_status;
  std::optional<std::int64_t> duration_ms;
  std::string message;
};

void log_event(SQLite::Database& db, std::int64_t post_id, const LogEntry& e,
               const std::string& now_iso) {
  SQLite::Statement st(db,
      "INSERT INTO psa_activity_log "
      "(post_id, tenant, ticket_id, event, attempt, http_status, duration_ms, message, at) "
      "SELECT id, tenant, ticket_id, :event, :attempt, :http, :duration, :message, :at "
      "FROM psa_posts WHERE id = :id");
  st.bind(":event", to_string(e.event));
  detail::bind(st, ":attempt", e.attempt);
  detail::bind(st, ":http", e.http_status);
  detail::bind(st, ":duration", e.duration_ms);
  st.bind(":message", e.message);
  st.bind(":at", now_iso);
  st.bind(":id", static_cast<int64_t>(post_id));
  st.exec();
}

struct PostState {
  PostStatus status;
  int attempts;  // 'attempt' rows so far
  // The 1-based attempt the post's events belong to: that of its latest
  // claim, whether or not the claim got as far as sending (a payload that
  // fails validation is dead-lettered before any 'attempt' row, and must not
  // log attempt 0); attempts + 1 for a post never claimed.
  int attempt;
  std::optional<std::string> last_error;
};

// The post's state if it is in one of `allowed`; kNotFound / kInvalidInput otherwise.
Result<PostState> expect_state(SQLite::Database& db, std::int64_t id,
                               std::initializer_list<PostStatus> allowed, const char* action) {
  SQLite::Statement st(db,
      "SELECT status, (SELECT COUNT(*) FROM psa_activity_log a "
      "                WHERE a.post_id = p.id AND a.event = 'attempt'), last_error, "
      "  (SELECT c.attempt FROM psa_activity_log c WHERE c.post_id = p.id "
      "   AND c.event = 'claimed' ORDER BY c.id DESC LIMIT 1) "
      "FROM psa_posts p WHERE id = ?");
  st.bind(1, static_cast<int64_t>(id));
  if (!st.executeStep()) {
    return make_error(ErrorKind::kNotFound, "no post " + std::to_string(id));
  }
  const std::string status_text = st.getColumn(0).getString();
  const auto status = parse_post_status(status_text);
  std::string expected;
  for (PostStatus s : allowed) {
    if (status == s) {
      const int attempts = st.getColumn(1).getInt();
      const int attempt = st.getColumn(3).isNull() ? attempts + 1
                                                   : std::max(attempts, st.getColumn(3).getInt());
      return PostState{*status, attempts, attempt, detail::col_text(st.getColumn(2))};
    }
    expected += (expected.empty() ? "" : " or ") + std::string(to_string(s));
  }
  return make_error(ErrorKind::kInvalidInput, "post " + std::to_string(id) + " is " +
                                                  status_text + "; " + action + " needs " +
                                                  expected);
}

// One transaction: check the state, then let `body` log and update.
template <typename F>
Status transition(Database& db, std::int64_t id, std::initializer_list<PostStatus> allowed,
                  const char* action, F&& body) {
  auto txn = WriteTransaction::begin(db);
  if (!txn) return txn.error();
  return guarded(std::string(action) + " post " + std::to_string(id), [&]() -> Status {
    auto state = expect_state(db.handle(), id, allowed, action);
    if (!state) return state.error();
    body(db.handle(), *state);
    return txn->commit();
  });
}

void update_post(SQLite::Database& db, std::int64_t id, const std::string& set,
                 const std::string& now_iso,
                 const std::vector<std::pair<const char*, std::optional<std::string>>>& text = {},
                 const std::vector<std::pair<const char*, std::optional<int>>>& ints = {}) {
  SQLite::Statement st(db, "UPDATE psa_posts SET " + set + ", updated_at = :now WHERE id = :id");
  st.bind(":now", now_iso);
  st.bind(":id", static_cast<int64_t>(id));
  for (const auto& [name, value] : text) detail::bind(st, name, value);
  for (const auto& [name, value] : ints) detail::bind(st, name, value);
  st.exec();
}

std::int64_t ms(milliseconds d) { return static_cast<std::int64_t>(d.count()); }

void requeue_one(SQLite::Database& db, std::int64_t id, const PostState& state,
                 const std::string& now_iso) {
  log_event(db, id, {ActivityEvent::kRequeued, state.attempt, {}, {},
                     "requeued (was dead: " + state.last_error.value_or("no reason") + ")"},
            now_iso);
  update_post(db, id,
              "status = 'pending', retry_count = 0, failures = 0, next_retry_at = :now, "
              "lease_until = NULL",
              now_iso);
}

// A post INSERTed by SQL without `provider` gets the column default,
// connectwise, whatever its tenant's PSA. Storing the provider it is really
// delivered through keeps psa_post_history and dashboards grouping by
// provider right. Only the default is rewritten: another explicit provider is
// the drainer's to reject. True when the row changed.
bool correct_provider(SQLite::Database& db, std::int64_t id,
                      const std::optional<std::string>& provider) {
  if (!provider || *provider == kDefaultPostProvider) return false;
  SQLite::Statement st(db, "UPDATE psa_posts SET provider = ? WHERE id = ? AND provider = ?");
  st.bind(1, *provider);
  st.bind(2, static_cast<int64_t>(id));
  st.bind(3, std::string(kDefaultPostProvider));
  return st.exec() > 0;
}

}  // namespace

std::string new_idempotency_key() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = rng(), lo = rng();
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0x0fff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

Result<EnqueueResult> QueueStore::enqueue(const NewPost& post, TimePoint now) {
  if (post.tenant.empty() || post.provider.empty()) {
    return make_error(ErrorKind::kInvalidInput, "tenant and provider are required");
  }
  if (post.ticket_id <= 0) {
    return make_error(ErrorKind::kInvalidInput, "ticket id must be a positive number");
  }
  if (post.idempotency_key && post.idempotency_key->empty()) {
    return make_error(ErrorKind::kInvalidInput, "idempotency key must not be empty");
  }
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("enqueue", [&]() -> Result<EnqueueResult> {
    SQLite::Database& db = db_->handle();
    SQLite::Statement check(db,
        "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END");
    check.bind(1, post.payload_json);
    check.executeStep();
    const bool payload_ok = check.getColumn(0).getInt() != 0;
    check.reset();
    if (!payload_ok) return make_error(ErrorKind::kInvalidInput, "payload is not a JSON object");
    const std::string key = post.idempotency_key.value_or(new_idempotency_key());
    const std::string now_iso = detail::iso(now);
    SQLite::Statement ins(db,
        "INSERT INTO psa_posts (tenant, provider, kind, ticket_id, payload, idempotency_key, "
        "  next_retry_at, created_at, updated_at) "
        "VALUES (:tenant, :provider, :kind, :ticket, :payload, :key, :now, :now, :now) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id");
    ins.bind(":tenant", post.tenant);
    ins.bind(":provider", post.provider);
    ins.bind(":kind", to_string(post.kind));
    ins.bind(":ticket", static_cast<int64_t>(post.ticket_id));
    ins.bind(":payload", post.payload_json);
    ins.bind(":key", key);
    ins.bind(":now", now_iso);
    EnqueueResult result;
    if (ins.executeStep()) {
      result = {ins.getColumn(0).getInt64(), true};
    } else {
      SQLite::Statement existing(db, "SELECT id FROM psa_posts WHERE idempotency_key = ?");
      existing.bind(1, key);
      if (!existing.executeStep()) {
        return make_error(ErrorKind::kDatabase, "insert ignored but key not found");
      }
      result = {existing.getColumn(0).getInt64(), false};
    }
    ins.reset();  // finish the RETURNING statement before COMMIT
    if (auto st = txn->commit(); !st) return st.error();
    return result;
  });
}

Result<std::vector<ClaimedPost>> QueueStore::claim_due(TimePoint now, milliseconds lease, int limit,
                                                       const ClaimFilter& filter) {
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("claim due posts", [&]() -> Result<std::vector<ClaimedPost>> {
    SQLite::Database& db = db_->handle();
    const std::string now_iso = detail::iso(now);
    const std::string lease_iso = detail::iso(now + lease);
    nlohmann::json excluded = filter.exclude_tenants;
    SQLite::Statement due(db,
        "SELECT p.id, p.status, p.lease_until, "
        "  (SELECT COUNT(*) FROM psa_activity_log a WHERE a.post_id = p.id "
        "   AND a.event = 'attempt') AS attempts "
        "FROM psa_posts p "
        "WHERE ((p.status = 'pending' AND p.next_retry_at <= :now) "
        "    OR (p.status = 'in_flight' AND (p.lease_until IS NULL OR p.lease_until < :now))) "
        "  AND p.id = (SELECT MIN(q.id) FROM psa_posts q WHERE q.tenant = p.tenant "
        "              AND q.ticket_id = p.ticket_id AND q.status IN ('pending', 'in_flight')) "
        "  AND (:tenant IS NULL OR p.tenant = :tenant) "
        "  AND p.tenant NOT IN (SELECT value FROM json_each(:excluded)) "
        "ORDER BY p.next_retry_at, p.id LIMIT :limit");
    due.bind(":now", now_iso);
    detail::bind(due, ":tenant", filter.tenant);
    due.bind(":excluded", excluded.dump());
    due.bind(":limit", limit > 0 ? limit : -1);
    struct Pick { std::int64_t id; bool reclaimed; std::string old_lease; int attempts; };
    std::vector<Pick> picks;
    while (due.executeStep()) {
      picks.push_back({due.getColumn(0).getInt64(), due.getColumn(1).getString() == "in_flight",
                       due.getColumn(2).getString(), due.getColumn(3).getInt()});
    }
    std::vector<ClaimedPost> out;
    SQLite::Statement read(db, std::string(detail::kPostSelect) + "WHERE p.id = ?");
    for (const Pick& p : picks) {
      const std::string msg = p.reclaimed
          ? "reclaimed after lease expired (" + (p.old_lease.empty() ? "none" : p.old_lease) +
                "); lease until " + lease_iso
          : "lease until " + lease_iso;
      const bool corrected = correct_provider(db, p.id, filter.provider);
      log_event(db, p.id,
                {ActivityEvent::kClaimed, p.attempts + 1, {}, {},
                 msg + (corrected ? "; provider set to " + *filter.provider +
                                        " (the tenant's PSA; the row had the default)"
                                  : std::string())},
                now_iso);
      update_post(db, p.id, "status = 'in_flight', lease_until = :lease", now_iso,
                  {{":lease", lease_iso}});
      read.reset();
      read.bind(1, static_cast<int64_t>(p.id));
      read.executeStep();
      ClaimedPost claimed{detail::read_post(read), p.reclaimed, std::nullopt};
      if (p.reclaimed) claimed.previous_lease = parse_iso8601(p.old_lease);
      out.push_back(std::move(claimed));
    }
    read.reset();
    if (auto st = txn->commit(); !st) return st.error();
    return out;
  });
}

Status QueueStore::record_attempt(std::int64_t post_id, int attempt, std::optional<int> http_status,
                                  milliseconds duration, std::string_view message, TimePoint now) {
  const std::string now_iso = detail::iso(now);
  return transition(*db_, post_id, {PostStatus::kInFlight}, "record_attempt",
                    [&](SQLite::Database& db, const PostState&) {
    log_event(db, post_id,
              {ActivityEvent::kAttempt, attempt, http_status, ms(duration), std::string(message)},
              now_iso);
    update_post(db, post_id, "last_http_status = COALESCE(:http, last_http_status)", now_iso, {},
                {{":http", http_status}});
  });
}

Status QueueStore::mark_succeeded(std::int64_t post_id, std::optional<std::string> remote_id,
                                  std::optional<int> http_status, milliseconds duration,
                                  TimePoint now) {
  const std::string now_iso = detail::iso(now);
  return transition(*db_, post_id, {PostStatus::kInFlight}, "mark_succeeded",
                    [&](SQLite::Database& db, const PostState& s) {
    log_event(db, post_id,
              {ActivityEvent::kSucceeded, s.attempt, http_status, ms(duration),
               "delivered" + (remote_id ? " as " + *remote_id : std::string())},
              now_iso);
    update_post(db, post_id,
                "status = 'succeeded', remote_id = :remote, last_http_status = :http, "
                "last_error = NULL, lease_until = NULL",
                now_iso, {{":remote", remote_id}}, {{":http", http_status}});
  });
}

Status QueueStore::mark_deduplicated(std::int64_t post_id, std::optional<std::string> remote_id,
                                     std::string_view evidence, TimePoint now) {
  const std::string now_iso = detail::iso(now);
  return transition(*db_, post_id, {PostStatus::kInFlight}, "mark_deduplicated",
                    [&](SQLite::Database& db, const PostState& s) {
    log_event(db, post_id, {ActivityEvent::kDeduplicated, s.attempt, {}, {}, std::string(evidence)},
              now_iso);
    log_event(db, post_id,
              {ActivityEvent::kSucceeded, s.attempt, {}, {},
               "already applied upstream" + (remote_id ? " as " + *remote_id : std::string())},
              now_iso);
    update_post(db, post_id,
                "status = 'succeeded', remote_id = COALESCE(:remote, remote_id), "
                "last_error = NULL, lease_until = NULL",
                now_iso, {{":remote", remote_id}});
  });
}

Status QueueStore::schedule_retry(std::int64_t post_id, TimePoint next_at, std::string_view error,
                                  std::optional<int> http_status, TimePoint now,
                                  bool counts_failure) {
  const std::string now_iso = detail::iso(now);
  const std::string next_iso = detail::iso(next_at);
  return transition(*db_, post_id, {PostStatus::kInFlight}, "schedule_retry",
                    [&](SQLite::Database& db, const PostState& s) {
    log_event(db, post_id, {ActivityEvent::kFailed, s.attempt, http_status, {}, std::string(error)},
              now_iso);
    log_event(db, post_id,
              {ActivityEvent::kRetryScheduled, s.attempt, {}, {}, "next attempt at " + next_iso},
              now_iso);
    update_post(db, post_id,
                "status = 'pending', retry_count = retry_count + 1, next_retry_at = :next, "
                "failures = failures + :counted, "
                "last_error = :error, last_http_status = :http, lease_until = NULL",
                now_iso, {{":next", next_iso}, {":error", std::string(error)}},
                {{":http", http_status}, {":counted", counts_failure ? 1 : 0}});
  });
}

Status QueueStore::dead_letter(std::int64_t post_id, std::string_view reason,
                               std::optional<int> http_status, TimePoint now,
                               bool counts_failure) {
  const std::string now_iso = detail::iso(now);
  return transition(*db_, post_id, {PostStatus::kPending, PostStatus::kInFlight}, "dead_letter",
                    [&](SQLite::Database& db, const PostState& s) {
    log_event(db, post_id,
              {ActivityEvent::kDeadLettered, s.attempt, http_status, {}, std::string(reason)},
              now_iso);
    update_post(db, post_id,
                "status = 'dead', last_error = :reason, failures = failures + :counted, "
                "last_http_status = COALESCE(:http, last_http_status), lease_until = NULL",
                now_iso, {{":reason", std::string(reason)}},
                {{":http", http_status}, {":counted", counts_failure ? 1 : 0}});
  });
}

Status QueueStore::release(std::int64_t post_id, TimePoint next_at, std::string_view reason,
                           TimePoint now, std::optional<std::string_view> error,
                           std::optional<int> http_status) {
  const std::string now_iso = detail::iso(now);
  const std::string next_iso = detail::iso(next_at);
  return transition(*db_, post_id, {PostStatus::kInFlight}, "release",
                    [&](SQLite::Database& db, const PostState& s) {
    log_event(db, post_id,
              {ActivityEvent::kRetryScheduled, s.attempt, {}, {},
               "released (" + std::string(reason) + "); next attempt at " + next_iso},
              now_iso);
    if (!error) {
      update_post(db, post_id, "status = 'pending', next_retry_at = :next, lease_until = NULL",
                  now_iso, {{":next", next_iso}});
      return;
    }
    update_post(db, post_id,
                "status = 'pending', next_retry_at = :next, lease_until = NULL, "
                "last_error = :error, last_http_status = :http",
                now_iso, {{":next", next_iso}, {":error", std::string(*error)}}, {{":http", http_status}});
  });
}

Status QueueStore::requeue(std::int64_t post_id, TimePoint now) {
  const std::string now_iso = detail::iso(now);
  return transition(*db_, post_id, {PostStatus::kDead}, "requeue",
                    [&](SQLite::Database& db, const PostState& s) {
    requeue_one(db, post_id, s, now_iso);
  });
}

Result<std::int64_t> QueueStore::requeue_all_dead(std::optional<std::string> tenant,
                                                  TimePoint now) {
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("requeue dead posts", [&]() -> Result<std::int64_t> {
    SQLite::Database& db = db_->handle();
    SQLite::Statement st(db,
        "SELECT id FROM psa_posts WHERE status = 'dead' AND (?1 IS NULL OR tenant = ?1) "
        "ORDER BY id");
    detail::bind(st, "?1", tenant);
    std::vector<std::int64_t> ids;
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    const std::string now_iso = detail::iso(now);
    for (std::int64_t id : ids) {
      auto state = expect_state(db, id, {PostStatus::kDead}, "requeue");
      if (!state) return state.error();
      requeue_one(db, id, *state, now_iso);
    }
    if (auto s = txn->commit(); !s) return s.error();
    return static_cast<std::int64_t>(ids.size());
  });
}

Result<std::int64_t> QueueStore::purge_succeeded_older_than(TimePoint cutoff, TimePoint now) {
  auto txn = WriteTransaction::begin(*db_);
  if (!txn) return txn.error();
  return guarded("purge succeeded posts", [&]() -> Result<std::int64_t> {
    SQLite::Database& db = db_->handle();
    const std::string cutoff_iso = detail::iso(cutoff);
    SQLite::Statement log(db,
        "INSERT INTO psa_activity_log (post_id, tenant, ticket_id, event, message, at) "
        "SELECT id, tenant, ticket_id, 'purged', :msg, :now FROM psa_posts "
        "WHERE status = 'succeeded' AND updated_at < :cutoff ORDER BY id");
    log.bind(":msg", "purged: succeeded before " + cutoff_iso);
    log.bind(":now", detail::iso(now));
    log.bind(":cutoff", cutoff_iso);
    log.exec();
    SQLite::Statement del(db, "DELETE FROM psa_posts WHERE status = 'succeeded' AND updated_at < ?");
    del.bind(1, cutoff_iso);
    const std::int64_t n = del.exec();
    if (auto s = txn->commit(); !s) return s.error();
    return n;
  });
}

}  // namespace cwsync::storage
