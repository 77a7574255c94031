#include "sync/post_payload.h"

#include <gtest/gtest.h>

#include "sync/connectwise/psa_poster.h"

namespace cwsync {
namespace {

using storage::PostKind;

std::string error_of(PostKind k, const std::string& json) {
  auto r = parse_payload(k, json);
  return r.ok() ? std::string("(ok)") : r.error().message;
}

TEST(PostPayload, ParsesANote) {
  auto r = parse_payload(PostKind::kNote,
                         R"({"text":"Rebooted","type":"resolution","member":"jdoe@x.com","customer_visible":true})");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const auto& n = std::get<NotePayload>(*r);
  EXPECT_EQ(n.text, "Rebooted");
  EXPECT_EQ(n.type, NoteType::kResolution);
  EXPECT_EQ(n.member, "jdoe@x.com");
  EXPECT_TRUE(n.customer_visible);
  auto d = parse_payload(PostKind::kNote, R"({"text":"x","member":104})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<NotePayload>(*d).type, NoteType::kInternal);
  EXPECT_EQ(std::get<NotePayload>(*d).member, "104");
}

TEST(PostPayload, ParsesStatusByIdOrName) {
  auto a = parse_payload(PostKind::kStatus, R"({"status":15})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<StatusPayload>(*a).status_id, 15);
  auto b = parse_payload(PostKind::kStatus, R"({"status":"16"})");
  EXPECT_EQ(std::get<StatusPayload>(*b).status_id, 16);
  auto c = parse_payload(PostKind::kStatus, R"({"status":"Resolved"})");
  EXPECT_EQ(std::get<StatusPayload>(*c).status_name, "Resolved");
}

TEST(PostPayload, ParsesATimeEntry) {
  auto r = parse_payload(PostKind::kTimeEntry,
                         R"({"start":"2026-11-23T09:00:00Z","end":"2026-11-23T09:40:00Z",
                             "rounding":"15m","billable":false,"notes":"Remote"})");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const auto& t = std::get<TimePayload>(*r);
  EXPECT_EQ(t.rounding, Rounding::k15m);
  EXPECT_EQ(t.billable, "DoNotBill");
  EXPECT_EQ(t.notes, "Remote");
  auto back = parse_payload(PostKind::kTimeEntry, to_json(t).dump());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<TimePayload>(*back).end, t.end);
  EXPECT_EQ(billable_option("no_charge"), "NoCharge");
  EXPECT_EQ(billable_option("NoDefault"), "NoDefault");
  EXPECT_FALSE(billable_option("maybe"));
}

TEST(PostPayload, RejectsInvalidPayloadsWithAReason) {
  EXPECT_EQ(error_of(PostKind::kNote, "{not json"), "payload is not valid JSON");
  EXPECT_EQ(error_of(PostKind::kNote, "[1]"), "payload must be a JSON object");
  EXPECT_NE(error_of(PostKind::kNote, R"({"type":"internal"})").find("needs 'text'"), std::string::npos);
  EXPECT_NE(error_of(PostKind::kNote, R"({"text":"  "})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(PostKind::kNote, R"({"text":"x","type":"public"})").find("'type'"), std::string::npos);
  EXPECT_NE(error_of(PostKind::kNote, R"({"txt":"x"})").find("unknown field 'txt'"), std::string::npos);
  EXPECT_NE(error_of(PostKind::kStatus, R"({"status":-3})").find("'status'"), std::string::npos);
  EXPECT_NE(error_of(PostKind::kTimeEntry, R"({"start":"2026-11-23T10:00:00Z","end":"2026-11-23T09:00:00Z"})")
                .find("must be after"),
            std::string::npos);
  EXPECT_NE(error_of(PostKind::kTimeEntry, R"({"start":"yesterday","end":"2026-11-23T09:00:00Z"})")
                .find("ISO-8601"),
            std::string::npos);
  EXPECT_NE(error_of(PostKind::kTimeEntry,
                     R"({"start":"2026-11-23T08:00:00Z","end":"2026-11-23T09:00:00Z","rounding":"7m"})")
                .find("'rounding'"),
            std::string::npos);
  // 333 years apart: more than a 64-bit count of nanoseconds holds (the
  // fuzzer found the subtraction overflowing).
  EXPECT_NE(error_of(PostKind::kTimeEntry, R"({"start":"1704-01-01T00:00:00Z","end":"2037-11-22T00:00:00Z"})")
                .find("2926848 hours long"),
            std::string::npos);
}

TEST(PsaBodies, NoteCarriesFlagsMarkerAndMember) {
  NotePayload p;
  p.text = "VPN back";
  p.type = NoteType::kDescription;
  auto b = note_body(p, "[cwsync:12345678]", nlohmann::json{{"id", 104}});
  EXPECT_EQ(b["text"], "VPN back\n[cwsync:12345678]");
  EXPECT_EQ(b["detailDescriptionFlag"], true);
  EXPECT_EQ(b["internalAnalysisFlag"], false);
  EXPECT_EQ(b["resolutionFlag"], false);
  EXPECT_EQ(b["member"]["id"], 104);
  EXPECT_FALSE(note_body(p, "m", nlohmann::json()).contains("member"));
}

TEST(PsaBodies, TimeEntryIsRoundedUtcAndTyped) {
  TimePayload p;
  p.start = *parse_iso8601("2026-11-23T10:00:00+01:00");
  p.end = *parse_iso8601("2026-11-23T10:40:00+01:00");
  p.rounding = Rounding::k30m;
  p.billable = "NoCharge";
  auto b = time_entry_body(1001, p, "[cwsync:ab]", nlohmann::json{{"identifier", "asmith"}});
  EXPECT_EQ(b["chargeToId"], 1001);
  EXPECT_EQ(b["chargeToType"], "ServiceTicket");
  EXPECT_EQ(b["timeStart"], "2026-11-23T09:00:00Z");
  EXPECT_EQ(b["timeEnd"], "2026-11-23T10:00:00Z");
  EXPECT_DOUBLE_EQ(b["actualHours"].get<double>(), 1.0);
  EXPECT_EQ(b["billableOption"], "NoCharge");
  EXPECT_EQ(b["notes"], "[cwsync:ab]");
  EXPECT_EQ(b["member"]["identifier"], "asmith");
}

TEST(PsaBodies, StatusIsAReplacePatch) {
  EXPECT_EQ(status_patch_body(15).dump(), R"([{"op":"replace","path":"status","value":{"id":15}}])");
}

}  // namespace
}  // namespace cwsync
