// The PSA queue delivering to an Autotask tenant: cwsim's Autotask
// personality over 127.0.0.1, a real SQLite file, a ManualClock. The same
// drainer and promises as for ConnectWise (docs/queue.md), through the
// Autotask provider (sync/autotask).
#include <algorithm>

#include "queue_fixture.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using storage::PostKind;
using storage::PostStatus;

class AutotaskQueueTest : public QueueFixture {
 protected:
  void SetUp() override {
    QueueFixture::SetUp();
    use_autotask();
  }
  nlohmann::json at_ticket(std::int64_t id) {
    for (const auto& t : store_list("autotask-tickets", "tickets")) {
      if (t["id"] == id) return t;
    }
    return {};
  }
  nlohmann::json note_with(const std::string& marker) {
    for (const auto& n : store_list("autotask-notes", "notes")) {
      if (n.value("description", "").find(marker) != std::string::npos) return n;
    }
    return {};
  }
  int notes_with(const std::string& marker) {
    return count_with("autotask-notes", "notes", "description", marker);
  }
  int entries_with(const std::string& marker) {
    return count_with("autotask-time-entries", "time_entries", "summaryNotes", marker);
  }
  // Requests cwsim logged whose path contains `part`.
  int requests_to(const std::string& part) {
    nlohmann::json log = sim_->control("GET", "/_sim/requests").body;
    int n = 0;
    for (const auto& r : log["requests"]) {
      if (r.value("path", "").find(part) != std::string::npos) ++n;
    }
    return n;
  }
};

TEST_F(AutotaskQueueTest, DeliversEachKindWithTheConfiguredPicklistValues) {
  auto note = enqueue(PostKind::kNote, 1001, {{"text", "Rebooted the firewall.\nAll good."},
                                              {"type", "internal"}});
  auto visible = enqueue(PostKind::kNote, 1002, {{"text", "Fixed"}, {"type", "resolution"},
                                                 {"customer_visible", true}});
  auto status = enqueue(PostKind::kStatus, 1003, {{"status", "waiting customer"}});
  auto time = enqueue(PostKind::kTimeEntry, 1004,
                      {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:40:00Z"},
                       {"rounding", "15m"}, {"member", "cgomez@msp.example.com"}});
  DrainStats s = drain();
  EXPECT_EQ(s.succeeded, 4);
  EXPECT_EQ(s.dead, 0);
  for (auto id : {note, visible, status, time}) {
    EXPECT_EQ(post(id).status, PostStatus::kSucceeded) << post(id).last_error.value_or("");
    EXPECT_TRUE(post(id).remote_id.has_value());
  }
  const auto n = note_with(marker_of(note));
  EXPECT_EQ(n["title"], "Rebooted the firewall.");
  EXPECT_EQ(n["noteType"], 1);
  EXPECT_EQ(n["publish"], 2);
  EXPECT_EQ(note_with(marker_of(visible))["publish"], 1) << "customer-visible: All Autotask Users";
  EXPECT_EQ(at_ticket(1003)["status"], 7);
  EXPECT_EQ(post(status).remote_id, "7");
  ASSERT_EQ(entries_with(marker_of(time)), 1);
  for (const auto& e : store_list("autotask-time-entries", "time_entries")) {
    if (e.value("summaryNotes", "").find(marker_of(time)) == std::string::npos) continue;
    EXPECT_DOUBLE_EQ(e["hoursWorked"].get<double>(), 0.75) << "40 min rounded up to 15 min units";
    EXPECT_EQ(e["ticketID"], 1004);
    EXPECT_GT(e["roleID"].get<int>(), 0) << "the resource's default role";
  }
}

