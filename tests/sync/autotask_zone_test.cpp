// An Autotask database that moves to another zone while cwsync runs: cwsim's
// Autotask personality over 127.0.0.1 moves it (/_sim/autotask/zone, or the
// autotask_zone mutation at an exact request), after which the old zone
// answers 404 and the zone lookup names the new one. The queue tests run on
// a ManualClock (the re-lookup rate limit); the paging test on the pull
// fixture.
#include <gtest/gtest.h>

#include "queue_fixture.h"
#include "sync/autotask/at_endpoint.h"
#include "sync_pass_fixture.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using storage::PostKind;
using storage::PostStatus;

constexpr const char* kOldRoot = "/ATServicesRest/";
constexpr const char* kNewRoot = "/ws2/ATServicesRest/";

// The logged requests of `log` whose path contains `part`.
std::vector<json> with_path(const json& log, const std::string& part) {
  std::vector<json> out;
  for (const json& e : log) {
    if (e.value("path", "").find(part) != std::string::npos) out.push_back(e);
  }
  return out;
}

bool starts_with(const json& entry, const std::string& root) {
  return entry.value("path", "").rfind(root, 0) == 0;
}

void move_zone(cwsim::Simulator& sim, const std::string& prefix) {
  auto r = sim.control("POST", "/_sim/autotask/zone", {{"path_prefix", prefix}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["root"], prefix + "/ATServicesRest/");
}

class AutotaskZoneQueueTest : public QueueFixture {
 protected:
  void SetUp() override {
    QueueFixture::SetUp();
    use_autotask();
  }
  AutotaskEndpoint& at() { return *queue_->clients().autotask(); }
  json log() { return sim_->control("GET", "/_sim/requests").body["requests"]; }
  void clear_log() { sim_->control("DELETE", "/_sim/requests"); }
  std::size_t lookups() { return with_path(log(), "ZoneInformation").size(); }
  int notes_with(const std::string& marker) {
    return count_with("autotask-notes", "notes", "description", marker);
  }
};

TEST_F(AutotaskZoneQueueTest, AfterAMoveTheNextPostLandsInTheNewZoneExactlyOnce) {
  LogCapture logs;
  const auto before = enqueue(PostKind::kNote, 1001, {{"text", "before the move"}});
  ASSERT_EQ(drain().succeeded, 1);
  ASSERT_EQ(at().zone(), sim_->base_url() + kOldRoot);
  move_zone(*sim_, "/ws2");
  clear_log();

  const auto note = enqueue(PostKind::kNote, 1002, {{"text", "after the move"}});
  const auto status = enqueue(PostKind::kStatus, 1003, {{"status", "waiting customer"}});
  DrainStats s = drain();
  EXPECT_EQ(s.succeeded, 2);
  EXPECT_EQ(s.retried, 0);
  EXPECT_EQ(s.dead, 0);
  for (auto id : {note, status}) {
    EXPECT_EQ(post(id).status, PostStatus::kSucceeded) << post(id).last_error.value_or("");
    EXPECT_EQ(post(id).failures, 0);
  }
  EXPECT_EQ(notes_with(marker_of(before)), 1);
  EXPECT_EQ(notes_with(marker_of(note)), 1) << "applied once, in the new zone";

  const json requests = log();
  EXPECT_EQ(with_path(requests, "ZoneInformation").size(), 1u) << requests.dump();
  // The first call after the move met the old zone's 404 and was sent once
  // more to the new zone; every later call went to the new zone directly.
  int old_zone = 0;
  for (const json& e : requests) {
    if (e["path"].get<std::string>().find("ZoneInformation") != std::string::npos) continue;
    if (starts_with(e, kOldRoot)) {
      ++old_zone;
      EXPECT_EQ(e["status"], 404) << e.dump();
    } else {
      EXPECT_TRUE(starts_with(e, kNewRoot)) << e.dump();
    }
  }
  EXPECT_EQ(old_zone, 1) << requests.dump();
  const auto posts = with_path(requests, "/Tickets/1002/Notes");
  ASSERT_FALSE(posts.empty());
  std::size_t landed = 0;
  for (const json& p : posts) landed += starts_with(p, kNewRoot) && p["status"] == 200;
  EXPECT_EQ(landed, 1u) << json(posts).dump();
  EXPECT_EQ(at().zone(), sim_->base_url() + kNewRoot);

  auto moved = logs.events("autotask_zone_moved");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0]["old_zone"], sim_->base_url() + kOldRoot);
  EXPECT_EQ(moved[0]["zone"], sim_->base_url() + kNewRoot);
  EXPECT_EQ(moved[0]["tenant"], "acme");
}

