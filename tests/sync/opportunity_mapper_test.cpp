// PSA opportunity mapping and the status table.
#include <gtest/gtest.h>

#include "sync/connectwise/opportunity_mapper.h"

namespace cwsync {
namespace {

nlohmann::json statuses() {
  return nlohmann::json::parse(R"([
    {"id":1,"name":"Open","wonFlag":false,"lostFlag":false,"closedFlag":false},
    {"id":2,"name":"Won","wonFlag":true,"lostFlag":false,"closedFlag":true},
    {"id":3,"name":"Lost","wonFlag":false,"lostFlag":true,"closedFlag":true},
    {"id":4,"name":"No decision","wonFlag":false,"lostFlag":false,"closedFlag":true}])");
}

TEST(OpportunityStatusTable, ClassifiesAndRoundTrips) {
  auto t = OpportunityStatusTable::from_api(statuses());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(classify(*t->find(1)), storage::OpportunityStatus::kOpen);
  EXPECT_EQ(classify(*t->find(2)), storage::OpportunityStatus::kWon);
  EXPECT_EQ(classify(*t->find(3)), storage::OpportunityStatus::kLost);
  EXPECT_EQ(classify(*t->find(4)), storage::OpportunityStatus::kLost);
  EXPECT_EQ(t->find(9), nullptr);
  auto when = *parse_iso8601("2026-11-01T00:00:00Z");
  auto back = OpportunityStatusTable::from_json(t->to_json(when));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), 4u);
  EXPECT_EQ(back->fetched_at(), when);
  EXPECT_TRUE(back->find(2)->won);
  EXPECT_FALSE(OpportunityStatusTable::from_api(nlohmann::json::object()).ok());
  EXPECT_FALSE(OpportunityStatusTable::from_json("{").ok());
}

TEST(MapPsaOpportunity, MapsFieldsAndStatus) {
  auto t = *OpportunityStatusTable::from_api(statuses());
  std::string raw = R"({"id":42,"name":"Núcleo refresh","company":{"id":200,"name":"Acme Ltd"},
    "status":{"id":2,"name":"Won"},"stage":{"id":3,"name":"Proposal"},
    "probability":{"id":7,"name":"70"},"expectedCloseDate":"2026-12-01T00:00:00Z",
    "closedDate":null,"_info":{"lastUpdated":"2026-10-05T10:00:00Z","dateEntered":"2026-08-01T09:00:00Z"},
    "customFields":[{"id":1,"value":"x"}]})";
  auto obj = nlohmann::json::parse(raw);
  auto m = map_psa_opportunity(obj, raw, t);
  ASSERT_TRUE(m.ok());
  const auto& o = m->row;
  EXPECT_FALSE(m->unknown_status);
  EXPECT_EQ(o.id, "42");
  EXPECT_EQ(o.source, OpportunitySource::kPsa);
  EXPECT_EQ(o.name, "Núcleo refresh");
  EXPECT_EQ(o.client_name, "Acme Ltd");
  EXPECT_EQ(o.status, storage::OpportunityStatus::kWon);
  EXPECT_EQ(o.status_name, "Won");
  EXPECT_EQ(o.stage_name, "Proposal");
  EXPECT_DOUBLE_EQ(*o.probability, 70);
  // Won without closedDate: closed when last updated.
  EXPECT_EQ(format_iso8601(*o.closed_date), "2026-10-05T10:00:00Z");
  EXPECT_EQ(format_iso8601(*o.date_entered), "2026-08-01T09:00:00Z");
  EXPECT_EQ(o.raw_json, raw);
}

TEST(MapPsaOpportunity, UnknownStatusIsOpenAndFlagged) {
  auto t = *OpportunityStatusTable::from_api(statuses());
  auto m = map_psa_opportunity({{"id", 5}, {"status", {{"id", 99}, {"name", "New"}}}}, "{}", t);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->unknown_status);
  EXPECT_EQ(m->row.status, storage::OpportunityStatus::kOpen);
  EXPECT_FALSE(m->row.name.has_value());
  EXPECT_FALSE(map_psa_opportunity({{"id", "5"}}, "{}", t).ok());
}

}  // namespace
}  // namespace cwsync
