// The drainer against cwsim: delivery bodies, order, retry schedule, dead
// letters, requeue, applied-then-lost dedup, auth pause, invalid rows.
#include "sync/queue_drainer.h"

#include "queue_fixture.h"
#include "sync/note_marker.h"

namespace cwsync::test {
namespace {

using storage::PostKind;
using storage::PostStatus;
using namespace std::chrono_literals;

class QueueDrainerTest : public QueueFixture {
 protected:
  std::int64_t board_of(std::int64_t ticket_id) { return ticket(ticket_id)["board"]["id"]; }
};

TEST_F(QueueDrainerTest, DeliversEachKindWithTheRightBody) {
  auto note = enqueue(PostKind::kNote, 1001,
                      {{"text", "Rebooted the firewall."}, {"type", "resolution"},
                       {"member", "bjones@msp.example.com"}});
  auto status = enqueue(PostKind::kStatus, 1002, {{"status", "closed"}});
  auto time = enqueue(PostKind::kTimeEntry, 1003,
                      {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:40:00Z"},
                       {"rounding", "15m"}, {"billable", "DoNotBill"}, {"notes", "Remote session"},
                       {"member", 103}});
  DrainStats s = drain();
  EXPECT_EQ(s.succeeded, 3);
  EXPECT_EQ(s.dead, 0);

  // Note: text + marker line, resolution flag, member by email.
  const std::string nm = marker_of(note);
  nlohmann::json got;
  for (const auto& n : store_list("notes", "notes")) {
    if (n["text"].get<std::string>().find(nm) != std::string::npos) got = n;
  }
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got["ticketId"], 1001);
  EXPECT_EQ(got["text"], "Rebooted the firewall.\n" + nm);
  EXPECT_EQ(got["resolutionFlag"], true);
  EXPECT_EQ(got["internalAnalysisFlag"], false);
  EXPECT_EQ(got["member"]["id"], 102);
  EXPECT_EQ(post(note).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(note).remote_id, std::to_string(got["id"].get<long long>()));

  // Status by name (case-insensitive) on the ticket's own board.
  EXPECT_EQ(ticket(1002)["status"]["name"], "Closed");
  EXPECT_EQ(post(status).status, PostStatus::kSucceeded);

  // Time entry: rounded, UTC, typed, marker in notes.
  nlohmann::json te;
  for (const auto& e : store_list("time-entries", "time_entries")) {
    if (e["notes"].get<std::string>().find(marker_of(time)) != std::string::npos) te = e;
  }
  ASSERT_FALSE(te.is_null());
  EXPECT_EQ(te["chargeToId"], 1003);
  EXPECT_EQ(te["chargeToType"], "ServiceTicket");
  EXPECT_EQ(te["timeStart"], "2026-11-23T09:00:00Z");
  EXPECT_EQ(te["timeEnd"], "2026-11-23T09:45:00Z");
  EXPECT_DOUBLE_EQ(te["actualHours"].get<double>(), 0.75);
  EXPECT_EQ(te["billableOption"], "DoNotBill");
  EXPECT_EQ(te["member"]["id"], 103);
  EXPECT_EQ(te["notes"], "Remote session\n" + marker_of(time));
  EXPECT_EQ(post(time).remote_id, std::to_string(te["id"].get<long long>()));
  EXPECT_EQ(events(note), (std::vector<std::string>{"enqueued", "claimed", "attempt", "succeeded"}));
}

TEST_F(QueueDrainerTest, PerTicketOrderHoldsAndAFailureBlocksOnlyItsTicket) {
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/tickets/1001/notes"}, {"status", 500},
             {"count", 1}});
  std::vector<std::int64_t> ids;
  for (int k = 0; k < 3; ++k) ids.push_back(enqueue(PostKind::kNote, 1001, {{"text", "step " + std::to_string(k)}}));
  auto other = enqueue(PostKind::kNote, 1002, {{"text", "other ticket"}});
  DrainStats s = drain();
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(post(other).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(ids[1]).status, PostStatus::kPending);
  EXPECT_EQ(post(ids[1]).attempts, 0) << "a later post of a failing ticket must wait";
  for (int pass = 0; pass < 5 && post(ids[2]).status != PostStatus::kSucceeded; ++pass) {
    clock_.advance(10min);
    drain();
  }
  std::vector<std::string> texts;
  for (const auto& n : store_list("notes", "notes")) {
    if (n["ticketId"] == 1001 && n["text"].get<std::string>().rfind("step ", 0) == 0) {
      texts.push_back(n["text"].get<std::string>().substr(0, 6));
    }
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"step 0", "step 1", "step 2"}));
}

