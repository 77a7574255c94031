#include "sync/http/http_client.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

TEST(HttpHeadersTest, NamesAreCaseInsensitive) {
  HttpHeaders h;
  h.add("Retry-After", "5");
  EXPECT_EQ(h.get("retry-after"), "5");
  EXPECT_EQ(h.get("RETRY-AFTER"), "5");
  EXPECT_FALSE(h.get("Retry"));
  h.set("retry-after", "7");
  EXPECT_EQ(h.fields().size(), 1u);
  EXPECT_EQ(h.get("Retry-After"), "7");
}

TEST(HttpHeadersTest, AddKeepsDuplicatesInOrder) {
  HttpHeaders h;
  h.add("Link", "<a>; rel=\"next\"");
  h.add("link", "<b>; rel=\"last\"");
  EXPECT_EQ(h.get("LINK"), "<a>; rel=\"next\"");
  EXPECT_EQ(h.fields().size(), 2u);
  h.remove("Link");
  EXPECT_TRUE(h.empty());
}

TEST(RedactUrlTest, DropsUserinfoAndMasksSecretParameters) {
  EXPECT_EQ(redact_url("https://user:pa55@api.example.com/api/quotes?page=2&pageSize=50"),
            "https://api.example.com/api/quotes?page=2&pageSize=50");
  EXPECT_EQ(redact_url("https://h/x?accessKey=acme&token=abc&page=1&client_secret=s&Password=p"),
            "https://h/x?accessKey=***&token=***&page=1&client_secret=***&Password=***");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080/a?conditions=modifyDate%20%3E%3D%20%5B2026-01-01%5D"),
            "http://127.0.0.1:8080/a?conditions=modifyDate%20%3E%3D%20%5B2026-01-01%5D");
}

TEST(RedactUrlTest, UnparseableInputNeverEchoesTheInput) {
  EXPECT_EQ(redact_url("::::secret"), "(invalid url)");
  EXPECT_EQ(redact_url(""), "(invalid url)");
}

TEST(RequestContextTest, MethodAndRedactedUrl) {
  EXPECT_EQ(request_context("POST", "https://u:p@h/service/tickets/5/notes"),
            "POST https://h/service/tickets/5/notes");
}

TEST(LoopbackTest, RecognisesLoopbackHosts) {
  for (const char* h : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    EXPECT_TRUE(is_loopback_host(h)) << h;
  }
  for (const char* h : {"example.com", "10.0.0.1", "128.0.0.1", "localhost.example.com", ""}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

TEST(CheckUrlAllowedTest, HttpsAlwaysHttpOnlyForLoopbackOrOptIn) {
  EXPECT_TRUE(check_url_allowed("https://sellapi.quosalsell.com/api/quotes", false));
  EXPECT_TRUE(check_url_allowed("http://127.0.0.1:9000/api/quotes", false));
  EXPECT_TRUE(check_url_allowed("http://localhost/x", false));
  EXPECT_TRUE(check_url_allowed("http://cw.internal/x", true));

  auto refused = check_url_allowed("http://cw.internal/x?accessKey=acme", false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kConfig);
  EXPECT_NE(refused.error().message.find("allow_insecure"), std::string::npos);
  EXPECT_EQ(refused.error().describe().find("acme"), std::string::npos);

  auto ftp = check_url_allowed("ftp://h/x", true);
  ASSERT_FALSE(ftp);
  EXPECT_EQ(ftp.error().kind, ErrorKind::kConfig);
  EXPECT_FALSE(check_url_allowed("/relative/path", true));
}

}  // namespace
}  // namespace cwsync
