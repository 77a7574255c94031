// Page splitting (raw bytes kept) and the CPQ quote / item mappers.
#include <gtest/gtest.h>

#include "sync/cpq/cpq_puller.h"
#include "sync/http/http_url.h"
#include "sync/cpq/quote_mapper.h"

namespace cwsync {
namespace {

TEST(SplitPage, KeepsEachElementsOwnBytes) {
  std::string body =
      "[ {\"id\":\"a\", \"n\" : 1.50,\"s\":\"br}ace,\\\"q\\\" [x]\"} ,\n"
      "{\"id\":\"b\",\"nested\":{\"k\":[1,{\"z\":\"\\u00e9\"}]},\"name\":\"Zoë 日本\"}]";
  auto page = split_page(body, "quotes page 1");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->elements.size(), 2u);
  EXPECT_TRUE(page->sliced);
  EXPECT_EQ(page->elements[0].raw, "{\"id\":\"a\", \"n\" : 1.50,\"s\":\"br}ace,\\\"q\\\" [x]\"}");
  EXPECT_EQ(page->elements[1].raw,
            "{\"id\":\"b\",\"nested\":{\"k\":[1,{\"z\":\"\\u00e9\"}]},\"name\":\"Zoë 日本\"}");
  EXPECT_EQ(page->elements[1].value["name"], "Zoë 日本");
  // The bytes are the upstream's, not a re-serialisation ("1.50" stays).
  EXPECT_NE(page->elements[0].raw.find("1.50"), std::string_view::npos);
}

TEST(SplitPage, EmptyListIsFine) {
  const std::string body = " [ ] ";
  auto page = split_page(body, "p");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->elements.empty());
}

TEST(SplitPage, RejectsTruncatedHtmlAndWrongTypes) {
  for (const char* body : {"[{\"id\":\"a\"},{\"id\":\"b", "<html><body>502</body></html>",
                           "{\"id\":\"a\"}", "[1,2]", "", "{\"data\":5}"}) {
    const std::string text = body;
    auto page = split_page(text, "GET quotes page 7");
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().kind, ErrorKind::kMalformed);
    EXPECT_NE(page.error().describe().find("quotes page 7"), std::string::npos) << body;
  }
}

TEST(SplitPage, EnvelopeFallsBackToDump) {
  const std::string body = "{\"data\":[{\"id\":\"x\"}]}";
  auto page = split_page(body, "p");
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->sliced);
  ASSERT_EQ(page->elements.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(page->elements[0].raw)["id"], "x");
}

TEST(MapQuote, MapsEveryStoredField) {
  std::string raw = R"({"id":"g1","quoteNumber":1042,"quoteVersion":3,"name":"Fibre 🚀 upgrade",
    "quoteStatus":"Won","quoteType":"Quote","accountName":"Ça va GmbH",
    "customer":{"id":"c-9","accountName":"Ça va GmbH"},"isAccepted":true,"isSent":true,
    "isArchive":false,"isLost":false,"lostReason":null,"wonOrLostDate":"2026-10-02T08:00:00Z",
    "quoteTotal":1234.5,"subtotal":"1100.25","tax":134.25,"grossMargin":30,"probability":90,
    "createDate":"2026-09-01T10:00:00.000Z","modifyDate":"2026-10-02T08:00:01.750Z",
    "expirationDate":"2026-12-01","expectedCloseDate":null,"crmOpportunityId":"77",
    "primaryRep":"asmith","insideRep":null,"zCustomText1":"keep me"})";
  const std::string body = "[" + raw + "]";  // the page's raw views point into it
  auto page = split_page(body, "p");
  ASSERT_TRUE(page.ok());
  auto q = map_quote(page->elements[0].value, page->elements[0].raw);
  ASSERT_TRUE(q.ok()) << q.error().describe();
  EXPECT_EQ(q->id, "g1");
  EXPECT_EQ(q->quote_number, 1042);
  EXPECT_EQ(q->quote_version, 3);
  EXPECT_EQ(q->name, "Fibre 🚀 upgrade");
  EXPECT_EQ(q->account_name, "Ça va GmbH");
  EXPECT_EQ(q->customer_id, "c-9");
  EXPECT_TRUE(q->is_accepted);
  EXPECT_FALSE(q->is_lost);
  EXPECT_FALSE(q->lost_reason.has_value());
  EXPECT_DOUBLE_EQ(*q->quote_total, 1234.5);
  EXPECT_DOUBLE_EQ(*q->subtotal, 1100.25);  // decimal sent as a string
  EXPECT_EQ(format_iso8601(*q->modify_date), "2026-10-02T08:00:01Z");  // whole seconds
  EXPECT_EQ(format_iso8601(*q->expiration_date), "2026-12-01T00:00:00Z");
  EXPECT_FALSE(q->expected_close_date.has_value());
  EXPECT_EQ(q->crm_opportunity_id, "77");
  EXPECT_FALSE(q->inside_rep.has_value());
  EXPECT_EQ(q->raw_json, raw);
  EXPECT_NE(q->raw_json.find("zCustomText1"), std::string::npos);
}