TEST_F(QueueDrainerTest, RetriesFollowTheBackoffScheduleThenDeadThenRequeue) {
  // A 500 with PSA's error body while the ticket reads fine: this post's
  // failure, which uses its budget (an outage would not; queue_classes_test).
  int fault = add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/notes"}, {"status", 500},
                         {"count", -1}});
  auto id = enqueue(PostKind::kNote, 1004, {{"text", "will fail"}});
  Backoff ceiling(defaults_.backoff, seeded_random(1));
  for (int k = 0; k < tenant_.queue.max_attempts - 1; ++k) {
    DrainStats s = drain();
    ASSERT_EQ(s.retried, 1) << "pass " << k;
    auto p = post(id);
    ASSERT_EQ(p.status, PostStatus::kPending);
    EXPECT_EQ(p.retry_count, k + 1);
    EXPECT_EQ(p.last_http_status, 500);
    Millis wait = std::chrono::duration_cast<Millis>(p.next_retry_at - clock_.now());
    EXPECT_GE(wait, 1s);
    EXPECT_LE(wait, std::max<Millis>(1s, ceiling.ceiling(k)));
    // Not due before its time.
    clock_.advance(wait - 1ms);
    EXPECT_EQ(drain().claimed, 0);
    clock_.advance(1ms);
  }
  DrainStats last = drain();
  EXPECT_EQ(last.dead, 1);
  auto p = post(id);
  EXPECT_EQ(p.status, PostStatus::kDead);
  ASSERT_TRUE(p.last_error);
  EXPECT_NE(p.last_error->find("gave up after 4 failures"), std::string::npos) << *p.last_error;
  EXPECT_EQ(p.attempts, 4);

  sim_->control("DELETE", "/_sim/faults/" + std::to_string(fault));
  ASSERT_TRUE(store_->requeue(id, clock_.now()).ok());
  EXPECT_EQ(drain().succeeded, 1);
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
  auto ev = events(id);
  EXPECT_NE(std::find(ev.begin(), ev.end(), "requeued"), ev.end());
}

TEST_F(QueueDrainerTest, RetryAfterSetsTheNextAttemptTime) {
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/notes"}, {"status", 429},
             {"retry_after", 120}, {"count", 1}});
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/time/entries"}, {"status", 503},
             {"retry_after", 300}, {"count", 1}});
  auto note = enqueue(PostKind::kNote, 1001, {{"text", "throttled"}});
  auto time = enqueue(PostKind::kTimeEntry, 1002,
                      {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T10:00:00Z"}});
  TimePoint now = clock_.now();
  DrainStats s = drain();
  EXPECT_EQ(s.retried, 2);
  EXPECT_EQ(post(note).next_retry_at, now + 120s);
  EXPECT_EQ(post(note).last_http_status, 429);
  EXPECT_EQ(post(time).next_retry_at, now + 300s);
  clock_.advance(300s);
  EXPECT_EQ(drain().succeeded, 2);
}

TEST_F(QueueDrainerTest, AppliedThenLostProducesExactlyOneEffect) {
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/notes"}, {"kind", "applied_then_lost"},
             {"count", 1}});
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/time/entries"},
             {"kind", "applied_then_lost"}, {"count", 1}});
  add_fault({{"api", "psa"}, {"method", "PATCH"}, {"path", "*/tickets/1003"},
             {"kind", "applied_then_lost"}, {"count", 1}});
  auto note = enqueue(PostKind::kNote, 1001, {{"text", "once only"}});
  auto time = enqueue(PostKind::kTimeEntry, 1002,
                      {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:30:00Z"},
                       {"member", "cgomez@msp.example.com"}});
  const std::string current = ticket(1003)["status"]["name"];
  const std::string target = current == "In Progress" ? "New" : "In Progress";
  auto status = enqueue(PostKind::kStatus, 1003, {{"status", target}});

  DrainStats first = drain();
  EXPECT_EQ(first.retried, 3);
  EXPECT_EQ(first.succeeded, 0);
  EXPECT_EQ(ticket(1003)["status"]["name"], target) << "the PATCH was applied";
  clock_.advance(10min);
  DrainStats second = drain();
  EXPECT_EQ(second.deduplicated, 3);
  for (auto id : {note, time, status}) {
    EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
    auto ev = events(id);
    EXPECT_NE(std::find(ev.begin(), ev.end(), "deduplicated"), ev.end()) << id;
  }
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(note)), 1);
  EXPECT_EQ(count_with("time-entries", "time_entries", "notes", marker_of(time)), 1);
  EXPECT_TRUE(post(note).remote_id.has_value());
}

