// cwsim's Autotask personality: the writes cwsync makes (notes, ticket status,
// time entries), the request limits and ThresholdInformation, and faults seen
// through the request log and the store.
#include <atomic>
#include <chrono>
#include <thread>

#include "sim_fixture.h"

namespace cwsim::testing {
namespace {

using cwsync::test::http_request;

class AutotaskWritesTest : public SimTest {
 protected:
  Json note(const std::string& description) {
    return {{"ticketID", 1002},
            {"title", "Session note"},
            {"description", description},
            {"noteType", 1},
            {"publish", 2}};
  }
  Json time_entry() {
    return {{"resourceID", 102},   {"ticketID", 1002},
            {"roleID", 12},        {"dateWorked", "2026-11-01"},
            {"hoursWorked", 1.25}, {"summaryNotes", "Remote session [cwsync:1b2c3d4e]"}};
  }
  // Polls the control API until `pred` holds (bounded: 5 s); the condition,
  // not the time, is what the test waits for.
  template <typename Pred>
  bool wait_for(Pred pred) {
    for (int k = 0; k < 1000; ++k) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  Json log() { return control("GET", "/_sim/requests")["requests"]; }
  // The `entity` rows on ticket 1002 whose `field` contains `marker`: the
  // check a client makes after an ambiguous POST.
  Json find_marked(const std::string& entity, const std::string& field, const std::string& marker) {
    Json filter = {{{"op", "eq"}, {"field", "ticketID"}, {"value", 1002}},
                   {{"op", "contains"}, {"field", field}, {"value", marker}}};
    return json(at("POST", "/" + entity + "/query", {{"filter", filter}}))["items"];
  }
  // POSTs `body` to `path`, then finds the one created row by its marker;
  // returns it, or null (after a failed expectation).
  Json post_and_find(const std::string& path, const Json& body, const std::string& entity,
                     const std::string& field, const std::string& marker) {
    HttpReply r = at("POST", path, body);
    EXPECT_EQ(r.status, 200) << r.body;
    Json found = r.status == 200 ? find_marked(entity, field, marker) : Json::array();
    EXPECT_EQ(found.size(), 1u);
    if (found.size() != 1) return nullptr;
    EXPECT_EQ(found[0]["id"], json(r)["itemId"]);
    return found[0];
  }
};

TEST_F(AutotaskWritesTest, NoteCreateThenContainsSearchFindsTheMarker) {
  Json found = post_and_find("/Tickets/1002/Notes", note("Rebooted the router [cwsync:7f3a9c1e]"),
                             "TicketNotes", "description", "[CWSYNC:7F3A9C1E]");
  ASSERT_FALSE(found.is_null());
  EXPECT_EQ(found["publish"], 2);
  EXPECT_EQ(found["creatorResourceID"], 108);  // the API user's resource
  Json stored = control("GET", "/_sim/store/autotask-notes?ticket=1002")["notes"];
  EXPECT_EQ(stored.back()["id"], found["id"]);
  // The ticket's activity moved; impersonation changes the creator.
  EXPECT_GT(json(at("GET", "/Tickets/1002"))["item"]["lastActivityDate"].get<std::string>(),
            "2026-11-01");
  auto h = at_headers();
  h["ImpersonationResourceId"] = "103";
  HttpReply imp = http_request(port_, "POST", "/ATServicesRest/V1.0/Tickets/1002/Notes", h,
                               note("as cgomez").dump());
  ASSERT_EQ(imp.status, 200);
  Json mine = json(at("GET", "/Tickets/1002/Notes"))["items"].back();
  EXPECT_EQ(mine["creatorResourceID"], 103);
  EXPECT_EQ(mine["impersonatorCreatorResourceID"], 108);
}

TEST_F(AutotaskWritesTest, NoteValidationIs500WithErrors) {
  Json no_title = note("x");
  no_title.erase("title");
  Json retired_type = note("x");
  retired_type["noteType"] = 13;
  Json bad_publish = note("x");
  bad_publish["publish"] = 9;
  Json other_ticket = note("x");
  other_ticket["ticketID"] = 1003;
  Json too_long = note(std::string(32001, 'a'));
  for (const Json& body : {no_title, retired_type, bad_publish, other_ticket, too_long}) {
    HttpReply r = at("POST", "/Tickets/1002/Notes", body);
    EXPECT_EQ(r.status, 500) << body.dump().substr(0, 200);
    EXPECT_FALSE(at_error_text(r).empty());
  }
  EXPECT_EQ(at("POST", "/Tickets/9999/Notes", note("x")).status, 500);
  EXPECT_NE(at_error_text(at("POST", "/Tickets/1002/Notes", no_title)).find("title"),
            std::string::npos);
  EXPECT_EQ(control("GET", "/_sim/store/autotask-notes?ticket=1002")["notes"].size(),
            1u);  // the generated one
}

TEST_F(AutotaskWritesTest, TicketPatchStatus) {
  HttpReply ok = at("PATCH", "/Tickets", {{"id", 1001}, {"status", 7}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json(ok)["itemId"], 1001);
  Json t = json(at("GET", "/Tickets/1001"))["item"];
  EXPECT_EQ(t["status"], 7);
  EXPECT_TRUE(t["completedDate"].is_null());
  EXPECT_EQ(t["lastTrackedModificationDateTime"], t["lastActivityDate"]);
  // A picklist value may come as a string; Complete sets completedDate.
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", "5"}}).status, 200);
  EXPECT_FALSE(json(at("GET", "/Tickets/1001"))["item"]["completedDate"].is_null());
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", 5}}).status,
            200);                                                // again: idempotent
  for (const Json& body : {Json{{"id", 1001}, {"status", 14}},   // inactive
                           Json{{"id", 1001}, {"status", 999}},  // unknown
                           Json{{"id", 1001}, {"status", nullptr}}, Json{{"status", 7}},
                           Json{{"id", 4242}, {"status", 7}}}) {
    HttpReply r = at("PATCH", "/Tickets", body);
    EXPECT_EQ(r.status, 500) << body.dump();
    EXPECT_FALSE(at_error_text(r).empty()) << r.body;
  }
  EXPECT_EQ(json(at("GET", "/Tickets/1001"))["item"]["status"], 5);
  EXPECT_EQ(at("PATCH", "/Tickets/1001", {{"status", 7}}).status, 405);
}

TEST_F(AutotaskWritesTest, TimeEntryValidations) {
  Json found =
      post_and_find("/TimeEntries", time_entry(), "TimeEntries", "summaryNotes", "cwsync:1b2c3d4e");
  ASSERT_FALSE(found.is_null());
  EXPECT_EQ(found["hoursWorked"], 1.25);
  EXPECT_FALSE(found["lastModifiedDateTime"].is_null());

  auto with = [&](const char* key, const Json& value) {
    Json b = time_entry();
    if (value.is_null())
      b.erase(key);
    else
      b[key] = value;
    return at("POST", "/TimeEntries", b);
  };
  struct Case {
    const char* key;
    Json value;
    const char* needle;
  };
  for (const Case& c :
       {Case{"roleID", 11, "role"}, Case{"roleID", nullptr, "roleID"},
        Case{"hoursWorked", 0, "hoursWorked"}, Case{"hoursWorked", 24.5, "hoursWorked"},
        Case{"hoursWorked", -1, "hoursWorked"}, Case{"resourceID", 999, "resource"},
        Case{"ticketID", 9999, "9999"}, Case{"summaryNotes", nullptr, "summaryNotes"},
        Case{"dateWorked", nullptr, "dateWorked"}}) {
    HttpReply r = with(c.key, c.value);
    EXPECT_EQ(r.status, 500) << c.key << " " << c.value;
    EXPECT_NE(at_error_text(r).find(c.needle), std::string::npos) << r.body;
  }
  // Exactly 24 hours is allowed; hours may come from start and end.
  EXPECT_EQ(with("hoursWorked", 24).status, 200);
  Json span = time_entry();
  span.erase("hoursWorked");
  span["startDateTime"] = "2026-11-01T09:00:00Z";
  span["endDateTime"] = "2026-11-01T10:30:00Z";
  ASSERT_EQ(at("POST", "/TimeEntries", span).status, 200);
  EXPECT_EQ(
      control("GET", "/_sim/store/autotask-time-entries")["time_entries"].back()["hoursWorked"],
      1.5);
  EXPECT_EQ(control("GET", "/_sim/store/autotask-time-entries")["time_entries"].size(), 3u);
}

TEST_F(AutotaskWritesTest, FourthConcurrentRequestToAnEndpointGets429) {
  // Three slow ticket queries hold the endpoint's three slots.
  control("POST", "/_sim/faults",
          {{"kind", "delay"},
           {"delay_ms", 2500},
           {"api", "autotask"},
           {"path", "*/Tickets/query"},
           {"count", 3}});
  const std::string body =
      Json{{"filter", {{{"op", "gte"}, {"field", "id"}, {"value", 0}}}}}.dump();
  std::atomic<int> ok{0};
  std::vector<std::thread> slow;
  for (int k = 0; k < 3; ++k) {
    slow.emplace_back([&] {
      if (http_request(port_, "POST", "/ATServicesRest/V1.0/Tickets/query", at_headers(), body)
              .status == 200)
        ++ok;
    });
  }
  ASSERT_TRUE(wait_for([&] {
    return control("GET", "/_sim/autotask")["autotask"]["in_flight"].value("tickets", 0) == 3;
  }));
  HttpReply fourth = at("GET", "/Tickets/1001");
  EXPECT_EQ(fourth.status, 429);
  EXPECT_FALSE(at_error_text(fourth).empty());
  EXPECT_EQ(at("GET", "/Companies/0").status, 200);  // another endpoint is not affected
  for (std::thread& t : slow) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(at("GET", "/Tickets/1001").status, 200);
  int thread_limited = 0;
  for (const Json& e : log()) thread_limited += e["fault"] == "thread_limit" ? 1 : 0;
  EXPECT_EQ(thread_limited, 1);
  EXPECT_EQ(control("GET", "/_sim/autotask")["autotask"]["rejected_threads"], 1);
}

TEST_F(AutotaskWritesTest, HourlyThresholdAndThresholdInformation) {
  control("POST", "/_sim/autotask", {{"hourly_limit", 5}, {"threshold_delay_ms", 0}});
  // The zone lookup is not counted.
  EXPECT_EQ(
      http_request(port_, "GET",
                   "/ATServicesRest/V1.0/ZoneInformation?user=" + enc(sim_->options().at_username))
          .status,
      200);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(at("GET", "/Tickets/1001").status, 200);
  HttpReply info = at("GET", "/ThresholdInformation");
  ASSERT_EQ(info.status, 200) << info.body;
  Json t = json(info);
  EXPECT_EQ(t["externalRequestThreshold"], 5);
  EXPECT_EQ(t["requestThresholdTimeframe"], 60);
  EXPECT_EQ(t["currentTimeframeRequestCount"], 4);    // the call counts itself
  EXPECT_EQ(at("GET", "/Tickets/1001").status, 200);  // the 5th
  HttpReply over = at("GET", "/Tickets/1001");
  EXPECT_EQ(over.status, 429);
  EXPECT_NE(at_error_text(over).find("threshold"), std::string::npos);
  EXPECT_EQ(at("GET", "/ThresholdInformation").status, 429);
  EXPECT_EQ(log().back()["fault"], "hourly_limit");
  // Raising the limit (or a reset) lets requests through again.
  control("POST", "/_sim/autotask", {{"hourly_limit", 6}});
  EXPECT_EQ(json(at("GET", "/ThresholdInformation"))["currentTimeframeRequestCount"], 6);
  control("DELETE", "/_sim/autotask");
  EXPECT_EQ(json(at("GET", "/ThresholdInformation"))["currentTimeframeRequestCount"], 1);
}

TEST_F(AutotaskWritesTest, LatencyIsAddedFromHalfAndThreeQuartersOfTheLimit) {
  control("POST", "/_sim/autotask", {{"hourly_limit", 8}, {"threshold_delay_ms", 40}});
  control("DELETE", "/_sim/requests");
  for (int k = 0; k < 7; ++k) ASSERT_EQ(at("GET", "/Companies/0").status, 200);
  Json entries = log();
  ASSERT_EQ(entries.size(), 7u);
  // Requests 4 and 5 reach 50 % (one step), 6 and 7 reach 75 % (two steps).
  EXPECT_GE(entries[3]["duration_us"].get<int64_t>(), 40'000);
  EXPECT_GE(entries[4]["duration_us"].get<int64_t>(), 40'000);
  EXPECT_GE(entries[5]["duration_us"].get<int64_t>(), 80'000);
  EXPECT_GE(entries[6]["duration_us"].get<int64_t>(), 80'000);
}

TEST_F(AutotaskWritesTest, AppliedThenLostNoteIsStoredAndLogged) {
  control("POST", "/_sim/faults",
          {{"kind", "applied_then_lost"},
           {"api", "autotask"},
           {"method", "POST"},
           {"path", "*/Tickets/*/Notes"},
           {"other_writers", 30}});
  HttpReply lost = at("POST", "/Tickets/1002/Notes", note("Replaced the PSU [cwsync:0badf00d]"));
  EXPECT_EQ(lost.status, 0);  // connection reset, no answer
  Json entry = log().back();
  EXPECT_EQ(entry["api"], "autotask");
  EXPECT_EQ(entry["fault"], "applied_then_lost");
  EXPECT_EQ(entry["responded"], false);
  EXPECT_NE(entry["body"].get<std::string>().find("cwsync:0badf00d"), std::string::npos);
  // The note was stored, then 30 notes from another writer buried it.
  Json notes = control("GET", "/_sim/store/autotask-notes?ticket=1002")["notes"];
  EXPECT_EQ(notes.size(), 32u);
  // The client's check finds exactly one copy by its marker.
  EXPECT_EQ(find_marked("TicketNotes", "description", "cwsync:0badf00d").size(), 1u);
}

// `handled` tells a lost-but-applied PATCH (the crash campaign's proof that a
// status change was applied) from a rejected one and from an injected error;
// `method=` filters the log; the store view lists the status picklist.
TEST_F(AutotaskWritesTest, RequestLogHandledStatusOfPatches) {
  control("POST", "/_sim/faults",
          {{"kind", "applied_then_lost"}, {"api", "autotask"}, {"method", "PATCH"}, {"path", "*/Tickets"}});
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", 7}}).status, 0);
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", 14}}).status, 500);  // retired value
  control("POST", "/_sim/faults", {{"status", 503}, {"api", "autotask"}, {"method", "PATCH"}});
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", 8}}).status, 503);
  EXPECT_EQ(at("GET", "/Tickets/1001").status, 200);
  const Json patches = control("GET", "/_sim/requests?method=PATCH")["requests"];
  ASSERT_EQ(patches.size(), 3u);
  EXPECT_EQ(patches[0]["status"], 0);
  EXPECT_EQ(patches[0]["handled"], 200);
  EXPECT_EQ(patches[0]["fault"], "applied_then_lost");
  EXPECT_EQ(patches[1]["status"], 500);
  EXPECT_EQ(patches[1]["handled"], 500);
  EXPECT_EQ(patches[2]["status"], 503);
  EXPECT_EQ(patches[2]["handled"], 0);
  EXPECT_EQ(log().back()["handled"], 200);  // the GET, unfiltered
  const Json view = control("GET", "/_sim/store/autotask-tickets");
  for (const Json& t : view["tickets"]) {
    if (t["id"] == 1001) {
      EXPECT_EQ(t["status"], 7);  // the lost PATCH was applied
    }
  }
  bool retired = false, waiting = false;
  for (const Json& v : view["statuses"]) {
    retired = retired || (v["value"] == 14 && v["isActive"] == false);
    waiting = waiting || (v["value"] == 7 && v["label"] == "Waiting Customer" && v["isActive"] == true);
  }
  EXPECT_TRUE(retired);
  EXPECT_TRUE(waiting);
}

TEST_F(AutotaskWritesTest, StatusFaultsUseTheAutotaskErrorBody) {
  control("POST", "/_sim/faults", {{"status", 503}, {"api", "autotask"}, {"retry_after", 3}});
  HttpReply r = at("GET", "/Tickets/1001");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(at_error_text(r).empty());
  EXPECT_EQ(r.header("Retry-After"), "3");
  control("POST", "/_sim/faults",
          {{"status", 429}, {"api", "autotask"}, {"path", "*/TimeEntries"}});
  HttpReply limited = at("POST", "/TimeEntries", time_entry());
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(at_error_text(limited).empty());
  const Json before = control("GET", "/_sim/store/autotask-tickets")["tickets"][0];
  control("POST", "/_sim/faults",
          {{"kind", "reset"}, {"api", "autotask"}, {"path", "/ATServicesRest/V1.0/Tickets"}});
  EXPECT_EQ(at("PATCH", "/Tickets", {{"id", 1001}, {"status", 7}}).status, 0);
  EXPECT_EQ(log().back()["fault"], "reset");
  EXPECT_EQ(control("GET", "/_sim/store/autotask-tickets")["tickets"][0],
            before);  // a reset is not applied
  EXPECT_TRUE(control("GET", "/_sim/store/autotask-time-entries")["time_entries"].empty());
  // An api filter keeps the rule away from the other personalities.
  control("POST", "/_sim/faults", {{"status", 500}, {"api", "autotask"}, {"count", -1}});
  EXPECT_EQ(psa("GET", "/service/tickets/1001").status, 200);
  EXPECT_EQ(at("GET", "/Tickets/1001").status, 500);
}

TEST_F(AutotaskWritesTest, AutotaskMutations) {
  Json report = control("POST", "/_sim/mutate",
                        {{"entity", "autotask_notes"}, {"ticket", 1003}, {"count", 4}});
  EXPECT_EQ(report["affected"].size(), 4u);
  EXPECT_EQ(json(at("GET", "/Tickets/1003/Notes"))["items"].size(), 5u);
  control("POST", "/_sim/mutate",
          {{"entity", "autotask_tickets"},
           {"ids", {1004}},
           {"fields", {{"status", 10}}},
           {"timestamp", "2026-11-02T10:00:00Z"}});
  Json t = json(at("GET", "/Tickets/1004"))["item"];
  EXPECT_EQ(t["status"], 10);
  EXPECT_EQ(t["lastTrackedModificationDateTime"], "2026-11-02T10:00:00.000Z");
  EXPECT_EQ(
      sim_->control("POST", "/_sim/mutate", {{"entity", "autotask_tickets"}, {"ids", {1}}}).status,
      400);
  // delete: gone from the record route and from the query count.
  control("POST", "/_sim/mutate",
          {{"entity", "autotask_tickets"}, {"kind", "delete"}, {"ids", {1004}}});
  EXPECT_EQ(at("GET", "/Tickets/1004").status, 404);
  Json count = json(at("POST", "/Tickets/query/count",
                       {{"filter", {{{"op", "eq"}, {"field", "id"}, {"value", 1004}}}}}));
  EXPECT_EQ(count["queryCount"], 0);
}

}  // namespace
}  // namespace cwsim::testing
