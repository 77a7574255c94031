// libFuzzer: a PSA /sales/opportunities page body → split_page →
// map_psa_opportunity, plus OpportunityStatusTable from the same bytes (as an
// API status list and as the cached sync_meta JSON).
// Invariants: see page_check.h; a mapped row keeps the element's bytes and
// whole-second times; a status table survives to_json → from_json.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "page_check.h"
#include "sync/connectwise/opportunity_mapper.h"

namespace {

using cwsync::OpportunityStatusTable;

// The five statuses cwsim serves (tools/cwsim/datagen.cpp).
const OpportunityStatusTable& sim_statuses() {
  static const OpportunityStatusTable table = [] {
    auto list = nlohmann::json::parse(R"([
      {"id":1,"name":"Open","wonFlag":false,"lostFlag":false,"closedFlag":false},
      {"id":2,"name":"Won","wonFlag":true,"lostFlag":false,"closedFlag":true},
      {"id":3,"name":"Lost","wonFlag":false,"lostFlag":true,"closedFlag":true},
      {"id":4,"name":"No Decision","wonFlag":false,"lostFlag":false,"closedFlag":true},
      {"id":5,"name":"Pending Approval","wonFlag":false,"lostFlag":false,"closedFlag":false}])");
    auto t = OpportunityStatusTable::from_api(list);
    if (!t.ok() || t->size() != 5) std::abort();
    return std::move(*t);
  }();
  return table;
}

void map_all(const cwsync::SplitPage& page, const OpportunityStatusTable& statuses) {
  for (const cwsync::PageElement& e : page.elements) {
    auto mapped = cwsync::map_psa_opportunity(e.value, e.raw, statuses);
    if (!mapped.ok()) {
      if (mapped.error().message.empty()) std::abort();
      continue;
    }
    const auto& row = mapped->row;
    if (row.raw_json != e.raw || row.id.empty()) std::abort();
    for (const auto& t : {row.expected_close_date, row.closed_date, row.date_entered,
                          row.last_updated}) {
      cwsync_fuzz::check_whole_seconds(t);
    }
  }
}

void check_table(const OpportunityStatusTable& table) {
  const cwsync::TimePoint fetched(std::chrono::seconds(1795428000));
  auto again = OpportunityStatusTable::from_json(table.to_json(fetched));
  if (!again.ok() || again->size() != table.size() || again->fetched_at() != fetched) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);

  if (auto cached = OpportunityStatusTable::from_json(body); cached.ok()) check_table(*cached);
  std::optional<OpportunityStatusTable> fuzzed;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) {
    if (auto t = OpportunityStatusTable::from_api(json); t.ok()) {
      check_table(*t);
      fuzzed = std::move(*t);
    }
  }

  auto page = cwsync_fuzz::checked_split(body);
  if (!page) return 0;
  map_all(*page, sim_statuses());
  if (fuzzed) map_all(*page, *fuzzed);
  return 0;
}
