#include "sync/autotask/at_endpoint.h"

#include <algorithm>
#include <cctype>

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

bool mentions_zone(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text.find("zone") != std::string::npos;
}

}  // namespace

// Which answers count as "maybe the wrong zone". Autotask's documentation
// says to look the zone up and then call that zone; it does not name the
// answer a zone gives for a database it no longer holds. What a client can
// see is a 404 (the route or record is not there) or an error that names the
// zone. So:
//  - every 404, whatever its body: an {"item":null} or an {"errors":[…]} 404
//    cannot be told apart from a wrong-zone 404 by its body alone, and a real
//    404 (a deleted ticket) costs one unauthenticated lookup at most every
//    kAutotaskZoneRecheck, after which the original error stands unchanged;
//  - any other 4xx/5xx whose message names the zone ("Zone information could
//    not be determined" on a regular call), for the same price.
// Never an ambiguous error: such a request may have been applied, and
// sending it to the new zone could apply it twice. A 404 is not ambiguous
// (nothing was applied), nor is a 500 with Autotask's errors body (a refusal).
bool may_be_wrong_zone(const Error& e) {
  if (e.ambiguous || e.fast_fail || e.http_status < 400) return false;
  return e.http_status == 404 || mentions_zone(e.message);
}

nlohmann::json at_filter(std::string_view op, std::string_view field, nlohmann::json value) {
  return {{"op", std::string(op)}, {"field", std::string(field)}, {"value", std::move(value)}};
}