TEST_F(AutotaskZoneQueueTest, ANoteWhoseFirstCallMeetsTheOldZoneIsPostedOnce) {
  // The note's POST itself meets the old zone: a note POST is never resent
  // after an ambiguous failure, but the old zone's 404 says it was not
  // applied there, so it is sent once to the new zone.
  ASSERT_EQ(drain().claimed, 0);
  enqueue(PostKind::kNote, 1001, {{"text", "reads the picklists first"}});
  ASSERT_EQ(drain().succeeded, 1);
  move_zone(*sim_, "/ws2");
  clear_log();
  const auto note = enqueue(PostKind::kNote, 1004, {{"text", "the first call is the POST"}});
  EXPECT_EQ(drain().succeeded, 1);
  const json requests = log();
  const auto posts = with_path(requests, "/Tickets/1004/Notes");
  ASSERT_EQ(posts.size(), 2u) << requests.dump();
  EXPECT_TRUE(starts_with(posts[0], kOldRoot));
  EXPECT_EQ(posts[0]["status"], 404);
  EXPECT_TRUE(starts_with(posts[1], kNewRoot));
  EXPECT_EQ(posts[1]["status"], 200);
  EXPECT_EQ(posts[0]["body"], posts[1]["body"]) << "the same request, once more";
  EXPECT_EQ(with_path(requests, "ZoneInformation").size(), 1u);
  EXPECT_EQ(requests.size(), 3u) << "the 404, the lookup, the POST: " << requests.dump();
  EXPECT_EQ(notes_with(marker_of(note)), 1);
}

TEST_F(AutotaskZoneQueueTest, AMissingTicketsErrorStandsAfterOneLookupWhenTheZoneIsUnchanged) {
  ASSERT_TRUE(at().zone_url().ok());
  // The same call through a pinned zone: the answer as it was before
  // looked-up zones were checked again.
  const PsaConnection pinned_conn = sim_autotask(*sim_, sim_->options(), kTestRateLimit, true);
  AutotaskEndpoint pinned(pinned_conn, at().api());
  clear_log();
  auto before = pinned.get_json("Tickets/999999");
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().http_status, 404);
  EXPECT_EQ(lookups(), 0u);

  clear_log();
  auto r = at().get_json("Tickets/999999");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), before.error().describe());
  EXPECT_EQ(r.error().kind, before.error().kind);
  EXPECT_EQ(r.error().failure, before.error().failure);
  EXPECT_EQ(r.error().ambiguous, before.error().ambiguous);
  const json requests = log();
  EXPECT_EQ(with_path(requests, "ZoneInformation").size(), 1u) << requests.dump();
  EXPECT_EQ(with_path(requests, "Tickets/999999").size(), 1u) << "not sent again";
  EXPECT_EQ(requests.size(), 2u) << requests.dump();
  EXPECT_EQ(at().zone(), sim_->base_url() + kOldRoot);
}

