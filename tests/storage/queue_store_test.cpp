#include "storage/queue_store.h"

#include <regex>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "test_db.h"

namespace cwsync::storage {
namespace {

using namespace std::chrono_literals;
using testing::at;

const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kIso("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$");

class QueueStoreTest : public testing::DbTest {
 protected:
  QueueStore queue{db()};
  const TimePoint t0 = at("2026-11-23T10:00:00Z");

  std::int64_t post(std::int64_t ticket, const std::string& tenant = "acme",
                    std::optional<std::string> key = {}) {
    NewPost p;
    p.tenant = tenant;
    p.kind = PostKind::kNote;
    p.ticket_id = ticket;
    p.payload_json = R"({"text":"hello","type":"internal"})";
    p.idempotency_key = std::move(key);
    auto r = queue.enqueue(p, t0);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r->id;
  }

  std::vector<std::int64_t> claim(TimePoint now, int limit = 10, ClaimFilter f = {}) {
    auto c = queue.claim_due(now, 2min, limit, f);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    std::vector<std::int64_t> ids;
    for (const auto& cp : *c) ids.push_back(cp.post.id);
    return ids;
  }

  // "event:attempt" for each activity row of a post, oldest first.
  std::vector<std::string> events(std::int64_t id) {
    auto rows = queue.activity(id);
    EXPECT_TRUE(rows.ok());
    std::vector<std::string> out;
    for (const auto& r : *rows) {
      out.push_back(std::string(to_string(r.event)) +
                    (r.attempt ? ":" + std::to_string(*r.attempt) : ""));
    }
    return out;
  }

  PostRow row(std::int64_t id) { return (*queue.get(id))->post; }
};

using Events = std::vector<std::string>;

TEST_F(QueueStoreTest, MinimalSqlInsertGetsDefaultsAndAnEnqueuedRow) {
  db().handle().exec(
      "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
      "VALUES ('acme', 'note', 123, '{\"text\":\"hi\",\"type\":\"internal\"}')");
  db().handle().exec(
      "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
      "VALUES ('acme', 'status', 123, '{\"status\":\"Closed\"}')");
  auto posts = queue.list({});
  ASSERT_TRUE(posts.ok());
  ASSERT_EQ(posts->size(), 2u);
  const PostRow& p = (*posts)[1];  // newest first
  EXPECT_EQ(p.provider, "connectwise");
  EXPECT_EQ(p.status, PostStatus::kPending);
  EXPECT_EQ(p.kind, PostKind::kNote);
  EXPECT_EQ(p.retry_count, 0);
  EXPECT_EQ(p.attempts, 0);
  EXPECT_TRUE(std::regex_match(p.idempotency_key, kUuid)) << p.idempotency_key;
  EXPECT_NE(p.idempotency_key, (*posts)[0].idempotency_key);
  for (const char* c : {"next_retry_at", "created_at", "updated_at"}) {
    const std::string v = text(std::string("SELECT ") + c + " FROM psa_posts WHERE id = " +
                               std::to_string(p.id));
    EXPECT_TRUE(std::regex_match(v, kIso)) << c << "=" << v;
  }
  EXPECT_EQ(events(p.id), Events{"enqueued"});
  EXPECT_EQ(text("SELECT message FROM psa_activity_log WHERE post_id = " + std::to_string(p.id)),
            "note");
  // It is due at once.
  EXPECT_EQ(claim(SysClock::now() + 1s).size(), 1u);  // one per ticket
  // The schema rejects an unknown kind.
  EXPECT_THROW(db().handle().exec("INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
                                  "VALUES ('acme', 'email', 1, '{}')"),
               std::exception);
}

TEST_F(QueueStoreTest, DuplicateIdempotencyKeyIsANoOp) {
  const auto first = post(7, "acme", "key-1");
  NewPost again;
  again.tenant = "acme";
  again.ticket_id = 8;
  again.payload_json = R"({"text":"again"})";  // a well-typed row: the table refuses others
  again.idempotency_key = "key-1";
  auto r = queue.enqueue(again, t0 + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->inserted);
  EXPECT_EQ(r->id, first);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_posts"), 1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_activity_log"), 1);
  EXPECT_EQ(row(first).ticket_id, 7);
  // Without a key one is minted.
  const auto minted = post(9);
  EXPECT_TRUE(std::regex_match(row(minted).idempotency_key, kUuid));
  EXPECT_TRUE(std::regex_match(new_idempotency_key(), kUuid));
}