TEST_F(QueueDrainerTest, A2xxWithoutTheCreatedObjectIsNotASuccess) {
  // A proxy's HTML page with a 2xx status proves nothing was applied or not.
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/notes"}, {"kind", "html"},
             {"status", 200}, {"count", 1}});
  auto id = enqueue(PostKind::kNote, 1004, {{"text", "behind a proxy"}});
  DrainStats first = drain();
  EXPECT_EQ(first.succeeded, 0);
  EXPECT_EQ(first.retried, 1);
  EXPECT_EQ(post(id).status, PostStatus::kPending);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 0);
  clock_.advance(10min);
  DrainStats second = drain();
  EXPECT_EQ(second.succeeded, 1);
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
  EXPECT_TRUE(post(id).remote_id.has_value());
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
}

TEST_F(QueueDrainerTest, ReclaimedLeaseChecksBeforeResending) {
  auto id = enqueue(PostKind::kNote, 1005, {{"text", "crashed mid-flight"}});
  // A daemon claims the post, sends it, and dies before recording anything.
  auto claims = store_->claim_due(clock_.now(), tenant_.queue.lease, 10);
  ASSERT_TRUE(claims.ok());
  ASSERT_EQ(claims->size(), 1u);
  auto p = post(id);
  auto payload = parse_payload(PostKind::kNote, p.payload);
  ASSERT_TRUE(payload.ok());
  ASSERT_TRUE(poster_->deliver(p, *payload, false).ok());
  EXPECT_EQ(drain().claimed, 0) << "the lease still holds";
  clock_.advance(tenant_.queue.lease + 1s);
  // Reclaimed, but PSA might still be applying a request sent under the
  // lease: it waits read_timeout + settle past the lease before looking.
  DrainStats waiting = drain();
  EXPECT_EQ(waiting.released, 1);
  EXPECT_EQ(waiting.deduplicated, 0);
  clock_.advance(defaults_.http.read + tenant_.queue.settle);
  DrainStats s = drain();
  EXPECT_EQ(s.deduplicated, 1);
  EXPECT_EQ(count_with("notes", "notes", "text", marker_of(id)), 1);
}

TEST_F(QueueDrainerTest, AuthFailurePausesTheTenantWithoutDeadLettering) {
  add_fault({{"api", "psa"}, {"method", "POST"}, {"path", "*/notes"}, {"status", 401}, {"count", -1}});
  std::vector<std::int64_t> ids;
  for (int t = 1001; t <= 1006; ++t) ids.push_back(enqueue(PostKind::kNote, t, {{"text", "n"}}));
  DrainStats s = drain();
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.dead, 0);
  // The post that met the 401 says why the queue waits (`queue list` shows it).
  auto first = post(ids[0]);
  EXPECT_EQ(first.last_http_status, 401);
  ASSERT_TRUE(first.last_error.has_value());
  EXPECT_NE(first.last_error->find("401"), std::string::npos) << *first.last_error;
  auto requests_before = request_count();
  for (auto id : ids) {
    EXPECT_EQ(post(id).status, PostStatus::kPending);
    EXPECT_LE(post(id).attempts, 1);
  }
  ASSERT_TRUE(drainer_->paused_until());
  DrainStats again = drain();
  EXPECT_TRUE(again.paused);
  EXPECT_EQ(again.claimed, 0);
  EXPECT_EQ(request_count(), requests_before);
  // After the cool-down (or a reload) delivery resumes.
  sim_->control("DELETE", "/_sim/faults");
  clock_.advance(16min);
  EXPECT_EQ(drain().succeeded, 6);
}

