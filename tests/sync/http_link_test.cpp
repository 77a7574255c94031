#include "sync/http/http_link.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(LinkHeaderTest, ConnectWiseStyleNextAndLast) {
  auto links = parse_link_header(
      "<https://api-na.myconnectwise.net/v4_6_release/apis/3.0/sales/opportunities?pageSize=2&page=2>; "
      "rel=\"next\", <https://api-na.myconnectwise.net/v4_6_release/apis/3.0/sales/opportunities?pageSize=2&page=9>; "
      "rel=\"last\"");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_TRUE(links[0].has_rel("next"));
  EXPECT_EQ(links[0].target,
            "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/sales/opportunities?pageSize=2&page=2");
  EXPECT_TRUE(links[1].has_rel("last"));
  EXPECT_FALSE(links[1].has_rel("next"));
}

TEST(LinkHeaderTest, CommasAndSemicolonsInsideTargetsAndQuotesDoNotSplit) {
  auto links = parse_link_header(
      R"(<https://h/x?conditions=a,b;c>; title="one, two; three"; rel="next", <https://h/y>; rel=prev)");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].target, "https://h/x?conditions=a,b;c");
  EXPECT_EQ(links[0].param("title"), "one, two; three");
  EXPECT_TRUE(links[0].has_rel("next"));
  EXPECT_EQ(links[1].target, "https://h/y");
  EXPECT_TRUE(links[1].has_rel("PREV"));  // unquoted token, case-insensitive
}

TEST(LinkHeaderTest, RelListsAndOddSpacing) {
  auto links = parse_link_header("  <  /p2  >;REL = \"last  next\" ,,");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].target, "  /p2  ");
  EXPECT_TRUE(links[0].has_rel("next"));
  EXPECT_TRUE(links[0].has_rel("last"));
  EXPECT_FALSE(links[0].has_rel("nex"));
}

TEST(LinkHeaderTest, EscapedQuotes) {
  auto links = parse_link_header(R"(</a>; title="say \"hi\", ok"; rel="next")");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].param("title"), "say \"hi\", ok");
  EXPECT_TRUE(links[0].has_rel("next"));
}

TEST(LinkHeaderTest, MalformedValuesAreSkippedNotFatal) {
  auto links = parse_link_header(
      R"(garbage; rel="next", <https://h/ok>; rel="next", <https://h/unterminated; rel="x")");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].target, "https://h/ok");
  EXPECT_TRUE(parse_link_header("").empty());
  EXPECT_TRUE(parse_link_header(",,, ,").empty());
  EXPECT_TRUE(parse_link_header("<").empty());
  EXPECT_EQ(parse_link_header("<https://h/a> junk, <https://h/b>; rel=next").size(), 1u);
  auto unterminated_quote = parse_link_header(R"(<https://h/a>; rel="next)");
  ASSERT_EQ(unterminated_quote.size(), 1u);
  EXPECT_TRUE(unterminated_quote[0].has_rel("next"));
}

TEST(LinkHeaderTest, NoRelParameter) {
  auto links = parse_link_header("<https://h/a>; title=x");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_FALSE(links[0].has_rel("next"));
}

TEST(FindLinkTest, SearchesEveryLinkField) {
  HttpHeaders h;
  h.add("Link", R"(<https://h/first>; rel="first")");
  h.add("link", R"(<https://h/next>; rel="next")");
  EXPECT_EQ(find_link(h, "next"), "https://h/next");
  EXPECT_EQ(find_link(h, "first"), "https://h/first");
  EXPECT_FALSE(find_link(h, "last"));
  EXPECT_FALSE(find_link(HttpHeaders{}, "next"));
}

}  // namespace
}  // namespace cwsync
