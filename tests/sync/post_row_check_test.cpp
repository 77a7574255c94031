// The queue row validator : rows other programs insert are checked
// before anything is sent, and the payload rules enqueue and the drainer share.
#include "sync/post_row_check.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using storage::PostKind;
using storage::PostRow;

PostRow row(PostKind kind, std::string payload, std::int64_t ticket = 1010) {
  PostRow r;
  r.kind = kind;
  r.provider = "connectwise";  // the column's default
  r.ticket_id = ticket;
  r.payload = std::move(payload);
  return r;
}

std::string reason(const PostRow& r) {
  auto checked = check_post_row(r);
  return checked.ok() ? "" : checked.error().message;
}

TEST(PostRowCheckTest, ATicketIdThatIsNotAnIntegerIsNeverRoundedToAnotherTicket) {
  PostRow r = row(PostKind::kNote, R"({"text":"hello"})");
  EXPECT_EQ(reason(r), "");
  r.ticket_id_text = "1010abc";  // SQLite reads it as 1010
  EXPECT_NE(reason(r).find("ticket_id '1010abc' is not a whole number"), std::string::npos) << reason(r);
  EXPECT_EQ(reason(r).rfind("invalid post: ", 0), 0u);
  r.ticket_id_text = "1011.5";
  EXPECT_NE(reason(r).find("'1011.5'"), std::string::npos);
  r.ticket_id_text = std::string("10\xff\n", 4);  // junk stays printable in the reason
  EXPECT_NE(reason(r).find("10\\xff\\x0a"), std::string::npos) << reason(r);
  EXPECT_NE(reason(row(PostKind::kNote, R"({"text":"x"})", 0)).find("not a ticket id"),
            std::string::npos);
}

TEST(PostRowCheckTest, KindProviderAndPayloadShapeAreChecked) {
  PostRow r = row(PostKind::kNote, R"({"text":"x"})");
  r.kind.reset();
  EXPECT_NE(reason(r).find("unknown kind"), std::string::npos);
  r = row(PostKind::kNote, R"({"text":"x"})");
  r.provider = "autotask";
  EXPECT_EQ(reason(r), "") << "the second provider";
  r.provider = "halopsa";
  EXPECT_NE(reason(r).find("unknown provider 'halopsa'; expected connectwise or autotask"),
            std::string::npos);
  EXPECT_EQ(reason(row(PostKind::kNote, "[1]")).rfind("invalid payload: ", 0), 0u);
  EXPECT_NE(reason(row(PostKind::kStatus, R"({"status":"-3"})")).find("neither a status id"),
            std::string::npos);
  EXPECT_EQ(reason(row(PostKind::kStatus, R"({"status":"501"})")), "");
  EXPECT_EQ(reason(row(PostKind::kStatus, R"({"status":"Waiting on client"})")), "");
}

TEST(PostRowCheckTest, TimeEntriesArePositiveAndAtMostADay) {
  auto time = [](const char* start, const char* end) {
    return row(PostKind::kTimeEntry, std::string(R"({"start":")") + start + R"(","end":")" + end + "\"}");
  };
  EXPECT_EQ(reason(time("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")), "");
  const std::string ten_years = reason(time("2026-11-23T00:00:00Z", "2036-11-23T00:00:00Z"));
  EXPECT_NE(ten_years.find("87672 hours long; at most 24 h"), std::string::npos) << ten_years;
  EXPECT_NE(reason(time("2026-11-23T00:00:00Z", "2026-11-24T00:00:01Z")).find("at most 24 h"),
            std::string::npos);
  EXPECT_NE(reason(time("2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z")).find("must be after"),
            std::string::npos);
}

TEST(PostPayloadIdsTest, PositiveIdsAreDigitsInRange) {
  EXPECT_EQ(parse_positive_id("1"), 1);
  EXPECT_EQ(parse_positive_id("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "0", "-3", "+3", " 3", "3 ", "1.5", "99999999999999999999", "1e3"}) {
    EXPECT_FALSE(parse_positive_id(bad)) << bad;
  }
  for (const char* num : {"-3", "+3", "0", "1.5", "-0.5", "99999999999999999999"}) {
    EXPECT_TRUE(looks_numeric(num)) << num;
  }
  for (const char* name : {"", "-", "Closed", "3rd line", "1.2.3", "."}) EXPECT_FALSE(looks_numeric(name)) << name;
}

}  // namespace
}  // namespace cwsync