TEST_F(QueueStoreTest, EnqueueRejectsInvalidInput) {
  NewPost p;
  p.tenant = "acme";
  p.ticket_id = 1;
  for (const char* payload : {"{bad", "[1,2]", "\"text\"", ""}) {
    p.payload_json = payload;
    auto r = queue.enqueue(p, t0);
    ASSERT_FALSE(r.ok()) << payload;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  }
  p.payload_json = "{}";
  p.ticket_id = 0;
  EXPECT_EQ(queue.enqueue(p, t0).error().kind, ErrorKind::kInvalidInput);
  p.ticket_id = 1;
  p.tenant = "";
  EXPECT_EQ(queue.enqueue(p, t0).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_posts"), 0);
}

TEST_F(QueueStoreTest, ClaimsInIdOrderPerTicketAndBlocksOnlyThatTicket) {
  const auto a1 = post(1), a2 = post(1), b1 = post(2);
  const auto other_tenant = post(1, "globex");
  EXPECT_EQ(claim(t0), (std::vector<std::int64_t>{a1, b1, other_tenant}));
  ASSERT_TRUE(queue.mark_succeeded(other_tenant, "g-1", 201, 10ms, t0).ok());
  // a1 fails and waits an hour: a2 stays blocked behind it; ticket 2 moves on.
  ASSERT_TRUE(queue.schedule_retry(a1, t0 + 1h, "HTTP 503", 503, t0).ok());
  ASSERT_TRUE(queue.mark_succeeded(b1, "n-1", 201, 120ms, t0).ok());
  const auto b2 = post(2);
  EXPECT_EQ(claim(t0 + 1min), (std::vector<std::int64_t>{b2}));
  ASSERT_TRUE(queue.mark_succeeded(b2, "n-3", 201, 10ms, t0 + 1min).ok());
  EXPECT_EQ(row(a2).status, PostStatus::kPending);
  // When a1 is due again it goes before a2; after it succeeds, a2 is next.
  EXPECT_EQ(claim(t0 + 1h), (std::vector<std::int64_t>{a1}));
  ASSERT_TRUE(queue.mark_succeeded(a1, "n-2", 201, 80ms, t0 + 1h).ok());
  EXPECT_EQ(claim(t0 + 1h), (std::vector<std::int64_t>{a2}));
}

TEST_F(QueueStoreTest, ClaimFiltersByTenantAndLimit) {
  const auto a = post(1), b = post(2), g = post(3, "globex");
  EXPECT_EQ(claim(t0, 10, {.tenant = {}, .exclude_tenants = {"acme"}, .provider = {}}),
            (std::vector<std::int64_t>{g}));
  EXPECT_EQ(claim(t0, 1, {.tenant = "acme", .exclude_tenants = {}, .provider = {}}),
            (std::vector<std::int64_t>{a}));
  EXPECT_EQ(claim(t0, 0), (std::vector<std::int64_t>{b}));
}

TEST_F(QueueStoreTest, ExpiredLeaseIsReclaimed) {
  const auto id = post(5);
  ASSERT_EQ(claim(t0).size(), 1u);
  EXPECT_EQ(format_iso8601(*row(id).lease_until), "2026-11-23T10:02:00Z");
  EXPECT_TRUE(claim(t0 + 1min).empty());  // lease still held
  auto c = queue.claim_due(t0 + 3min, 2min, 10);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_TRUE((*c)[0].reclaimed);
  EXPECT_EQ(format_iso8601(*(*c)[0].post.lease_until), "2026-11-23T10:05:00Z");
  EXPECT_EQ(events(id), (Events{"enqueued", "claimed:1", "claimed:1"}));
  auto detail = queue.get(id);
  EXPECT_NE((*detail)->activity.back().message->find("reclaimed"), std::string::npos);
}

TEST_F(QueueStoreTest, RetryThenSuccessWritesExactlyItsRows) {
  const auto id = post(1);
  ASSERT_EQ(claim(t0).size(), 1u);
  ASSERT_TRUE(queue.record_attempt(id, 1, 503, 250ms, "POST /service/tickets/1/notes", t0).ok());
  ASSERT_TRUE(queue.schedule_retry(id, t0 + 30s, "HTTP 503: unavailable", 503, t0).ok());
  PostRow p = row(id);
  EXPECT_EQ(p.status, PostStatus::kPending);
  EXPECT_EQ(p.retry_count, 1);
  EXPECT_EQ(p.attempts, 1);
  EXPECT_EQ(p.last_error, "HTTP 503: unavailable");
  EXPECT_EQ(p.last_http_status, 503);
  EXPECT_FALSE(p.lease_until.has_value());
  EXPECT_EQ(format_iso8601(p.next_retry_at), "2026-11-23T10:00:30Z");
  EXPECT_TRUE(claim(t0 + 29s).empty());

  ASSERT_EQ(claim(t0 + 30s).size(), 1u);
  ASSERT_TRUE(queue.record_attempt(id, 2, 201, 90ms, "POST /service/tickets/1/notes",
                                   t0 + 31s).ok());
  ASSERT_TRUE(queue.mark_succeeded(id, "4711", 201, 90ms, t0 + 31s).ok());
  EXPECT_EQ(events(id), (Events{"enqueued", "claimed:1", "attempt:1", "failed:1",
                                "retry_scheduled:1", "claimed:2", "attempt:2", "succeeded:2"}));
  p = row(id);
  EXPECT_EQ(p.status, PostStatus::kSucceeded);
  EXPECT_EQ(p.remote_id, "4711");
  EXPECT_FALSE(p.last_error.has_value());
  auto detail = queue.get(id);
  const ActivityRow& attempt = (*detail)->activity[2];
  EXPECT_EQ(attempt.http_status, 503);
  EXPECT_EQ(attempt.duration_ms, 250);
  EXPECT_EQ(attempt.ticket_id, 1);

  auto history = queue.history("acme", 1);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].attempts, 2);
  EXPECT_EQ((*history)[0].status, "succeeded");
  EXPECT_EQ((*history)[0].last_event, "succeeded");
  EXPECT_EQ(format_iso8601(*(*history)[0].delivered_at), "2026-11-23T10:00:31Z");
}

