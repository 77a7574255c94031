#include "sync/connectwise/opportunity_mapper.h"

#include <cstdlib>

#include "sync/http/json_page.h"

namespace cwsync {
namespace {

using nlohmann::json;

bool flag(const json& obj, std::string_view key) {
  return json_read::boolean(obj, key).value_or(false);
}

}  // namespace

Result<OpportunityStatusTable> OpportunityStatusTable::from_api(const json& list) {
  if (!list.is_array()) {
    return make_error(ErrorKind::kMalformed, "expected a list of opportunity statuses",
                      "sales/opportunities/statuses");
  }
  OpportunityStatusTable t;
  for (const json& s : list) {
    const json* id = json_read::child(s, "id");
    if (id == nullptr || !id->is_number_integer()) {
      return make_error(ErrorKind::kMalformed, "an opportunity status without an integer id",
                        "sales/opportunities/statuses");
    }
    PsaStatusInfo info;
    info.name = json_read::text(s, "name").value_or("");
    info.won = flag(s, "wonFlag");
    info.lost = flag(s, "lostFlag");
    info.closed = flag(s, "closedFlag");
    t.by_id_[id->get<std::int64_t>()] = std::move(info);
  }
  return t;
}

Result<OpportunityStatusTable> OpportunityStatusTable::from_json(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("statuses")) {
    return make_error(ErrorKind::kMalformed, "unreadable cached opportunity statuses", "sync_meta");
  }
  auto t = from_api(doc["statuses"]);
  if (!t.ok()) return t;
  t->fetched_at_ = json_read::time(doc, "fetched_at");
  return t;
}

std::string OpportunityStatusTable::to_json(TimePoint fetched_at) const {
  json list = json::array();
  for (const auto& [id, s] : by_id_) {
    list.push_back({{"id", id}, {"name", s.name}, {"wonFlag", s.won}, {"lostFlag", s.lost},
                    {"closedFlag", s.closed}});
  }
  return json{{"fetched_at", format_iso8601(fetched_at)}, {"statuses", list}}.dump();
}

const PsaStatusInfo* OpportunityStatusTable::find(std::int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

storage::OpportunityStatus classify(const PsaStatusInfo& s) {
  if (s.won) return storage::OpportunityStatus::kWon;
  if (s.lost || s.closed) return storage::OpportunityStatus::kLost;
  return storage::OpportunityStatus::kOpen;
}

Result<MappedOpportunity> map_psa_opportunity(const json& obj, std::string_view raw,
                                              const OpportunityStatusTable& statuses) {
  using namespace json_read;
  auto id = required_integer_id(obj, "opportunity");
  if (!id.ok()) return id.error();
  MappedOpportunity m;
  storage::OpportunityRow& o = m.row;
  o.source = OpportunitySource::kPsa;
  o.id = std::to_string(*id);
  o.name = text(obj, "name");
  if (const json* c = child(obj, "company")) o.client_name = text(*c, "name");
  if (const json* st = child(obj, "stage")) o.stage_name = text(*st, "name");
  if (const json* p = child(obj, "probability")) {
    // Manage's probability is a reference whose name is the percentage.
    o.probability = p->is_number() ? std::optional(p->get<double>()) : number(*p, "name");
  }
  o.expected_close_date = time(obj, "expectedCloseDate");
  o.closed_date = time(obj, "closedDate");
  if (const json* info = child(obj, "_info")) {
    o.last_updated = time(*info, "lastUpdated");
    o.date_entered = time(*info, "dateEntered");
  }
  o.status = storage::OpportunityStatus::kOpen;
  if (const json* st = child(obj, "status")) {
    o.status_name = text(*st, "name");
    const json* sid = child(*st, "id");
    const PsaStatusInfo* info =
        (sid != nullptr && sid->is_number_integer()) ? statuses.find(sid->get<std::int64_t>()) : nullptr;
    if (info != nullptr) {
      o.status = classify(*info);
      if (!o.status_name) o.status_name = info->name;
    } else {
      m.unknown_status = true;
    }
  }
  if (o.status != storage::OpportunityStatus::kOpen && !o.closed_date) o.closed_date = o.last_updated;
  o.raw_json.assign(raw);
  return m;
}

}  // namespace cwsync
