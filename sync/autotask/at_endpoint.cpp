#include "sync/autotask/at_endpoint.h"

#include <algorithm>

#include "base/log.h"
#include "sync/http/http_classify.h"
#include "sync/http/http_url.h"
#include "sync/http/json_page.h"

namespace cwsync {
namespace {

std::string with_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/";
}

}  // namespace

nlohmann::json at_filter(std::string_view op, std::string_view field, nlohmann::json value) {
  return {{"op", std::string(op)}, {"field", std::string(field)}, {"value", std::move(value)}};
}

AutotaskEndpoint::AutotaskEndpoint(const PsaConnection& conn, ApiClient& api)
    : username_(conn.autotask->username), lookup_url_(conn.autotask->zone_lookup_url), api_(api) {
  if (conn.autotask->zone_url) zone_ = with_slash(*conn.autotask->zone_url);
}

std::optional<std::string> AutotaskEndpoint::zone() const {
  std::lock_guard lk(mu_);
  return zone_;
}

Result<std::string> AutotaskEndpoint::zone_url() {
  std::lock_guard lk(mu_);
  if (zone_) return *zone_;
  const std::string url = UrlBuilder(with_slash(lookup_url_) + "V1.0/ZoneInformation")
                              .add("user", username_)
                              .str();
  CallOptions o = CallOptions::labeled("zone lookup");
  o.authenticate = false;
  auto r = api_.execute(get_request(url), o);
  if (!r.ok()) return r.error();
  auto body = parse_json_body(*r, "GET", url);
  if (!body.ok()) return body.error();
  if (!body->is_object() || !body->contains("url") || !(*body)["url"].is_string() ||
      (*body)["url"].get<std::string>().empty()) {
    return malformed_error("GET", url, "the zone lookup answered without a url", r->status);
  }
  zone_ = with_slash((*body)["url"].get<std::string>());
  log::info("autotask_zone_found").field("zone", *zone_)
      .field("zone_name", body->value("zoneName", std::string()))
      .msg("Autotask zone looked up");
  return *zone_;
}

Result<HttpResponse> AutotaskEndpoint::execute(HttpRequest request, const CallOptions& options) {
  auto zone = zone_url();
  if (!zone.ok()) return zone.error();
  request.url = *zone + "V1.0/" + request.url;
  return api_.execute(std::move(request), options);
}

Result<nlohmann::json> AutotaskEndpoint::get_json(const std::string& path,
                                                  const CallOptions& options) {
  auto r = execute(get_request(path), options);
  if (!r.ok()) return r.error();
  return parse_json_body(*r, "GET", path);
}

Result<PagingStats> AutotaskEndpoint::query(const std::string& entity, const nlohmann::json& filter,
                                            const std::vector<std::string>& include,
                                            const PageHandler& handler,
                                            const CallOptions& options) {
  auto zone = zone_url();
  if (!zone.ok()) return zone.error();
  nlohmann::json body = {{"filter", filter}, {"MaxRecords", kAutotaskMaxRecords}};
  if (!include.empty()) body["IncludeFields"] = include;
  HttpRequest first = json_request("POST", *zone + "V1.0/" + entity + "/query", body.dump());
  CallOptions o = options;
  // A query changes nothing: resend it after any retryable failure.
  o.resend = Resend::kIfRetryable;
  LinkedPaging paging;
  paging.next = page_details_next_url;
  paging.same_request = true;
  return for_each_linked_page(api_, std::move(first), handler, o, paging);
}

Result<AtPicklistLabels> read_picklist_labels(AutotaskEndpoint& at, const std::string& entity,
                                              const std::vector<std::string>& fields,
                                              const CallOptions& options) {
  using nlohmann::json;
  auto body = at.get_json(entity + "/entityInformation/fields", options);
  if (!body.ok()) return body.error();
  AtPicklistLabels out;
  for (const json& f : body->value("fields", json::array())) {
    const std::string name = f.is_object() ? f.value("name", std::string()) : std::string();
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) continue;
    auto& target = out[name];
    for (const json& v : f.value("picklistValues", json::array())) {
      auto value = json_read::id_text(v, "value");
      if (!value) continue;
      try {
        target[std::stoll(*value)] = v.value("label", std::string());
      } catch (const std::exception&) {
        continue;  // a non-numeric value names nothing we store
      }
    }
  }
  return out;
}

std::optional<std::string> picklist_label(const AtPicklistLabels& labels, const std::string& field,
                                          std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  auto f = labels.find(field);
  if (f == labels.end()) return std::nullopt;
  auto it = f->second.find(*v);
  return it == f->second.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace cwsync