std::string autotask_state_key(const AutotaskSettings& conn) {
  std::string key = with_slash(conn.zone_lookup_url) + " " + conn.username;
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

AutotaskEndpoint::AutotaskEndpoint(const PsaConnection& conn, ApiClient& api,
                                   std::shared_ptr<AutotaskSharedState> state)
    : username_(conn.autotask->username),
      lookup_url_(conn.autotask->zone_lookup_url),
      api_(api),
      state_(state ? std::move(state) : std::make_shared<AutotaskSharedState>()) {
  if (conn.autotask->zone_url) pinned_ = with_slash(*conn.autotask->zone_url);
}

std::optional<std::string> AutotaskEndpoint::zone() const {
  if (pinned_) return pinned_;
  std::lock_guard lk(state_->mu);
  return state_->zone;
}

std::shared_ptr<UpstreamHost> AutotaskEndpoint::zone_host() const {
  return api_.host_for(zone().value_or(lookup_url_));
}

Result<std::string> AutotaskEndpoint::zone_url() {
  if (pinned_) return *pinned_;
  AutotaskSharedState& st = *state_;
  std::lock_guard lk(st.mu);
  const TimePoint now = api_.clock().now();
  if (st.zone && st.looked_up_at && now - *st.looked_up_at < kLocationRefresh) return *st.zone;
  st.looked_up_at = now;
  auto found = look_up_locked();
  // A failed refresh keeps the zone that worked; the next try is after
  // kLocationRefresh (or at a wrong-zone answer).
  if (!found.ok() && st.zone) return *st.zone;
  return found;
}

Result<std::string> AutotaskEndpoint::look_up_locked() {
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
  const std::string found = with_slash((*body)["url"].get<std::string>());
  const std::string zone_name = body->value("zoneName", std::string());
  std::optional<std::string>& zone = state_->zone;
  if (!zone) {
    log::info("autotask_zone_found").field("zone", found).field("zone_name", zone_name)
        .msg("Autotask zone looked up");
  } else if (*zone != found) {
    log::warn("autotask_zone_moved").tenant(api_.options().tenant).field("old_zone", *zone)
        .field("zone", found).field("zone_name", zone_name)
        .msg("the Autotask database moved to another zone; calls go to the new zone from now on");
  }
  zone = found;
  return found;
}

std::optional<std::string> AutotaskEndpoint::moved_from(const std::string& used) {
  if (pinned_) return std::nullopt;  // the operator's zone_url is never second-guessed
  AutotaskSharedState& st = *state_;
  std::lock_guard lk(st.mu);
  // Another call already followed the move: use its answer, no lookup.
  if (st.zone && *st.zone != used) return *st.zone;
  const TimePoint now = api_.clock().now();
  if (st.last_recheck && now - *st.last_recheck < kAutotaskZoneRecheck) return std::nullopt;
  st.last_recheck = now;
  st.looked_up_at = now;
  auto found = look_up_locked();
  if (!found.ok()) {
    // The call's own error stands; the next wrong-zone answer after the
    // interval tries again.
    log::warn("autotask_zone_recheck_failed").tenant(api_.options().tenant)
        .field("zone", used).field("error", found.error().describe())
        .msg("could not look the Autotask zone up again after a wrong-zone answer");
    return std::nullopt;
  }
  if (*found == used) return std::nullopt;
  return *found;
}

Result<HttpResponse> AutotaskEndpoint::execute(HttpRequest request, const CallOptions& options) {
  auto zone = zone_url();
  if (!zone.ok()) return zone.error();
  const std::string path = request.url;
  HttpRequest first = request;
  first.url = *zone + "V1.0/" + path;
  auto r = api_.execute(std::move(first), options);
  if (r.ok() || !may_be_wrong_zone(r.error())) return r;
  auto moved = moved_from(*zone);
  if (!moved) return r;
  // Sending again, also a note POST or a status PATCH that is never resent
  // otherwise (Resend::kIfNotApplied): the old zone's answer was a 404 or a
  // refusal, never ambiguous (may_be_wrong_zone), so the request was not
  // applied there; the database now lives in the new zone only, so this is
  // the first time it can be applied. Once only: whatever the new zone
  // answers is the answer.
  request.url = *moved + "V1.0/" + path;
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
  nlohmann::json body = {{"filter", filter}, {"MaxRecords", kAutotaskMaxRecords}};
  if (!include.empty()) body["IncludeFields"] = include;
  CallOptions o = options;
  // A query changes nothing: resend it after any retryable failure.
  o.resend = Resend::kIfRetryable;
  LinkedPaging paging;
  paging.next = page_details_next_url;
  paging.same_request = true;
  auto zone = zone_url();
  if (!zone.ok()) return zone.error();
  bool handled = false;  // a page reached the handler: the query cannot start over
  const PageHandler counted = [&](const Page& page) {
    handled = true;
    return handler(page);
  };
  auto run = [&](const std::string& z) {
    return for_each_linked_page(api_, json_request("POST", z + "V1.0/" + entity + "/query",
                                                   body.dump()),
                                counted, o, paging);
  };
  auto r = run(*zone);
  if (r.ok() || !may_be_wrong_zone(r.error())) return r;
  // A later page's link (nextPageUrl) names the old zone: that page fails
  // and the caller commits nothing of it; the re-lookup below makes its
  // next run start at the new zone. Only the first page may start over here,
  // as nothing has been handed to the handler yet.
  auto moved = moved_from(*zone);
  if (!moved || handled) return r;
  return run(*moved);
}

Result<AtPicklistLabels> read_picklist_labels(AutotaskEndpoint& at, const std::string& entity,
                                              const std::vector<std::string>& fields,
                                              const CallOptions& options) {
  using nlohmann::json;
  std::string key = entity;
  for (const std::string& f : fields) key += " " + f;
  AutotaskSharedState& st = at.state();
  const TimePoint now = at.api().clock().now();
  {
    std::lock_guard lk(st.mu);
    auto it = st.picklists.find(key);
    if (it != st.picklists.end() && now - it->second.read_at < kAutotaskPicklistRefresh) {
      return it->second.labels;
    }
  }
  // Not under st.mu: the read may look the zone up, which takes it.
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
  std::lock_guard lk(st.mu);
  st.picklists[key] = {now, out};
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
