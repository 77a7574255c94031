#include "base/log.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "base/secret.h"

namespace cwsync {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void capture(log::Format format, log::Level level = log::Level::kInfo) {
    out_.str("");
    log::init(format, level, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  void TearDown() override { log::init(log::Format::kJson, log::Level::kInfo); }
  std::ostringstream out_;
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  capture(log::Format::kJson);
  log::info("sync_page").tenant("acme").entity("quotes").http_status(200).attempt(1)
      .duration(std::chrono::milliseconds(42)).field("page", 3).msg("stored 1000 rows");
  log::warn("retry_scheduled").post_id(9).msg("second line");

  std::istringstream lines(out_.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["event"], "sync_page");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["entity"], "quotes");
  EXPECT_EQ(j["http_status"], 200);
  EXPECT_EQ(j["attempt"], 1);
  EXPECT_EQ(j["duration_ms"], 42);
  EXPECT_EQ(j["page"], 3);
  EXPECT_EQ(j["msg"], "stored 1000 rows");
  // RFC 3339 UTC with milliseconds.
  EXPECT_EQ(j["ts"].get<std::string>().size(), std::string("2026-11-23T10:15:00.123Z").size());
  EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');

  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["post_id"], 9);
  EXPECT_FALSE(std::getline(lines, line));
}

TEST_F(LogTest, LevelFiltersRecords) {
  capture(log::Format::kJson, log::Level::kWarn);
  log::info("sync_page").msg("hidden");
  log::debug("sync_page").msg("hidden");
  EXPECT_EQ(out_.str(), "");
  log::error("sync_failed").msg("shown");
  EXPECT_NE(out_.str().find("sync_failed"), std::string::npos);
}

TEST_F(LogTest, TextFormatIsReadable) {
  capture(log::Format::kText);
  log::info("post_succeeded").tenant("acme").post_id(5).msg("delivered");
  std::string s = out_.str();
  EXPECT_NE(s.find("post_succeeded"), std::string::npos);
  EXPECT_NE(s.find("tenant=acme"), std::string::npos);
  EXPECT_NE(s.find("post_id=5"), std::string::npos);
  EXPECT_NE(s.find("| delivered"), std::string::npos);
  EXPECT_EQ(s.find('{'), std::string::npos);
}

TEST_F(LogTest, InvalidUtf8FromUpstreamDoesNotThrow) {
  capture(log::Format::kJson);
  log::error("http_error").msg(std::string("bad \xff\xfe bytes"));
  EXPECT_NO_THROW(nlohmann::json::parse(out_.str()));
}

TEST(SecretTest, MaskedNeverShowsTheValue) {
  Secret s("sup3r-s3cret-private-key");
  EXPECT_EQ(s.masked().find("sup3r"), std::string::npos);
  EXPECT_EQ(s.masked(), "****ey");
  EXPECT_EQ(Secret("short").masked(), "****");
  EXPECT_EQ(Secret().masked(), "(unset)");
  EXPECT_EQ(s.reveal(), "sup3r-s3cret-private-key");
}

// Compile-time guarantee: a Secret is not a loggable field value. If someone
// adds a conversion, this stops compiling.
static_assert(!std::is_constructible_v<nlohmann::json, Secret>,
              "Secret must not convert to a log field");
static_assert(!std::is_convertible_v<Secret, std::string>,
              "Secret must not convert to string");

}  // namespace
}  // namespace cwsync