TEST_F(QueueDrainerTest, InvalidRowsGoDeadOnFirstSightWithAReason) {
  {
    SQLite::Database raw(dir_.file("cache.db").string(), SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER psa_posts_check_insert");  // rows from before the insert checks
    raw.exec("INSERT INTO psa_posts (tenant, kind, ticket_id, payload) VALUES "
             "('acme','note',1001,'{not json'),"
             "('acme','note',1002,'{\"type\":\"internal\"}'),"
             "('acme','time_entry',1003,'{\"start\":\"2026-11-23T10:00:00Z\",\"end\":\"2026-11-23T09:00:00Z\"}'),"
             "('acme','status',1004,'{\"status\":\"Closed\",\"extra\":1}')");
  }
  // Those rows took SQLite's real clock for created_at/next_retry_at: move the
  // manual clock past it, or they would not be due yet.
  TimePoint real_now = SystemClock::instance().now() + 1s;
  if (clock_.now() < real_now) clock_.set(real_now);
  auto good = enqueue(PostKind::kNote, 1005, {{"text", "fine"}});
  auto requests_before = request_count();
  DrainStats s = drain();
  EXPECT_EQ(s.dead, 4);
  EXPECT_EQ(s.succeeded, 1);
  EXPECT_EQ(post(good).status, PostStatus::kSucceeded);
  auto list = store_->list({PostStatus::kDead, std::nullopt, std::nullopt, 0});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 4u);
  for (const auto& p : *list) {
    ASSERT_TRUE(p.last_error);
    EXPECT_EQ(p.last_error->rfind("invalid payload: ", 0), 0u) << *p.last_error;
    EXPECT_EQ(p.attempts, 0);
    // Nothing was sent, yet every event belongs to the claim's attempt 1
    // (docs/schema.md: attempt is 1-based, NULL only for enqueued/purged).
    auto log = store_->activity(p.id);
    ASSERT_TRUE(log.ok());
    std::vector<std::string> seen;
    for (const auto& a : *log) {
      seen.push_back(storage::to_string(a.event) +
                     (a.attempt ? ":" + std::to_string(*a.attempt) : ""));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"enqueued", "claimed:1", "dead_lettered:1"}));
  }
  // Only the good post's request reached PSA (plus the codebase lookup).
  EXPECT_LE(request_count(), requests_before + 2);
  clock_.advance(1h);
  EXPECT_EQ(drain().claimed, 0) << "dead rows are never retried";
}

TEST_F(QueueDrainerTest, UnknownStatusNameIsDeadWithTheValidNames) {
  auto id = enqueue(PostKind::kStatus, 1001, {{"status", "Teleported"}});
  EXPECT_EQ(drain().dead, 1);
  auto p = post(id);
  ASSERT_TRUE(p.last_error);
  EXPECT_NE(p.last_error->find("unknown status 'Teleported'"), std::string::npos) << *p.last_error;
  EXPECT_NE(p.last_error->find("New"), std::string::npos) << *p.last_error;
}

TEST_F(QueueDrainerTest, BadRequestAndUnknownMemberAreDead) {
  auto ghost = enqueue(PostKind::kNote, 1001, {{"text", "x"}, {"member", "ghost@nowhere.example"}});
  auto missing = enqueue(PostKind::kNote, 999999, {{"text", "no such ticket"}});
  EXPECT_EQ(drain().dead, 2);
  EXPECT_NE(post(ghost).last_error->find("no PSA member"), std::string::npos);
  EXPECT_EQ(post(missing).last_http_status, 404);
  EXPECT_EQ(members_->fetches(), 1);
}

}  // namespace
}  // namespace cwsync::test
