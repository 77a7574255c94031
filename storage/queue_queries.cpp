// The queue's read side: listings, a post with its activity, ticket history
// and the numbers metrics and `cwsync status` show.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/queue_store.h"
#include "storage/row_codec.h"
#include "storage/sql_util.h"

namespace cwsync::storage {

namespace detail {

const char* const kPostSelect =
    "SELECT p.*, "
    "  (SELECT COUNT(*) FROM psa_activity_log a "
    "   WHERE a.post_id = p.id AND a.event = 'attempt') AS attempts, "
    "  (SELECT MAX(a.at) FROM psa_activity_log a "
    "   WHERE a.post_id = p.id AND a.event = 'requeued') AS last_requeued_at, "
    "  (SELECT MIN(a.at) FROM psa_activity_log a "
    "   WHERE a.post_id = p.id AND a.event = 'claimed') AS first_claimed_at, "
    "  (SELECT COUNT(*) FROM psa_activity_log a "
    "   WHERE a.post_id = p.id AND a.event = 'claimed') AS claims "
    "FROM psa_posts p ";

PostRow read_post(SQLite::Statement& st) {
  PostRow r;
  r.id = st.getColumn("id").getInt64();
  r.tenant = st.getColumn("tenant").getString();
  r.provider = st.getColumn("provider").getString();
  r.kind = parse_post_kind(st.getColumn("kind").getString());
  const SQLite::Column ticket = st.getColumn("ticket_id");
  r.ticket_id = ticket.getInt64();
  if (!ticket.isInteger()) r.ticket_id_text = ticket.isBlob() ? "(a blob)" : ticket.getString();
  r.payload = st.getColumn("payload").getString();
  r.idempotency_key = st.getColumn("idempotency_key").getString();
  r.status = parse_post_status(st.getColumn("status").getString()).value_or(PostStatus::kPending);
  r.retry_count = st.getColumn("retry_count").getInt();
  r.attempts = st.getColumn("attempts").getInt();
  r.failures = st.getColumn("failures").getInt();
  r.first_claimed_at = col_time(st.getColumn("first_claimed_at"));
  r.claims = st.getColumn("claims").getInt();
  // An unparsable time (a hand-written row) reads as the epoch: due now.
  r.next_retry_at = col_time_or_epoch(st.getColumn("next_retry_at"));
  r.last_error = col_text(st.getColumn("last_error"));
  r.last_http_status = col_int32(st.getColumn("last_http_status"));
  r.remote_id = col_text(st.getColumn("remote_id"));
  r.lease_until = col_time(st.getColumn("lease_until"));
  r.last_requeued_at = col_time(st.getColumn("last_requeued_at"));
  r.created_at = col_time_or_epoch(st.getColumn("created_at"));
  r.updated_at = col_time_or_epoch(st.getColumn("updated_at"));
  return r;
}

ActivityRow read_activity(SQLite::Statement& st) {
  ActivityRow r;
  r.id = st.getColumn("id").getInt64();
  r.post_id = st.getColumn("post_id").getInt64();
  r.tenant = st.getColumn("tenant").getString();
  r.ticket_id = col_int(st.getColumn("ticket_id"));
  r.event = parse_activity_event(st.getColumn("event").getString())
                .value_or(ActivityEvent::kEnqueued);
  r.attempt = col_int32(st.getColumn("attempt"));
  r.http_status = col_int32(st.getColumn("http_status"));
  r.duration_ms = col_int(st.getColumn("duration_ms"));
  r.message = col_text(st.getColumn("message"));
  r.at = col_time_or_epoch(st.getColumn("at"));
  return r;
}

}  // namespace detail

namespace {

using detail::guarded;

QueueCounts& add(QueueCounts& c, std::string_view status, std::int64_t n) {
  if (status == "pending") c.pending += n;
  else if (status == "in_flight") c.in_flight += n;
  else if (status == "succeeded") c.succeeded += n;
  else if (status == "dead") c.dead += n;
  return c;
}

}  // namespace

Result<std::vector<PostRow>> QueueStore::list(const PostFilter& filter) {
  return guarded("list posts", [&]() -> Result<std::vector<PostRow>> {
    SQLite::Statement st(db_->handle(), std::string(detail::kPostSelect) +
        "WHERE (:status IS NULL OR p.status = :status) "
        "AND (:tenant IS NULL OR p.tenant = :tenant) "
        "AND (:ticket IS NULL OR p.ticket_id = :ticket) "
        "ORDER BY p.id DESC LIMIT :limit");
    std::optional<std::string> status;
    if (filter.status) status = to_string(*filter.status);
    detail::bind(st, ":status", status);
    detail::bind(st, ":tenant", filter.tenant);
    detail::bind(st, ":ticket", filter.ticket_id);
    st.bind(":limit", filter.limit > 0 ? filter.limit : -1);
    std::vector<PostRow> out;
    while (st.executeStep()) out.push_back(detail::read_post(st));
    return out;
  });
}

Result<std::vector<ActivityRow>> QueueStore::activity(std::int64_t post_id) {
  return guarded("post activity", [&]() -> Result<std::vector<ActivityRow>> {
    SQLite::Statement st(db_->handle(),
                         "SELECT * FROM psa_activity_log WHERE post_id = ? ORDER BY id");
    st.bind(1, static_cast<int64_t>(post_id));
    std::vector<ActivityRow> out;
    while (st.executeStep()) out.push_back(detail::read_activity(st));
    return out;
  });
}

Result<std::optional<PostDetail>> QueueStore::get(std::int64_t post_id) {
  auto post = guarded("get post", [&]() -> Result<std::optional<PostRow>> {
    SQLite::Statement st(db_->handle(), std::string(detail::kPostSelect) + "WHERE p.id = ?");
    st.bind(1, static_cast<int64_t>(post_id));
    if (!st.executeStep()) return std::optional<PostRow>();
    return std::optional<PostRow>(detail::read_post(st));
  });
  if (!post) return post.error();
  if (!post->has_value()) return std::optional<PostDetail>();
  auto events = activity(post_id);
  if (!events) return events.error();
  return std::optional<PostDetail>(PostDetail{std::move(**post), std::move(*events)});
}

Result<std::vector<PostHistoryRow>> QueueStore::history(std::optional<std::string> tenant,
                                                        std::int64_t ticket_id, int limit) {
  return guarded("post history", [&]() -> Result<std::vector<PostHistoryRow>> {
    // Also the rows whose ticket_id is not an INTEGER but reads as this
    // ticket ('1010abc', 1010.5: rows inserted by SQL, dead-lettered by the
    // drainer), so the operator looking for ticket 1010 finds them. Both
    // ranges use the index: REAL sorts among the numbers, TEXT after them.
    SQLite::Statement st(db_->handle(),
        "SELECT * FROM psa_post_history "
        "WHERE ((ticket_id >= :ticket AND ticket_id < :ticket + 1) "
        "       OR (ticket_id >= '' AND CAST(ticket_id AS INTEGER) = :ticket)) "
        "AND (:tenant IS NULL OR tenant = :tenant) ORDER BY post_id LIMIT :limit");
    st.bind(":ticket", static_cast<int64_t>(ticket_id));
    detail::bind(st, ":tenant", tenant);
    st.bind(":limit", limit > 0 ? limit : -1);
    std::vector<PostHistoryRow> out;
    while (st.executeStep()) {
      PostHistoryRow h;
      h.post_id = st.getColumn("post_id").getInt64();
      h.tenant = st.getColumn("tenant").getString();
      h.provider = st.getColumn("provider").getString();
      h.kind = st.getColumn("kind").getString();
      h.status = st.getColumn("status").getString();
      h.ticket_id = st.getColumn("ticket_id").getInt64();
      h.attempts = st.getColumn("attempts").getInt();
      h.retry_count = st.getColumn("retry_count").getInt();
      h.last_http_status = detail::col_int32(st.getColumn("last_http_status"));
      h.last_error = detail::col_text(st.getColumn("last_error"));
      h.remote_id = detail::col_text(st.getColumn("remote_id"));
      h.last_event = detail::col_text(st.getColumn("last_event"));
      h.created_at = detail::col_time_or_epoch(st.getColumn("created_at"));
      h.updated_at = detail::col_time_or_epoch(st.getColumn("updated_at"));
      h.delivered_at = detail::col_time(st.getColumn("delivered_at"));
      h.last_event_at = detail::col_time(st.getColumn("last_event_at"));
      out.push_back(std::move(h));
    }
    return out;
  });
}

Result<QueueCounts> QueueStore::counts(std::optional<std::string> tenant) {
  return guarded("queue counts", [&]() -> Result<QueueCounts> {
    SQLite::Statement st(db_->handle(),
        "SELECT status, COUNT(*) FROM psa_posts WHERE ?1 IS NULL OR tenant = ?1 GROUP BY status");
    detail::bind(st, "?1", tenant);
    QueueCounts c;
    while (st.executeStep()) add(c, st.getColumn(0).getString(), st.getColumn(1).getInt64());
    return c;
  });
}

Result<std::map<std::string, QueueCounts>> QueueStore::counts_by_tenant() {
  return guarded("queue counts by tenant", [&]() -> Result<std::map<std::string, QueueCounts>> {
    SQLite::Statement st(db_->handle(),
                         "SELECT tenant, status, COUNT(*) FROM psa_posts GROUP BY tenant, status");
    std::map<std::string, QueueCounts> out;
    while (st.executeStep()) {
      add(out[st.getColumn(0).getString()], st.getColumn(1).getString(),
          st.getColumn(2).getInt64());
    }
    return out;
  });
}

Result<std::optional<std::chrono::milliseconds>> QueueStore::oldest_pending_age(
    TimePoint now, std::optional<std::string> tenant) {
  using Age = std::optional<std::chrono::milliseconds>;
  return guarded("oldest pending", [&]() -> Result<Age> {
    SQLite::Statement st(db_->handle(),
        "SELECT MIN(created_at) FROM psa_posts WHERE status IN ('pending', 'in_flight') "
        "AND (?1 IS NULL OR tenant = ?1)");
    detail::bind(st, "?1", tenant);
    st.executeStep();
    auto oldest = detail::col_time(st.getColumn(0));
    if (!oldest) return Age();
    return Age(std::chrono::duration_cast<std::chrono::milliseconds>(now - *oldest));
  });
}

Result<std::optional<TimePoint>> QueueStore::next_due_at() {
  return guarded("next due", [&]() -> Result<std::optional<TimePoint>> {
    SQLite::Statement st(db_->handle(),
        "SELECT MIN(t) FROM (SELECT MIN(next_retry_at) AS t FROM psa_posts "
        "WHERE status = 'pending' UNION ALL SELECT MIN(COALESCE(lease_until, '')) FROM psa_posts "
        "WHERE status = 'in_flight')");
    st.executeStep();
    if (st.getColumn(0).isNull()) return std::optional<TimePoint>();
    // '' (an in_flight row without lease) sorts first and means "now".
    return std::optional<TimePoint>(detail::col_time_or_epoch(st.getColumn(0)));
  });
}

}  // namespace cwsync::storage