TEST_F(AutotaskZoneQueueTest, LookupsAfterA404AreRateLimitedAndAMoveIsFollowedWhenTheyAreDue) {
  ASSERT_TRUE(at().zone_url().ok());
  clear_log();
  for (int k = 0; k < 3; ++k) EXPECT_FALSE(at().get_json("Tickets/999999").ok());
  EXPECT_EQ(lookups(), 1u) << "one per kAutotaskZoneRecheck";
  // A move within the interval is not looked for: the call's 404 stands.
  move_zone(*sim_, "/ws2");
  clock_.advance(kAutotaskZoneRecheck - 1s);
  auto r = at().get_json("Tickets/1001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_EQ(lookups(), 1u);
  EXPECT_EQ(at().zone(), sim_->base_url() + kOldRoot);
  clock_.advance(1s);
  r = at().get_json("Tickets/1001");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ((*r)["item"]["id"], 1001);
  EXPECT_EQ(lookups(), 2u);
  EXPECT_EQ(at().zone(), sim_->base_url() + kNewRoot);
  EXPECT_EQ(with_path(log(), "Tickets/").size(), 6u) << "3 + 1 + the 404 and the resend";
}

TEST_F(AutotaskZoneQueueTest, APinnedZoneIsNeverLookedUpAgain) {
  use_autotask(/*pin_zone=*/true);
  move_zone(*sim_, "/ws2");
  clear_log();
  auto r = at().get_json("Tickets/1001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 404);
  const auto id = enqueue(PostKind::kNote, 1001, {{"text", "pinned to the old zone"}});
  drain();
  EXPECT_EQ(lookups(), 0u);
  for (const json& e : log()) EXPECT_TRUE(starts_with(e, kOldRoot)) << e.dump();
  EXPECT_NE(post(id).status, PostStatus::kSucceeded);
  EXPECT_EQ(notes_with(marker_of(id)), 0);
  EXPECT_EQ(at().zone(), sim_->base_url() + kOldRoot);
}

class AutotaskZonePagingTest : public PullTest {
 protected:
  void SetUp() override {
    start(pull_sim_options(5, 1100));  // three pages: 500 + 500 + 100
    tenant_.cpq.reset();
    tenant_.psa = sim_autotask(*sim_, sim_->options());
    rebuild_clients();
  }
  std::optional<storage::SyncCursor> cursor() {
    auto c = cache().cursor("acme", storage::Entity::kOpportunities);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : std::nullopt;
  }
  std::string cached_name(std::int64_t id) {
    auto row = cache().get_opportunity("acme", std::to_string(id));
    return row.ok() && row->has_value() ? (*row)->name.value_or("") : std::string();
  }
};

TEST_F(AutotaskZonePagingTest, AMoveMidPagingFailsThePageAndTheNextRunUsesTheNewZone) {
  LogCapture logs;
  ASSERT_TRUE(pass(PassEntity::kOpportunities).status.ok());
  const auto before = cursor();
  ASSERT_TRUE(before);
  // Changed on the last page: a run that got there would move the cursor.
  mutate({{"entity", "opportunities"}, {"kind", "modify"}, {"ids", {1050}},
          {"fields", {{"name", "Renamed before the move"}}},
          {"timestamp", "2026-11-02T00:00:00Z"}});
  const std::string old_name = cached_name(1050);
  ASSERT_NE(old_name, "Renamed before the move");
  // The database moves just as the second page is asked for.
  add_fault({{"api", "autotask"}, {"kind", "mutate"}, {"method", "POST"},
             {"path", "*/Opportunities/query/next"}, {"count", 1},
             {"mutation", {{"entity", "autotask_zone"}, {"path_prefix", "/ws2"}}}});
  clear_requests();

  auto failed = pass(PassEntity::kOpportunities, /*full=*/true);
  ASSERT_FALSE(failed.status.ok());
  EXPECT_EQ(failed.status.error().http_status, 404) << failed.status.error().describe();
  EXPECT_EQ(cursor(), before) << "the failed run committed no cursor";
  EXPECT_EQ(cached_name(1050), old_name);
  auto pages = requests_to("Opportunities/query");
  ASSERT_EQ(pages.size(), 2u) << json(pages).dump();
  EXPECT_TRUE(starts_with(pages[0], kOldRoot));
  EXPECT_EQ(pages[0]["status"], 200);
  EXPECT_TRUE(starts_with(pages[1], kOldRoot));
  EXPECT_EQ(pages[1]["status"], 404);
  EXPECT_EQ(requests_to("ZoneInformation").size(), 1u) << "looked up again at once";
  ASSERT_EQ(logs.events("autotask_zone_moved").size(), 1u);

  clear_requests();
  auto r = pass(PassEntity::kOpportunities, /*full=*/true);
  ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
  for (const json& e : requests()) EXPECT_TRUE(starts_with(e, kNewRoot)) << e.dump();
  EXPECT_EQ(requests_to("Opportunities/query").size(), 3u);
  EXPECT_EQ(cached_name(1050), "Renamed before the move");
  EXPECT_NE(cursor(), before);
  EXPECT_EQ(cache().counts("acme")->opportunities, 1100);
}

TEST_F(AutotaskZonePagingTest, AQueryWhoseFirstPageMeetsTheOldZoneStartsOverInTheNewOne) {
  AutotaskEndpoint& at = *clients_->autotask();
  ASSERT_TRUE(at.zone_url().ok());
  move_zone(*sim_, "/ws2");
  clear_requests();
  std::size_t items = 0;
  auto r = at.query("Opportunities", json::array({at_filter("gte", "id", 0)}), {"id"},
                    [&](const Page& page) -> Result<PageVerdict> {
                      auto got = parse_page_items(page);
                      if (!got.ok()) return got.error();
                      items += got->size();
                      return PageVerdict{got->size(), false};
                    });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(items, 1100u);
  auto pages = requests_to("Opportunities/query");
  ASSERT_EQ(pages.size(), 4u) << json(pages).dump();
  EXPECT_TRUE(starts_with(pages[0], kOldRoot));
  EXPECT_EQ(pages[0]["status"], 404);
  for (std::size_t k = 1; k < pages.size(); ++k) {
    EXPECT_TRUE(starts_with(pages[k], kNewRoot)) << pages[k].dump();
    EXPECT_EQ(pages[k]["status"], 200);
  }
  EXPECT_EQ(requests_to("ZoneInformation").size(), 1u);
}

}  // namespace
}  // namespace cwsync::test
