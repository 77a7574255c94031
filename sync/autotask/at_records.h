// A few fields of Autotask records by id, read in batches with one `in`
// query per page of rows that refer to them: the company, contact and owner
// names of tickets (at_tickets.cpp) and the company names of opportunities
// (at_opportunities.cpp). Autotask's rows carry only ids.
#pragma once

#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/http/api_pager.h"
#include "sync/http/json_page.h"
#include "sync/sync_pass.h"

namespace cwsync {

// Remembered for the whole pull, so each record is asked for once.
class RecordLookup {
 public:
  // `entity`: the Autotask entity ("Companies"); `fields`: IncludeFields
  // besides id; `purpose`: what the reads are counted as in the pull's stats
  // ("ticket Companies").
  RecordLookup(std::string entity, std::vector<std::string> fields, std::string purpose)
      : entity_(std::move(entity)), fields_(std::move(fields)), purpose_(std::move(purpose)) {}

  // Reads the records of `ids` not asked for yet, in one `in` query (every
  // page). Errors: the query's, kMalformed for a page that is not a list.
  Status fetch(AutotaskEndpoint& at, PullStats& stats, const std::set<std::string>& ids) {
    nlohmann::json wanted = nlohmann::json::array();
    for (const std::string& id : ids) {
      if (records_.count(id) != 0) continue;
      records_[id] = nlohmann::json();  // asked for: an unknown id is not asked again
      try {
        wanted.push_back(std::stoll(id));
      } catch (const std::exception&) {
        continue;  // not an Autotask id; it keeps no record
      }
    }
    if (wanted.empty()) return {};
    std::vector<std::string> include = fields_;
    include.insert(include.begin(), "id");
    auto paged = at.query(
        entity_, nlohmann::json::array({at_filter("in", "id", wanted)}), include,
        [&](const Page& page) -> Result<PageVerdict> {
          stats.pages += 1;
          auto items = parse_page_items(page);
          if (!items.ok()) {
            return make_error(ErrorKind::kMalformed, items.error().message,
                              entity_ + " names page " + std::to_string(page.number));
          }
          for (const nlohmann::json& item : *items) {
            if (auto id = json_read::id_text(item, "id")) records_[*id] = item;
          }
          return PageVerdict{items->size(), false};
        },
        counted_call(stats, purpose_));
    if (!paged.ok()) return paged.error();
    return {};
  }

  // `make(record)` for the record of `id`; nullopt when there is none.
  template <typename F>
  std::optional<std::string> value(const std::optional<std::string>& id, F&& make) const {
    if (!id) return std::nullopt;
    auto it = records_.find(*id);
    if (it == records_.end() || !it->second.is_object()) return std::nullopt;
    return make(it->second);
  }

 private:
  std::string entity_;
  std::vector<std::string> fields_;
  std::string purpose_;
  std::map<std::string, nlohmann::json> records_;  // null: asked for, not found
};

// The name of a Companies record read with IncludeFields companyName.
inline std::optional<std::string> company_name(const nlohmann::json& item) {
  return json_read::text(item, "companyName");
}

}  // namespace cwsync
