#include "sync/http/http_classify.h"

#include <gtest/gtest.h>

namespace cwsync {
namespace {

using std::chrono::milliseconds;

const TimePoint kClassifyNow = TimePoint(std::chrono::seconds(1'800'000'000));

HttpHeaders with_retry_after(const char* v) {
  HttpHeaders h;
  h.set("Retry-After", v);
  return h;
}

TEST(ClassifyTest, StatusTable) {
  struct Row {
    int status;
    ResponseClass cls;
  };
  const Row rows[] = {
      {200, ResponseClass::kOk},         {201, ResponseClass::kOk},
      {204, ResponseClass::kOk},         {301, ResponseClass::kBadRequest},
      {400, ResponseClass::kBadRequest}, {401, ResponseClass::kAuth},
      {403, ResponseClass::kAuth},       {404, ResponseClass::kNotFound},
      {405, ResponseClass::kBadRequest}, {408, ResponseClass::kRetryable},
      {409, ResponseClass::kRetryable},  {422, ResponseClass::kBadRequest},
      {429, ResponseClass::kThrottled},  {500, ResponseClass::kRetryable},
      {501, ResponseClass::kBadRequest}, {502, ResponseClass::kRetryable},
      {503, ResponseClass::kRetryable},  {504, ResponseClass::kRetryable},
      {505, ResponseClass::kBadRequest}, {599, ResponseClass::kRetryable},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(classify_response(r.status, {}, kClassifyNow).cls, r.cls) << r.status;
  }
}

TEST(ClassifyTest, RetryAfterTurns503IntoThrottled) {
  auto c = classify_response(503, with_retry_after("30"), kClassifyNow);
  EXPECT_EQ(c.cls, ResponseClass::kThrottled);
  EXPECT_EQ(c.retry_after, milliseconds(30'000));
  auto t = classify_response(429, with_retry_after("2"), kClassifyNow);
  EXPECT_EQ(t.cls, ResponseClass::kThrottled);
  EXPECT_EQ(t.retry_after, milliseconds(2000));
  // Garbage Retry-After: still throttled, with no server-given wait.
  auto g = classify_response(429, with_retry_after("soon"), kClassifyNow);
  EXPECT_EQ(g.cls, ResponseClass::kThrottled);
  EXPECT_FALSE(g.retry_after);
  EXPECT_EQ(classify_response(503, with_retry_after("soon"), kClassifyNow).cls,
            ResponseClass::kRetryable);
}

TEST(UpstreamMessageTest, ConnectWiseErrorBody) {
  const std::string body = R"({"code":"InvalidObject","message":"ticket object is invalid",
    "errors":[{"code":"NullObject","message":"The summary is required","resource":"ticket",
    "field":"summary"},{"code":"X","message":"board missing"}]})";
  EXPECT_EQ(upstream_error_message(body),
            "ticket object is invalid (summary: The summary is required; board missing)");
  EXPECT_EQ(upstream_error_message(R"({"code":"Unauthorized"})"), "Unauthorized");
}

TEST(UpstreamMessageTest, ToleratesHtmlAndGarbage) {
  EXPECT_FALSE(upstream_error_message("<html><body>503 Service Unavailable</body></html>"));
  EXPECT_FALSE(upstream_error_message(""));
  EXPECT_FALSE(upstream_error_message("[1,2]"));
  EXPECT_FALSE(upstream_error_message(R"({"message":5})"));
  EXPECT_FALSE(upstream_error_message("{\"message\": \"unterminated"));
  EXPECT_FALSE(upstream_error_message(std::string("\xff\xfe\x00", 3)));
}

TEST(UpstreamMessageTest, LongMessagesAreTruncated) {
  const std::string body = R"({"message":")" + std::string(5000, 'a') + R"("})";
  auto m = upstream_error_message(body);
  ASSERT_TRUE(m);
  EXPECT_LT(m->size(), 600u);
}

TEST(ResponseErrorTest, CarriesMethodRedactedUrlStatusAndMessage) {
  HttpResponse r;
  r.status = 400;
  r.body = R"({"code":"InvalidObject","message":"conditions are invalid"})";
  Error e =
      response_error(r, "GET", "https://u:pw@h/api/quotes?accessKey=acme&page=3", kClassifyNow);
  EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_FALSE(e.ambiguous);
  EXPECT_EQ(e.describe(),
            "GET https://h/api/quotes?accessKey=***&page=3: bad request: conditions are invalid "
            "(HTTP 400)");
}

TEST(ResponseErrorTest, FiveHundredsAreAmbiguousAndThrottleCarriesWait) {
  HttpResponse r;
  r.status = 502;
  r.body = "<html>bad gateway</html>";
  Error e = response_error(r, "POST", "https://h/x", kClassifyNow);
  EXPECT_EQ(e.kind, ErrorKind::kRetryable);
  EXPECT_TRUE(e.ambiguous);
  EXPECT_EQ(e.message, "bad gateway");

  HttpResponse t;
  t.status = 429;
  t.headers.set("Retry-After", "12");
  Error te = response_error(t, "GET", "https://h/x", kClassifyNow);
  EXPECT_EQ(te.kind, ErrorKind::kThrottled);
  EXPECT_EQ(te.retry_after, milliseconds(12'000));
  EXPECT_FALSE(te.ambiguous);
  EXPECT_TRUE(te.retryable());
}

TEST(ResponseErrorTest, AuthAndNotFoundAreNotRetryable) {
  for (int s : {401, 403, 404}) {
    HttpResponse r;
    r.status = s;
    Error e = response_error(r, "GET", "https://h/x", kClassifyNow);
    EXPECT_FALSE(e.retryable()) << s;
  }
}

TEST(MalformedErrorTest, NamesTheRequestNotTheBody) {
  Error e = malformed_error("GET", "https://h/api/quotes?page=4", "expected a JSON array", 200);
  EXPECT_EQ(e.kind, ErrorKind::kMalformed);
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(e.describe().find("page=4"), std::string::npos);
}

TEST(ClassifyFailureTest, TheTableSaysWhoseProblemAFailureIs) {
  struct Row { int status; bool body; Failure want; };
  const Row rows[] = {
      {0, false, Failure::kOutage},          // transport (kind below)
      {429, true, Failure::kOutage},         {502, true, Failure::kOutage},
      {503, true, Failure::kOutage},         {504, false, Failure::kOutage},
      {500, false, Failure::kOutage},        // a proxy's page: the host is unwell
      {500, true, Failure::kPostSpecific},   // PSA's application failed on this request
      {409, true, Failure::kPostSpecific},   {400, true, Failure::kRejection},
      {404, true, Failure::kRejection},      {422, false, Failure::kRejection},
      {501, true, Failure::kRejection},      {401, true, Failure::kAuth},
      {403, false, Failure::kAuth},          {200, false, Failure::kNone},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(classify_failure(r.status, r.body, ErrorKind::kNetwork), r.want)
        << r.status << (r.body ? " with" : " without") << " an error body";
  }
  EXPECT_EQ(classify_failure(0, false, ErrorKind::kTimeout), Failure::kOutage);
  EXPECT_EQ(classify_failure(0, false, ErrorKind::kInvalidInput), Failure::kNone);
}

TEST(ClassifyFailureTest, ResponseErrorCarriesTheClassOfItsBody) {
  HttpResponse r;
  r.status = 500;
  r.body = R"({"code":"UnexpectedError","message":"An error has occurred."})";
  EXPECT_EQ(response_error(r, "POST", "https://h/x", kClassifyNow).failure, Failure::kPostSpecific);
  r.body = "<html><body>Internal Server Error</body></html>";
  EXPECT_EQ(response_error(r, "POST", "https://h/x", kClassifyNow).failure, Failure::kOutage);
}

}  // namespace
}  // namespace cwsync