TEST_F(QueueStoreTest, DeduplicatedDeadRequeuedAndReleasedRows) {
  const auto dup = post(1), dead = post(2), rel = post(3);
  ASSERT_EQ(claim(t0).size(), 3u);
  ASSERT_TRUE(queue.mark_deduplicated(dup, "99", "marker [cwsync:7f3a9c] in note 99", t0).ok());
  // Events belong to the claim's attempt even when no 'attempt' row was
  // written (attempt is 1-based: docs/schema.md §psa_activity_log).
  EXPECT_EQ(events(dup), (Events{"enqueued", "claimed:1", "deduplicated:1", "succeeded:1"}));
  EXPECT_EQ(row(dup).remote_id, "99");

  ASSERT_TRUE(queue.record_attempt(dead, 1, 400, 40ms, "bad request", t0).ok());
  ASSERT_TRUE(queue.dead_letter(dead, "HTTP 400: member not found", 400, t0).ok());
  EXPECT_EQ(events(dead), (Events{"enqueued", "claimed:1", "attempt:1", "dead_lettered:1"}));
  EXPECT_EQ(row(dead).status, PostStatus::kDead);
  EXPECT_EQ(row(dead).last_error, "HTTP 400: member not found");
  ASSERT_TRUE(queue.requeue(dead, t0 + 1h).ok());
  PostRow p = row(dead);
  EXPECT_EQ(p.status, PostStatus::kPending);
  EXPECT_EQ(p.retry_count, 0);
  EXPECT_EQ(format_iso8601(*p.last_requeued_at), "2026-11-23T11:00:00Z");
  EXPECT_EQ(events(dead).back(), "requeued:1");

  ASSERT_TRUE(queue.release(rel, t0 + 10min, "tenant paused after HTTP 401", t0).ok());
  EXPECT_EQ(events(rel), (Events{"enqueued", "claimed:1", "retry_scheduled:1"}));
  EXPECT_EQ(row(rel).retry_count, 0);
  EXPECT_EQ(row(rel).status, PostStatus::kPending);
}

