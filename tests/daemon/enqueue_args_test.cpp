// `cwsync enqueue` argument checks : every bad input is exit 2 with
// a message naming the option, never a rounded ticket or a library exception.
#include "daemon/enqueue_args.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace cwsync::daemon {
namespace {

using storage::PostKind;

EnqueueArgs note(std::string ticket, std::optional<std::string> text) {
  EnqueueArgs a;
  a.ticket = std::move(ticket);
  a.text = std::move(text);
  return a;
}

std::string problem(PostKind kind, const EnqueueArgs& a) {
  auto r = build_enqueue_row(kind, a);
  EXPECT_TRUE(!r.ok() && r.error().kind == ErrorKind::kInvalidInput);
  return r.ok() ? "" : r.error().message;
}

TEST(EnqueueArgsTest, TicketIdsAreExactOrRefused) {
  auto ok = build_enqueue_row(PostKind::kNote, note("9223372036854775807", "hi"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->ticket_id, INT64_MAX);
  EXPECT_EQ(problem(PostKind::kNote, note("99999999999999999999", "hi")),
            "--ticket 99999999999999999999 is too large; ticket ids go up to 9223372036854775807");
  EXPECT_NE(problem(PostKind::kNote, note("-5", "hi")).find("not a ticket id"), std::string::npos);
  EXPECT_NE(problem(PostKind::kNote, note("0", "hi")).find("not a ticket id"), std::string::npos);
  EXPECT_NE(problem(PostKind::kNote, note("12abc", "hi")).find("'12abc'"), std::string::npos);
  EXPECT_NE(problem(PostKind::kNote, note("", "hi")).find("needs a ticket id"), std::string::npos);
}

TEST(EnqueueArgsTest, TextMustBeUtf8AndPresent) {
  const std::string latin1 = "caf\xe9";
  const std::string m = problem(PostKind::kNote, note("1", latin1));
  EXPECT_EQ(m.rfind("--text is not UTF-8 text (byte 0xE9 at offset 3)", 0), 0u) << m;
  EXPECT_NE(m.find("iconv"), std::string::npos);
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82"}) {
    EXPECT_NE(problem(PostKind::kNote, note("1", bad)).find("not UTF-8"), std::string::npos) << bad;
  }
  EXPECT_TRUE(build_enqueue_row(PostKind::kNote, note("1", "caf\xc3\xa9 \xf0\x9f\x94\xa7")).ok());
  EXPECT_EQ(problem(PostKind::kNote, note("1", "")), "--text is empty; a note needs some text");
  EXPECT_NE(problem(PostKind::kNote, note("1", std::nullopt)).find("give --text or --text-file"),
            std::string::npos);
  EnqueueArgs both = note("1", "x");
  both.text_file = "f.txt";
  EXPECT_NE(problem(PostKind::kNote, both).find("not both"), std::string::npos);
}

TEST(EnqueueArgsTest, FilesAreReadWithAccurateMessages) {
  test::TempDir dir("cwsync-enqueue-");
  EnqueueArgs a = note("1", std::nullopt);
  a.text_file = dir.path().string();
  EXPECT_EQ(problem(PostKind::kNote, a),
            "--text-file " + dir.path().string() + " is a directory; give the file that holds the text");
  a.text_file = dir.file("missing.txt").string();
  EXPECT_NE(problem(PostKind::kNote, a).find("cannot read --text-file " + *a.text_file + ": No such file"),
            std::string::npos);
  // Through an injected reader: a Latin-1 file names the file.
  auto reader = [](const std::string&, std::string_view) -> Result<std::string> { return std::string("\xff"); };
  a.text_file = "n.txt";
  auto r = build_enqueue_row(PostKind::kNote, a, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("--text-file n.txt is not UTF-8 text", 0), 0u) << r.error().message;
}

TEST(EnqueueArgsTest, StatusNumbersMustBePositiveIds) {
  EnqueueArgs a;
  a.ticket = "1";
  a.status = "-3";
  EXPECT_NE(problem(PostKind::kStatus, a).find("--status -3 is not a status id"), std::string::npos);
  a.status = "0";
  EXPECT_NE(problem(PostKind::kStatus, a).find("not a status id"), std::string::npos);
  a.status = "501";
  EXPECT_EQ(build_enqueue_row(PostKind::kStatus, a)->payload_json, R"({"status":501})");
  a.status = "Waiting on client";
  EXPECT_EQ(build_enqueue_row(PostKind::kStatus, a)->payload_json, R"({"status":"Waiting on client"})");
}

TEST(EnqueueArgsTest, TimeEntriesArePositiveAndAtMostADay) {
  EnqueueArgs a;
  a.ticket = "1";
  a.start = "2026-11-23T00:00:00Z";
  a.end = "2036-11-23T00:00:00Z";
  EXPECT_NE(problem(PostKind::kTimeEntry, a).find("87672 hours long; at most 24 h"), std::string::npos);
  a.end = "2026-11-22T23:00:00Z";
  EXPECT_NE(problem(PostKind::kTimeEntry, a).find("must be after"), std::string::npos);
  a.end = "2026-11-23T08:00:00Z";
  EXPECT_TRUE(build_enqueue_row(PostKind::kTimeEntry, a).ok());
  a.member = "0";
  EXPECT_NE(problem(PostKind::kTimeEntry, a).find("--member 0 is not a member id"), std::string::npos);
  a.member = "42";
  EXPECT_NE(build_enqueue_row(PostKind::kTimeEntry, a)->payload_json.find(R"("member":42)"),
            std::string::npos);
}

}  // namespace
}  // namespace cwsync::daemon
