// parse_fast_page (simdjson) against split_page (nlohmann): the same errors,
// the same raw bytes and the same mapped rows, for well-formed pages and for
// every odd or malformed shape the DOM path already handles.
#include "sync/http/fast_page.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fast_page_check.h"
#include "sync/cpq/quote_mapper.h"

namespace cwsync {
namespace {

const std::string kQuote =
    R"({"id":"q1","quoteNumber":7,"quoteVersion":2,"name":"Caf\u00e9 \"A\"\\B","customer":{"id":42,"name":"x"},)"
    R"("isAccepted":true,"isLost":null,"quoteTotal":"12.50","subtotal":10,"tax":1e2,)"
    R"("createDate":"2026-01-02T03:04:05.678+02:00","modifyDate":"2026-01-02","expirationDate":"soon",)"
    R"("crmOpportunityId":123,"primaryRep":["a",{"b":[1,2.5,null,true]}],"insideRep":{"deep":{"er":1}}})";
const std::string kItem =
    R"({"id":"i1","idQuote":"q1","sortOrder":3.0,"quantity":"2","quoteItemPrice":18446744073709551615,)"
    R"("cost":-0,"extendedPrice":123456789012345678901234567890,"isOptional":false,"modifyDate":"2026-05-06T07:08:09Z"})";

TEST(FastPage, AgreesWithSplitPageOnWellFormedPages) {
  const std::vector<std::string> bodies = {
      "[" + kQuote + "," + kItem + "]",
      " \n[ " + kQuote + " ,\n\t" + kItem + " \r\n] \n",
      "[]",
      "[{}]",
      // Repeated keys: the last one wins, as in nlohmann's parser.
      R"([{"id":"a","quoteNumber":1,"id":"b","idQuote":"x","idQuote":null}])",
      R"([{"id":"a","quoteNumber":18446744073709551615,"quoteVersion":4294967297}])",
      R"([{"id":"a","quoteNumber":-0,"customer":"c-9","sortOrder":9223372036854775808}])",
      R"([{"id":"a","quoteNumber":1.0,"customer":null,"sortOrder":-9223372036854775808}])",
      R"([{"id":"a","quoteNumber":99999999999999999999,"customer":{"id":"x","id":7}}])",
      R"([{"id":"","idQuote":"q","quoteTotal":" 1","tax":"1e999","subtotal":"0x10"}])",
      R"([{"id":"i","idQuote":"q","quantity":"12\u00005","modifyDate":"2026-02-30T00:00:00"}])",
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(cwsync_fuzz::fast_page_difference(body), "") << body;
    std::string padded = body;
    reserve_json_padding(padded);
    EXPECT_EQ(cwsync_fuzz::fast_page_difference(padded), "") << body;
  }
}

TEST(FastPage, MalformedPagesGetSplitPagesErrors) {
  const std::vector<std::string> bodies = {
      "",
      "   ",
      "[" + kQuote,        // truncated
      "[" + kQuote + ",",  // truncated after a comma
      "<html><body>502 Bad Gateway</body></html>",
      R"({"quotes":[]})",   // an object without data/items
      R"([{"id":"a"},5])",  // an element that is not an object
      R"([{"id":"a"},"x",])",
      R"([{"id":"a"}] [])",  // trailing bytes
      R"([{"id":"a"}]x)",
      R"([{"id":"a",}])",  // trailing comma
      R"([{"id":"a" "b":1}])",
      R"([{"id":tru}])",
      R"([{"id":"a","n":01}])",
      R"([{"id":"a","n":1.}])",
      R"([{"id":"a","n":[1 2]}])",  // deep garbage split_page also refuses
      R"([{"id":"a","n":{"m":[{"k":nul}]}}])",
      "[{\"id\":\"a\tb\"}]",   // a raw control character in a string
      R"([{"id":"\x"}])",      // a bad escape
      R"([{"id":"\ud800"}])",  // a lone surrogate
      "[{\"id\":\"\xff\"}]",   // not UTF-8
      "5",
      "\"text\"",
      "null",
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(cwsync_fuzz::fast_page_difference(body), "") << body;
  }
  const std::string truncated = "[" + kQuote;
  auto page = parse_fast_page(truncated, "GET quotes page 7");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().kind, ErrorKind::kMalformed);
  EXPECT_NE(page.error().describe().find("GET quotes page 7"), std::string::npos);
}

TEST(FastPage, EnvelopesTakeSplitPagesPath) {
  for (const std::string body : {R"({"data":[{"id":"a","quoteNumber":1}]})",
                                 R"({"items":[{"id":"i","idQuote":"q"}],"count":1})"}) {
    auto page = parse_fast_page(body, "p");
    ASSERT_TRUE(page.ok()) << body;
    EXPECT_FALSE(page->used_simdjson());
    EXPECT_EQ(cwsync_fuzz::fast_page_difference(body), "") << body;
  }
}

TEST(FastPage, IntegersBeyond64BitsTakeSplitPagesPath) {
  // simdjson 3.0.1 refuses them; nlohmann reads them as doubles.
  const std::string body = "[" + kItem + "]";
  auto page = parse_fast_page(body, "p");
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->used_simdjson());
  EXPECT_EQ(map_quote_item(page->fields(0), page->raw(0))->extended_price, 1.2345678901234568e29);
}

TEST(FastPage, RawIsTheElementsBytesInTheBodyWithOrWithoutPadding) {
  const std::string item = R"({"id":"i1","idQuote":"q1","sortOrder":3.0})";
  std::string body = "[ " + kQuote + " ,\n" + item + "\n]";
  for (bool padded : {false, true}) {
    std::string b = body;
    if (padded)
      reserve_json_padding(b);
    else
      b.shrink_to_fit();
    auto page = parse_fast_page(b, "p");
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page->used_simdjson());
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ(page->raw(0), kQuote);
    EXPECT_EQ(page->raw(1), item);
    EXPECT_EQ(page->raw(0).data(), b.data() + 2);  // a view into the body, not a copy
  }
}

TEST(FastPage, ElementFieldsReadTheJsonReadRules) {
  std::string body = "[" + kQuote + "]";
  auto page = parse_fast_page(body, "p");
  ASSERT_TRUE(page.ok());
  auto q = map_quote(page->fields(0), page->raw(0));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->name, "Caf\xc3\xa9 \"A\"\\B");
  EXPECT_EQ(q->customer_id, "42");
  EXPECT_EQ(q->quote_total, 12.5);  // a decimal sent as text
  EXPECT_EQ(q->tax, 100.0);
  EXPECT_FALSE(q->is_lost);                                          // null
  EXPECT_EQ(q->create_date, parse_iso8601("2026-01-02T01:04:05Z"));  // zone applied, fraction cut
  EXPECT_EQ(q->modify_date, parse_iso8601("2026-01-02"));
  EXPECT_FALSE(q->expiration_date.has_value());
  EXPECT_EQ(q->crm_opportunity_id, "123");
  EXPECT_FALSE(q->primary_rep.has_value());  // an array is the wrong type
  EXPECT_EQ(q->raw_json, kQuote);
}

}  // namespace
}  // namespace cwsync