TEST(MapQuote, MissingFieldsAreNullAndIdsRequired) {
  nlohmann::json minimal = {{"id", "g2"}, {"quoteNumber", 5}};
  auto q = map_quote(minimal, "{}");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->quote_version, 1);
  EXPECT_FALSE(q->name.has_value());
  EXPECT_FALSE(q->modify_date.has_value());
  EXPECT_FALSE(q->quote_total.has_value());
  EXPECT_FALSE(q->is_accepted);
  nlohmann::json wrong_types = {{"id", "g3"}, {"quoteNumber", 6}, {"quoteTotal", {1}},
                                {"name", 5}, {"modifyDate", "not a date"}, {"crmOpportunityId", 12}};
  q = map_quote(wrong_types, "{}");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->quote_total.has_value());
  EXPECT_FALSE(q->name.has_value());
  EXPECT_FALSE(q->modify_date.has_value());
  EXPECT_EQ(q->crm_opportunity_id, "12");
  EXPECT_EQ(map_quote({{"quoteNumber", 1}}, "{}").error().kind, ErrorKind::kMalformed);
  EXPECT_EQ(map_quote({{"id", "x"}, {"quoteNumber", "1"}}, "{}").error().kind,
            ErrorKind::kMalformed);
}

TEST(MapQuoteItem, MapsFieldsAndRequiresQuoteLink) {
  nlohmann::json j = {{"id", "i1"}, {"idQuote", "g1"}, {"idQuoteTabs", "t1"},
                      {"sortOrder", 2}, {"quantity", 3}, {"quoteItemPrice", 9.5},
                      {"isOptional", false}, {"isTaxable", nullptr},
                      {"modifyDate", "2026-01-02T03:04:05.999Z"}};
  auto r = map_quote_item(j, "{raw}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->quote_id, "g1");
  EXPECT_EQ(r->sort_order, 2);
  EXPECT_DOUBLE_EQ(*r->price, 9.5);
  EXPECT_EQ(r->is_optional, false);
  EXPECT_FALSE(r->is_taxable.has_value());
  EXPECT_EQ(format_iso8601(*r->modify_date), "2026-01-02T03:04:05Z");
  EXPECT_EQ(r->raw_json, "{raw}");
  EXPECT_FALSE(map_quote_item({{"id", "i2"}}, "{}").ok());
}

TEST(MapQuoteItem, SortOrderThatIsNotAnInt64IsAbsent) {
  // Found by the item_mapper fuzzer: casting 1e300 to an integer is undefined behaviour.
  auto with = [](nlohmann::json v) {
    nlohmann::json j = {{"id", "i1"}, {"idQuote", "g1"}, {"sortOrder", v}};
    return map_quote_item(j, "{}")->sort_order;
  };
  EXPECT_FALSE(with(1e300).has_value());
  EXPECT_FALSE(with(-1e300).has_value());
  EXPECT_FALSE(with(2.5).has_value());
  EXPECT_FALSE(with(18446744073709551615ULL).has_value());
  EXPECT_FALSE(with("9.3e18").has_value());
  EXPECT_EQ(with(3.0), 3);
  EXPECT_EQ(with("7"), 7);
  EXPECT_EQ(with(-4), -4);
}

TEST(QuoteOpportunity, DerivesOpenWonLost) {
  storage::QuoteRow q;
  q.id = "g";
  q.quote_number = 17;
  q.quote_total = 50;
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kOpen);
  EXPECT_EQ(quote_opportunity(q).id, "17");
  EXPECT_EQ(quote_opportunity(q).value, 50);
  q.is_accepted = true;
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kWon);
  q.is_accepted = false;
  q.won_or_lost_date = parse_iso8601("2026-10-01T00:00:00Z");
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kWon);
  EXPECT_EQ(quote_opportunity(q).closed_date, q.won_or_lost_date);
  q.is_lost = true;
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kLost);
  EXPECT_EQ(quote_opportunity(q).source, OpportunitySource::kQuotes);
}