TEST_F(QueueStoreTest, WrongStateTransitionsChangeNothing) {
  const auto id = post(1);
  const auto before = scalar("SELECT COUNT(*) FROM psa_activity_log");
  auto st = queue.mark_succeeded(id, "1", 201, 1ms, t0);  // still pending
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(st.error().message.find("pending"), std::string::npos) << st.error().message;
  EXPECT_EQ(queue.requeue(id, t0).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(queue.schedule_retry(id, t0, "x", {}, t0).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(queue.requeue(12345, t0).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_activity_log"), before);
  EXPECT_EQ(row(id).status, PostStatus::kPending);
  // A pending post may be dead-lettered directly (invalid row on first sight).
  EXPECT_TRUE(queue.dead_letter(id, "payload is not valid JSON", {}, t0).ok());
}

TEST_F(QueueStoreTest, RequeueAllDeadAndPurgeKeepHistory) {
  const auto d1 = post(1), d2 = post(2), d3 = post(3, "globex");
  for (auto id : {d1, d2, d3}) ASSERT_TRUE(queue.dead_letter(id, "gone", 404, t0).ok());
  auto n = queue.requeue_all_dead("acme", t0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(row(d3).status, PostStatus::kDead);
  EXPECT_EQ(*queue.requeue_all_dead(std::nullopt, t0), 1);

  // d1 delivered long ago, d2 recently.
  claim(t0);
  ASSERT_TRUE(queue.mark_succeeded(d1, "r1", 201, 1ms, t0).ok());
  ASSERT_TRUE(queue.mark_succeeded(d2, "r2", 201, 1ms, t0 + 240h).ok());
  auto purged = queue.purge_succeeded_older_than(t0 + 24h, t0 + 300h);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(queue.get(d1)->has_value());
  EXPECT_TRUE(queue.get(d2)->has_value());
  // The purged post's history stays, ending in 'purged'.
  EXPECT_EQ(events(d1).front(), "enqueued");
  EXPECT_EQ(events(d1).back(), "purged");
  EXPECT_EQ(queue.history({}, 1)->size(), 0u);
  EXPECT_EQ(queue.history({}, 2)->size(), 1u);
}

TEST_F(QueueStoreTest, ActivityLogIsAppendOnly) {
  const auto id = post(1);
  EXPECT_THROW(db().handle().exec("UPDATE psa_activity_log SET message = 'x'"), std::exception);
  EXPECT_THROW(db().handle().exec("DELETE FROM psa_activity_log"), std::exception);
  EXPECT_EQ(events(id), Events{"enqueued"});
}

TEST_F(QueueStoreTest, CountsAgesAndNextDue) {
  EXPECT_FALSE(queue.next_due_at()->has_value());
  EXPECT_FALSE(queue.oldest_pending_age(t0)->has_value());
  const auto a = post(1);
  post(2);
  post(3, "globex");
  ASSERT_EQ(claim(t0, 1).size(), 1u);
  ASSERT_TRUE(queue.dead_letter(a, "x", {}, t0).ok());
  auto c = queue.counts();
  EXPECT_EQ(c->pending, 2);
  EXPECT_EQ(c->dead, 1);
  EXPECT_EQ(queue.counts("globex")->pending, 1);
  auto by = queue.counts_by_tenant();
  EXPECT_EQ((*by)["acme"].dead, 1);
  EXPECT_EQ((*by)["acme"].pending, 1);
  EXPECT_EQ(**queue.oldest_pending_age(t0 + 90s), 90s);
  EXPECT_EQ(format_iso8601(**queue.next_due_at()), "2026-11-23T10:00:00Z");
  auto dead = queue.list({.status = PostStatus::kDead, .tenant = {}, .ticket_id = {}, .limit = 10});
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, a);
  EXPECT_EQ(queue.list({.status = {}, .tenant = {}, .ticket_id = 2, .limit = 0})->size(), 1u);
}

}  // namespace
}  // namespace cwsync::storage