TEST_F(AutotaskQueueTest, AppliedThenLostIsFoundByItsMarkerAndNotSentAgain) {
  add_fault({{"api", "autotask"}, {"method", "POST"}, {"path", "*/Notes"},
             {"kind", "applied_then_lost"}, {"count", 1}, {"other_writers", 600}});
  add_fault({{"api", "autotask"}, {"method", "POST"}, {"path", "*/TimeEntries"},
             {"kind", "applied_then_lost"}, {"count", 1}});
  auto note = enqueue(PostKind::kNote, 1001, {{"text", "once only"}});
  auto time = enqueue(PostKind::kTimeEntry, 1002,
                      {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T09:30:00Z"}});
  DrainStats first = drain();
  EXPECT_EQ(first.retried, 2);
  EXPECT_EQ(notes_with(marker_of(note)), 1) << "applied, answer lost";
  // The check waits until Autotask can no longer be applying the request.
  clock_.advance(defaults_.http.read + tenant_.queue.settle - 1s);
  EXPECT_EQ(drain().claimed, 0);
  clock_.advance(2s);
  DrainStats second = drain();
  EXPECT_EQ(second.deduplicated, 2);
  EXPECT_EQ(notes_with(marker_of(note)), 1);
  EXPECT_EQ(entries_with(marker_of(time)), 1);
  for (auto id : {note, time}) {
    EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
    auto ev = events(id);
    EXPECT_NE(std::find(ev.begin(), ev.end(), "deduplicated"), ev.end());
  }
}

TEST_F(AutotaskQueueTest, A500WithErrorsIsARejectionDeadWithAutotasksWords) {
  auto id = enqueue(PostKind::kNote, 999999, {{"text", "no such ticket"}});
  const auto before = request_count();
  DrainStats s = drain();
  EXPECT_EQ(s.dead, 1);
  const auto p = post(id);
  EXPECT_EQ(p.status, PostStatus::kDead);
  EXPECT_EQ(p.last_http_status, 500);
  ASSERT_TRUE(p.last_error.has_value());
  EXPECT_NE(p.last_error->find("rejected by Autotask: Tickets with id 999999 does not exist"),
            std::string::npos)
      << *p.last_error;
  EXPECT_EQ(p.failures, 0) << "a rejection, not a post-specific failure";
  EXPECT_LE(request_count() - before, 4u) << "zone, picklists, the POST; no retries";
}

TEST_F(AutotaskQueueTest, AnOutageWaitsAndTheNoteIsDeliveredOnce) {
  add_fault({{"api", "autotask"}, {"method", "POST"}, {"path", "*/Notes"}, {"status", 503},
             {"count", 2}});
  add_fault({{"api", "autotask"}, {"method", "POST"}, {"path", "*/Notes"}, {"kind", "reset"},
             {"count", 1}});
  auto id = enqueue(PostKind::kNote, 1005, {{"text", "through the outage"}});
  // 503s wait at most 15 s each; the reset may have reached Autotask, so the
  // post waits read_timeout + settle, then checks for its marker first.
  for (int k = 0; k < 12 && post(id).status != PostStatus::kSucceeded; ++k) {
    drain();
    clock_.advance(30s);
  }
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(id).failures, 0) << "outages use no budget";
  EXPECT_EQ(notes_with(marker_of(id)), 1);
}

TEST_F(AutotaskQueueTest, AnUnknownStatusNameIsDeadWithTheValidNames) {
  auto id = enqueue(PostKind::kStatus, 1001, {{"status", "Closed"}});
  drain();
  const auto p = post(id);
  EXPECT_EQ(p.status, PostStatus::kDead);
  ASSERT_TRUE(p.last_error.has_value());
  EXPECT_NE(p.last_error->find("unknown status 'Closed'"), std::string::npos) << *p.last_error;
  EXPECT_NE(p.last_error->find("valid: New, Complete"), std::string::npos) << *p.last_error;
  EXPECT_EQ(p.last_error->find("On Hold"), std::string::npos) << "inactive values are not offered";
}

TEST_F(AutotaskQueueTest, AConfiguredRoleTheResourceLacksIsRejected) {
  tenant_.psa->autotask->time_entry_role = 15;  // Sales: not a technician's role
  rebuild();
  auto id = enqueue(PostKind::kTimeEntry, 1001,
                    {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T10:00:00Z"},
                     {"member", "101"}});
  drain();
  const auto p = post(id);
  EXPECT_EQ(p.status, PostStatus::kDead);
  EXPECT_EQ(p.last_http_status, 500);
  EXPECT_EQ(entries_with(marker_of(id)), 0);
}

TEST_F(AutotaskQueueTest, AnUnknownMemberEmailIsDead) {
  auto id = enqueue(PostKind::kTimeEntry, 1001,
                    {{"start", "2026-11-23T09:00:00Z"}, {"end", "2026-11-23T10:00:00Z"},
                     {"member", "nobody@msp.example.com"}});
  drain();
  ASSERT_TRUE(post(id).last_error.has_value());
  EXPECT_EQ(post(id).status, PostStatus::kDead);
  EXPECT_NE(post(id).last_error->find("no PSA member has the email"), std::string::npos);
}

TEST_F(AutotaskQueueTest, TheZoneIsLookedUpOnceOrNotAtAllWhenPinned) {
  enqueue(PostKind::kNote, 1001, {{"text", "a"}});
  enqueue(PostKind::kNote, 1002, {{"text", "b"}});
  EXPECT_EQ(drain().succeeded, 2);
  EXPECT_EQ(requests_to("ZoneInformation"), 1);
  sim_->control("POST", "/_sim/reset");
  use_autotask(/*pin_zone=*/true);
  enqueue(PostKind::kNote, 1003, {{"text", "c"}});
  EXPECT_EQ(drain().succeeded, 1);
  EXPECT_EQ(requests_to("ZoneInformation"), 0);
}

TEST_F(AutotaskQueueTest, ABadIntegrationCodePausesTheQueueInsteadOfDeadLettering) {
  tenant_.psa->autotask->integration_code = "WRONG";
  rebuild();
  auto id = enqueue(PostKind::kNote, 1001, {{"text", "x"}});
  DrainStats s = drain();
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.dead, 0);
  EXPECT_EQ(post(id).status, PostStatus::kPending);
  EXPECT_NE(s.pause_reason.find("IntegrationCode is invalid"), std::string::npos) << s.pause_reason;
}

