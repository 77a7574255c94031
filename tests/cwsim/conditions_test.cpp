#include "conditions.h"

#include <gtest/gtest.h>

#include <map>

namespace cwsim {
namespace {

struct Rec {
  std::map<std::string, Value> f;
  Condition::Resolver resolver() const {
    return [this](std::string_view name) {
      auto it = f.find(std::string(name));
      return it == f.end() ? Value::null() : it->second;
    };
  }
};

bool match(const std::string& text, const Rec& r, Dialect d = Dialect::kCpq) {
  return Condition::parse(text, d)->matches(r.resolver());
}

Rec sample() {
  Rec r;
  r.f["accountName"] = Value::string("Acme Inc.");
  r.f["isLost"] = Value::boolean(false);
  r.f["quoteTotal"] = Value::real(250.5);
  r.f["quoteNumber"] = Value::integer(10007);
  r.f["modifyDate"] = Value::timestamp(*parse_time("2026-11-02T10:00:00Z"));
  r.f["crmOpportunityId"] = Value::string("47");
  return r;
}

TEST(ConditionsTest, ComparisonsOnEachType) {
  Rec r = sample();
  EXPECT_TRUE(match(R"(accountName = "acme inc.")", r));  // case-insensitive like SQL Server
  EXPECT_FALSE(match(R"(accountName != "Acme Inc.")", r));
  EXPECT_TRUE(match("isLost = False", r));
  EXPECT_FALSE(match("isLost = true", r));
  EXPECT_TRUE(match("quoteTotal > 10 and quoteTotal <= 250.5", r));
  EXPECT_FALSE(match("quoteTotal < 250.5", r));
  EXPECT_TRUE(match("quoteNumber >= 10007", r));
  EXPECT_TRUE(match("modifyDate > [2026-11-01]", r));
  EXPECT_TRUE(match("modifyDate >= [2026-11-02]", r));
  EXPECT_FALSE(match("modifyDate >= [2026-11-03]", r));
  EXPECT_TRUE(match(R"(accountName contains "ACME")", r));
  EXPECT_TRUE(match(R"(accountName like "Ac*Inc*")", r));
  EXPECT_TRUE(match("crmOpportunityId = 47", r));  // string field, numeric literal
}

TEST(ConditionsTest, InAndBooleanLogic) {
  Rec r = sample();
  EXPECT_TRUE(match(R"(crmOpportunityId in ("1","47"))", r));
  EXPECT_FALSE(match(R"(crmOpportunityId not in ("1","47"))", r));
  EXPECT_TRUE(match(R"(isLost = True or (quoteTotal > 100 and accountName contains "acme"))", r));
  EXPECT_FALSE(match(R"(isLost = True or quoteTotal > 1000)", r));
  EXPECT_TRUE(match("not isLost = True", r));
  EXPECT_TRUE(match("lostReason = null and accountName != null", r));
  EXPECT_FALSE(match("lostReason > 1", r));  // null never compares
  EXPECT_TRUE(match("quoteTotal > 1 AND isLost = FALSE", r));
}

TEST(ConditionsTest, CpqRejectsDateWithTime) {
  EXPECT_THROW(Condition::parse("modifyDate > [2026-11-01T00:00:00Z]", Dialect::kCpq), ConditionError);
  EXPECT_THROW(Condition::parse("modifyDate > [2026-11-01 10:00]", Dialect::kCpq), ConditionError);
  EXPECT_NO_THROW(Condition::parse("modifyDate > [2026-11-01]", Dialect::kCpq));
  try {
    Condition::parse("modifyDate > [2026-11-01T00:00:00Z]", Dialect::kCpq);
  } catch (const ConditionError& e) {
    EXPECT_NE(std::string(e.what()).find("yyyy-MM-dd"), std::string::npos);
  }
}

TEST(ConditionsTest, PsaTakesDateTimesAndAliases) {
  Rec r;
  r.f["_info/lastUpdated"] = Value::string("2026-01-05T12:00:00Z");
  r.f["status/id"] = Value::integer(2);
  EXPECT_TRUE(match("lastUpdated > [2026-01-05T11:59:59Z] and status/id in (1,2)", r, Dialect::kPsa));
  EXPECT_FALSE(match("lastUpdated > [2026-01-05T12:00:00Z]", r, Dialect::kPsa));
  EXPECT_TRUE(match("_info/lastUpdated >= [2026-01-05]", r, Dialect::kPsa));
  auto c = Condition::parse("lastUpdated > [2026-01-01T00:00:00Z]", Dialect::kPsa);
  ASSERT_EQ(c->fields().size(), 1u);
  EXPECT_EQ(c->fields()[0], "_info/lastUpdated");
}

TEST(ConditionsTest, SyntaxErrors) {
  for (const char* bad : {"", "accountName", "accountName =", "accountName = \"open", "(a = 1", "a = 1 and",
                          "a == 1", "a in 1", "a in (1,", "a = [2026-13-45]", "a = 1 junk", "a contains 5",
                          "= 1", "a = [2026-01-01"}) {
    EXPECT_THROW(Condition::parse(bad, Dialect::kCpq), ConditionError) << bad;
  }
}

TEST(ConditionsTest, PinnedValuesForIndexLookups) {
  auto c = Condition::parse(R"(idQuote in ("a","b") and isOptional = False)", Dialect::kCpq);
  auto pins = c->pinned_values("idQuote");
  ASSERT_TRUE(pins.has_value());
  EXPECT_EQ(*pins, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(Condition::parse(R"(idQuote = "a" or x = 1)", Dialect::kCpq)->pinned_values("idQuote"));
}

TEST(ConditionsTest, LikeHandlesStarsAndBacktracking) {
  EXPECT_TRUE(like_nocase("abcabd", "*abd"));
  EXPECT_TRUE(like_nocase("ABC", "a*c"));
  EXPECT_FALSE(like_nocase("abc", "a*d"));
  EXPECT_TRUE(like_nocase("", "*"));
}

}  // namespace
}  // namespace cwsim
