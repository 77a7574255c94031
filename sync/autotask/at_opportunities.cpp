#include "sync/autotask/at_opportunities.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sync/autotask/at_records.h"
#include "sync/http/json_page.h"
#include "sync/pull_engine.h"

namespace cwsync {
namespace {

using nlohmann::json;
using storage::Entity;
using storage::OpportunityRow;

bool listed(const std::vector<int>& values, std::int64_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

class AutotaskOpportunityAdapter final : public OpportunityRowsAdapter {
 public:
  AutotaskOpportunityAdapter(const AutotaskSettings& settings, AtPicklistLabels labels,
                             AutotaskEndpoint& at, PullStats& stats)
      : settings_(settings), labels_(std::move(labels)), at_(at), stats_(stats) {}

  Result<RowStamp> add(const PageElement& e) override {
    auto row = map_autotask_opportunity(e.value, e.raw, settings_, labels_);
    if (!row.ok()) return row.error();
    if (auto company = json_read::id_text(e.value, "companyID")) company_of_[row->id] = *company;
    return hold(std::move(*row));
  }

  // An opportunity carries only its companyID: one Companies/query per page
  // (for the companies not named earlier in the pull) names them before the
  // page is written. A company Autotask does not return leaves client_name
  // NULL rather than a made-up name.
  Status prepare() override {
    std::set<std::string> companies;
    for (const OpportunityRow& o : held_rows()) {
      if (auto c = company(o.id)) companies.insert(*c);
    }
    if (auto s = companies_.fetch(at_, stats_, companies); !s.ok()) return s;
    for (OpportunityRow& o : held_rows()) {
      o.client_name = companies_.value(company(o.id), company_name);
    }
    return {};
  }

  void clear() override {
    OpportunityRowsAdapter::clear();
    company_of_.clear();
  }

 private:
  std::optional<std::string> company(const std::string& opportunity) const {
    auto it = company_of_.find(opportunity);
    return it == company_of_.end() ? std::nullopt : std::optional(it->second);
  }

  const AutotaskSettings& settings_;
  AtPicklistLabels labels_;
  AutotaskEndpoint& at_;
  PullStats& stats_;
  std::map<std::string, std::string> company_of_;  // this page: opportunity id -> companyID
  RecordLookup companies_{"Companies", {"companyName"}, "opportunity Companies"};
};

}  // namespace

Result<OpportunityRow> map_autotask_opportunity(const json& obj, std::string_view raw,
                                                const AutotaskSettings& settings,
                                                const AtPicklistLabels& labels) {
  using namespace json_read;
  auto id = required_integer_id(obj, "opportunity");
  if (!id.ok()) return id.error();
  OpportunityRow o;
  o.source = OpportunitySource::kPsa;
  o.id = std::to_string(*id);
  o.name = text(obj, "title");
  // client_name stays empty here: the pull names the company (companyID)
  // with a Companies/query per page.
  o.value = number(obj, "amount");
  o.probability = number(obj, "probability");
  o.expected_close_date = time(obj, "projectedCloseDate");
  o.closed_date = time(obj, "closedDate");
  o.date_entered = time(obj, "createDate");
  o.last_updated = time(obj, "lastActivity");
  const auto status = integer(obj, "status");
  o.status_name = picklist_label(labels, "status", status);
  o.stage_name = picklist_label(labels, "stage", integer(obj, "stage"));
  o.status = !status                                   ? storage::OpportunityStatus::kOpen
             : listed(settings.won_statuses, *status)  ? storage::OpportunityStatus::kWon
             : listed(settings.lost_statuses, *status) ? storage::OpportunityStatus::kLost
                                                       : storage::OpportunityStatus::kOpen;
  if (o.status != storage::OpportunityStatus::kOpen && !o.closed_date) o.closed_date = o.last_updated;
  o.raw_json.assign(raw);
  return o;
}

namespace {

// The shortest time between two reads of the database's request count: the
// figure is for people, and an idle pull should cost one request.
constexpr std::chrono::minutes kUsageReadInterval{15};

// The database's request count this hour, read after a pull at most every
// kUsageReadInterval (the read counts too) and kept for `cwsync status` and
// /metrics. A failure to read it fails nothing: it is a figure, not the
// pull's work.
void record_usage(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at) {
  {
    AutotaskSharedState& st = at.state();
    const TimePoint now = at.api().clock().now();
    std::lock_guard lk(st.mu);
    if (st.usage_read_at && now - *st.usage_read_at < kUsageReadInterval) return;
    st.usage_read_at = now;
  }
  CallOptions o = counted_call(stats, "threshold information");
  o.max_attempts = 1;
  auto body = at.get_json("ThresholdInformation", o);
  if (!body.ok()) return;
  auto used = json_read::integer(*body, "currentTimeframeRequestCount");
  auto limit = json_read::integer(*body, "externalRequestThreshold");
  if (!used || !limit) return;
  (void)ctx.cache.put_usage(ctx.tenant.name, {*used, *limit, ctx.clock.now()});
}

}  // namespace

Status pull_autotask_opportunities(const PullContext& ctx, PullStats& stats, AutotaskEndpoint& at,
                                   const AutotaskSettings& settings) {
  auto cursor = start_cursor(ctx, Entity::kOpportunities);
  if (!cursor.ok()) return cursor.error();
  auto labels = read_picklist_labels(at, "Opportunities", {"status", "stage"},
                                     counted_call(stats, "opportunity fields"));
  if (!labels.ok()) return labels.error();
  const json filter = json::array(
      {*cursor ? at_filter("gt", "lastActivity", format_iso8601((*cursor)->modified_at))
               : at_filter("gte", "id", 0)});
  AutotaskOpportunityAdapter adapter(settings, std::move(*labels), at, stats);
  Status pulled = run_incremental_pull(
      ctx, stats,
      {Entity::kOpportunities, "opportunities", "Opportunities/query", LastPage::kNoNextPageUrl},
      *cursor, adapter, [&](const PageHandler& handler) -> Status {
        auto paged = at.query("Opportunities", filter, {}, handler,
                              counted_call(stats, "opportunities"));
        if (!paged.ok()) return paged.error();
        return {};
      });
  if (pulled.ok()) record_usage(ctx, stats, at);
  return pulled;
}

Status list_autotask_opportunity_ids(const PullContext& ctx, PullStats& stats,
                                     AutotaskEndpoint& at, const IdPageSink& sink) {
  (void)ctx;
  auto paged = at.query("Opportunities", json::array({at_filter("gte", "id", 0)}), {"id"},
                        id_page_handler(stats, "Opportunities/query ids", sink),
      counted_call(stats, "opportunity ids"));
  if (!paged.ok()) return paged.error();
  return {};
}

}  // namespace cwsync