// "Won when isAccepted, ...; lost when isLost": a quote with both flags is
// won, closed on the same date a lost one would be.
TEST(QuoteOpportunity, AcceptedAndLostIsWon) {
  storage::QuoteRow q;
  q.id = "g";
  q.quote_number = 18;
  q.is_accepted = true;
  q.is_lost = true;
  q.modify_date = parse_iso8601("2026-10-02T00:00:00Z");
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kWon);
  EXPECT_EQ(quote_opportunity(q).closed_date, q.modify_date);
  q.won_or_lost_date = parse_iso8601("2026-10-01T00:00:00Z");
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kWon);
  EXPECT_EQ(quote_opportunity(q).closed_date, q.won_or_lost_date);
  q.is_accepted = false;
  EXPECT_EQ(quote_opportunity(q).status, storage::OpportunityStatus::kLost);
  EXPECT_EQ(quote_opportunity(q).closed_date, q.won_or_lost_date);
}

TEST(ItemConditions, BatchesStayUnderTheUrlLimitAndCoverEveryId) {
  std::string base = "https://sellapi.quosalsell.com/api/quoteItems";
  std::vector<std::string> ids;
  for (int k = 0; k < 500; ++k) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-1111-4222-8333-%012d", k, k);
    ids.emplace_back(buf);
  }
  auto conds = item_conditions(base, ids);
  ASSERT_GT(conds.size(), 5u);
  std::size_t seen = 0;
  for (const auto& c : conds) {
    std::string url = UrlBuilder(base).add("conditions", c).add("page", 1).add("pageSize", 1000).str();
    EXPECT_LT(url.size(), kMaxUrlLength);
    EXPECT_EQ(c.rfind("idQuote in (\"", 0), 0u);
    for (std::size_t p = c.find("-1111-"); p != std::string::npos; p = c.find("-1111-", p + 1)) ++seen;
  }
  EXPECT_EQ(seen, ids.size());
  // A batch is not needlessly small: each is at least 80% of the budget.
  std::string first = UrlBuilder(base).add("conditions", conds[0]).str();
  EXPECT_GT(first.size(), kMaxUrlLength * 8 / 10);
  EXPECT_TRUE(item_conditions(base, {}).empty());
}

// The batches are exactly what appending ids one at a time while the whole
// URL still fits gives, also for ids that need percent-encoding and a base
// URL that already has a query.
TEST(ItemConditions, BatchesAreTheGreedyFitOfTheEncodedUrl) {
  const std::string base = "http://127.0.0.1:8080/api/quoteItems?pageSize=1000";
  std::vector<std::string> ids;
  for (int k = 0; k < 300; ++k) {
    std::string id = "q" + std::to_string(k);
    id.append(static_cast<std::size_t>(k % 37), k % 3 == 0 ? ' ' : (k % 3 == 1 ? '%' : 'x'));
    ids.push_back(id + "\xc3\xa9");
  }
  std::vector<std::string> expected;
  std::string current;
  for (const std::string& id : ids) {
    const std::string quoted = "\"" + id + "\"";
    const std::string candidate = current.empty() ? quoted : current + "," + quoted;
    if (!current.empty() &&
        !UrlBuilder(base).fits_with("conditions", "idQuote in (" + candidate + ")",
                                    kMaxUrlLength - 40)) {
      expected.push_back("idQuote in (" + current + ")");
      current = quoted;
    } else {
      current = candidate;
    }
  }
  expected.push_back("idQuote in (" + current + ")");
  ASSERT_GT(expected.size(), 3u);
  EXPECT_EQ(item_conditions(base, ids), expected);
}

}  // namespace
}  // namespace cwsync
