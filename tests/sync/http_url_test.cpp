#include "sync/http/http_url.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(UrlJoinTest, ExactlyOneSlash) {
  EXPECT_EQ(url_join("https://h/v2025_1/apis/3.0/", "/service/tickets/5"),
            "https://h/v2025_1/apis/3.0/service/tickets/5");
  EXPECT_EQ(url_join("https://h/v2025_1/apis/3.0", "service/tickets"),
            "https://h/v2025_1/apis/3.0/service/tickets");
  EXPECT_EQ(url_join("https://h/base/", ""), "https://h/base/");
}

TEST(UrlBuilderTest, EncodesConditionsAsQueryValues) {
  UrlBuilder b("https://sellapi.quosalsell.com/api/quotes");
  b.add("conditions", R"(modifyDate >= [2026-01-01] and accountName = "A&B")")
      .add("includeFields", "id,modifyDate")
      .add("page", 1);
  EXPECT_EQ(b.str(),
            "https://sellapi.quosalsell.com/api/quotes?conditions=modifyDate%20%3E%3D%20%5B2026-01-01%5D"
            "%20and%20accountName%20%3D%20%22A%26B%22&includeFields=id%2CmodifyDate&page=1");
}

TEST(UrlBuilderTest, KeepsAnExistingQueryVerbatim) {
  UrlBuilder b("https://h/x?orderBy=id%20asc");
  b.add("pageSize", 50);
  EXPECT_EQ(b.str(), "https://h/x?orderBy=id%20asc&pageSize=50");
  UrlBuilder trailing("https://h/x?");
  trailing.add("a", "1");
  EXPECT_EQ(trailing.str(), "https://h/x?a=1");
}

TEST(UrlBuilderTest, SetReplacesEveryOccurrence) {
  UrlBuilder b("https://h/x?page=1&conditions=a%3D1&page=7");
  b.set("page", "2").set("pageSize", "1000");
  EXPECT_EQ(b.str(), "https://h/x?conditions=a%3D1&page=2&pageSize=1000");
  UrlBuilder none("https://h/x");
  none.set("page", "3");
  EXPECT_EQ(none.str(), "https://h/x?page=3");
}

TEST(UrlBuilderTest, FitsWithSizesBatchesUnderTheLimit) {
  const std::string base = "https://sellapi.quosalsell.com/api/quoteItems";
  UrlBuilder b(base);
  std::string ids;
  int batched = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string next = ids + (ids.empty() ? "" : ",") + "\"0f8fad5b-d9cb-469f-a165-70867728950e\"";
    if (!b.fits_with("conditions", "idQuote in (" + next + ")")) break;
    ids = next;
    ++batched;
  }
  UrlBuilder full(base);
  full.add("conditions", "idQuote in (" + ids + ")");
  EXPECT_LE(full.length(), kMaxUrlLength);
  EXPECT_GT(batched, 10);
  EXPECT_LT(batched, 60);  // encoded GUIDs in quotes cost ~45 characters each
  EXPECT_FALSE(b.fits_with("conditions", std::string(3000, 'x')));
}

TEST(UrlBuilderTest, EncodeQueryValue) {
  EXPECT_EQ(encode_query_value("a b+c/d?"), "a%20b%2Bc%2Fd%3F");
  EXPECT_EQ(encode_query_value("safe-._~"), "safe-._~");
}

}  // namespace
}  // namespace cwsync