TEST_F(AutotaskQueueTest, TheFourColumnInsertWorksAndAnotherProviderIsDead) {
  // The column's default (connectwise) is what plain SQL inserts get: the
  // tenant's provider delivers them.
  std::int64_t from_sql = 0;
  {
    SQLite::Database raw(dir_.file("cache.db").string(), SQLite::OPEN_READWRITE);
    raw.exec("INSERT INTO psa_posts (tenant, kind, ticket_id, payload) VALUES "
             "('acme', 'note', 1001, '{\"text\":\"from SQL\"}')");
    from_sql = raw.getLastInsertRowid();
  }
  // The row took SQLite's real clock for next_retry_at: move past it.
  const TimePoint real_now = SystemClock::instance().now() + 1s;
  if (clock_.now() < real_now) clock_.set(real_now);
  storage::NewPost p;
  p.tenant = "acme";
  p.provider = "autotask";
  p.kind = PostKind::kNote;
  p.ticket_id = 1002;
  p.payload_json = R"({"text":"from cwsync enqueue"})";
  ASSERT_TRUE(store_->enqueue(p, clock_.now()).ok());
  EXPECT_EQ(drain().succeeded, 2);
  // The claim recorded the provider it really went through, so the row and
  // the history a dashboard groups by say autotask, not the default.
  EXPECT_EQ(post(from_sql).provider, "autotask");
  auto history = store_->history("acme", 1001);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].provider, "autotask");
  // A ConnectWise tenant refuses a post that names Autotask.
  tenant_.psa = sim_psa(*sim_, sim_->options());
  rebuild();
  p.ticket_id = 1003;
  p.idempotency_key = "named-autotask";
  auto id = store_->enqueue(p, clock_.now());
  ASSERT_TRUE(id.ok());
  drain();
  EXPECT_EQ(post(id->id).status, PostStatus::kDead);
  EXPECT_NE(post(id->id).last_error->find("provider 'autotask', but tenant acme uses connectwise"),
            std::string::npos);
}

TEST_F(AutotaskQueueTest, AThreadLimit429IsAWaitNotAFailure) {
  add_fault({{"api", "autotask"}, {"method", "POST"}, {"path", "*/Notes"}, {"status", 429},
             {"count", 1}});
  auto id = enqueue(PostKind::kNote, 1001, {{"text", "busy endpoint"}});
  drain();
  clock_.advance(15s);
  drain();
  EXPECT_EQ(post(id).status, PostStatus::kSucceeded);
  EXPECT_EQ(post(id).failures, 0);
  EXPECT_EQ(notes_with(marker_of(id)), 1);
}

}  // namespace
}  // namespace cwsync::test
