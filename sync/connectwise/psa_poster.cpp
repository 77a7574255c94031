#include "sync/connectwise/psa_poster.h"

#include "sync/http/api_pager.h"
#include "sync/http/http_url.h"
#include "sync/note_marker.h"

namespace cwsync {
namespace {

using nlohmann::json;

std::string id_of(const json& body) {
  if (body.is_object() && body.contains("id")) {
    const json& id = body["id"];
    if (id.is_number_integer()) return std::to_string(id.get<long long>());
    if (id.is_string()) return id.get<std::string>();
  }
  return {};
}

bool contains_marker(const json& obj, const char* field, const std::string& marker) {
  return obj.is_object() && obj.contains(field) && obj[field].is_string() &&
         obj[field].get<std::string>().find(marker) != std::string::npos;
}

constexpr int kCheckPageSize = 1000;  // PSA's maximum

// The first object of the list at `url` (relative, with its conditions)
// whose `field` carries `marker`, walking every page (forward-only, ids
// upwards) until found; nullopt when no page has it.
Result<std::optional<json>> find_marked(PsaEndpoint& psa, const std::string& url,
                                        const char* field, const std::string& marker,
                                        const std::string& label) {
  std::optional<json> found;
  HttpRequest first = get_request(url + "&pageSize=" + std::to_string(kCheckPageSize));
  first.headers.set("pagination-type", "forward-only");
  auto paged = psa.for_each_page(
      std::move(first),
      [&](const Page& page) -> Result<PageVerdict> {
        auto items = parse_page_items(page);
        if (!items.ok()) return items.error();
        for (const auto& item : *items) {
          if (contains_marker(item, field, marker)) {
            found = item;
            return PageVerdict{items->size(), true};
          }
        }
        return PageVerdict{items->size(), false};
      },
      CallOptions::labeled(label));
  if (!paged.ok()) return paged.error();
  return found;
}

Delivery found_upstream(const json& obj, std::string evidence) {
  const std::string id = id_of(obj);
  return applied_upstream(id.empty() ? std::nullopt : std::optional<std::string>(id),
                          std::move(evidence));
}

}  // namespace

json note_body(const NotePayload& p, const std::string& marker, const json& member) {
  json b = {{"text", append_marker(p.text, marker)},
            {"detailDescriptionFlag", p.type == NoteType::kDescription},
            {"internalAnalysisFlag", p.type == NoteType::kInternal},
            {"resolutionFlag", p.type == NoteType::kResolution},
            {"customerUpdatedFlag", false},
            // PSA's workflow e-mails the contact for notes that notify;
            // that is what "customer visible" asks for.
            {"processNotifications", p.customer_visible}};
  if (!member.is_null()) b["member"] = member;
  return b;
}

json time_entry_body(std::int64_t ticket_id, const TimePayload& p, const std::string& marker,
                     const json& member) {
  RoundedTime t = round_time(p.start, p.end, p.rounding);
  json b = {{"chargeToId", ticket_id},
            {"chargeToType", "ServiceTicket"},
            {"timeStart", format_iso8601(t.start)},
            {"timeEnd", format_iso8601(t.end)},
            {"notes", append_marker(p.notes.value_or(""), marker)},
            {"addToInternalAnalysisFlag", false}};
  if (t.actual_hours) b["actualHours"] = *t.actual_hours;
  if (p.billable) b["billableOption"] = *p.billable;
  if (!member.is_null()) b["member"] = member;
  return b;
}

json status_patch_body(std::int64_t status_id) {
  return json::array({{{"op", "replace"}, {"path", "status"}, {"value", {{"id", status_id}}}}});
}

PsaPoster::PsaPoster(PsaEndpoint& psa, MemberDirectory& members, StatusDirectory& statuses,
                     std::string marker_format)
    : psa_(psa), members_(members), statuses_(statuses), marker_format_(std::move(marker_format)) {}

std::string PsaPoster::marker(const storage::PostRow& post) const {
  return format_marker(marker_format_, post.idempotency_key);
}

Result<Delivery> PsaPoster::deliver(const storage::PostRow& post, const PostPayload& payload,
                                    bool check_first) {
  if (const auto* n = std::get_if<NotePayload>(&payload)) return deliver_note(post, *n, check_first);
  if (const auto* t = std::get_if<TimePayload>(&payload)) return deliver_time(post, *t, check_first);
  return deliver_status(post, std::get<StatusPayload>(payload), check_first);
}

Result<json> PsaPoster::member_ref(const std::optional<std::string>& member) {
  if (!member) return json();
  return members_.resolve(*member);
}

Result<Delivery> PsaPoster::send(HttpRequest request, const std::string& label) {
  auto r = psa_.execute(std::move(request), queue_attempt(label));
  if (!r.ok()) return r.error();
  // A 2xx proves delivery only when it carries the created (or updated)
  // object. A proxy's HTML page or a cut or wrong-shaped body says nothing
  // about whether PSA applied the request: report it as an ambiguous failure,
  // so the queue retries and checks upstream first instead of recording a
  // success that never happened.
  const json body = json::parse(r->body, nullptr, false);
  const std::string id = id_of(body);
  if (id.empty()) return no_created_object(*r, label);
  Delivery d;
  d.http_status = r->status;
  d.remote_id = id;
  return d;
}

Result<Delivery> PsaPoster::deliver_note(const storage::PostRow& post, const NotePayload& p,
                                         bool check) {
  const std::string mark = marker(post);
  const std::string base = "service/tickets/" + std::to_string(post.ticket_id) + "/notes";
  if (check) {
    // Every note since the post could first have been sent: a busy ticket
    // may have gained hundreds of notes since, so the newest page is not
    // enough. Without a claim time (a hand-edited row), every note.
    std::string url = base + "?orderBy=" + encode_query_value("id asc");
    if (post.first_claimed_at) {
      url += "&conditions=" +
             encode_query_value("dateCreated >= [" +
                                format_iso8601(*post.first_claimed_at - kSkewMargin) + "]");
    }
    auto found = find_marked(psa_, url, "text", mark, "note dedup");
    if (!found.ok()) return found.error();
    if (*found) {
      const std::string id = id_of(**found);
      return found_upstream(**found, "note " + (id.empty() ? "?" : id) + " on ticket " +
                                         std::to_string(post.ticket_id) + " carries " + mark);
    }
  }
  auto member = member_ref(p.member);
  if (!member.ok()) return member.error();
  return send(json_request("POST", base, note_body(p, mark, *member).dump()), "add note");
}

Result<Delivery> PsaPoster::deliver_time(const storage::PostRow& post, const TimePayload& p,
                                         bool check) {
  const std::string mark = marker(post);
  auto member = member_ref(p.member);
  if (!member.ok()) return member.error();
  if (check) {
    std::string cond = "chargeToId=" + std::to_string(post.ticket_id) + " and chargeToType=\"ServiceTicket\"" +
                       " and timeStart=[" + format_iso8601(p.start) + "]";
    if (member->is_object() && member->contains("id")) {
      cond += " and member/id=" + std::to_string((*member)["id"].get<long long>());
    } else if (member->is_object() && member->contains("identifier")) {
      cond += " and member/identifier=\"" + (*member)["identifier"].get<std::string>() + "\"";
    }
    auto found = find_marked(psa_, "time/entries?conditions=" + encode_query_value(cond), "notes",
                             mark, "time entry dedup");
    if (!found.ok()) return found.error();
    if (*found) {
      const std::string id = id_of(**found);
      return found_upstream(**found, "time entry " + (id.empty() ? "?" : id) + " for ticket " +
                                         std::to_string(post.ticket_id) + " at " +
                                         format_iso8601(p.start) + " carries " + mark);
    }
  }
  return send(json_request("POST", "time/entries",
                           time_entry_body(post.ticket_id, p, mark, *member).dump()),
              "add time entry");
}

Status PsaPoster::probe_ticket(const storage::PostRow& post) {
  auto r = psa_.execute(
      get_request("service/tickets/" + std::to_string(post.ticket_id) + "?fields=id"),
      CallOptions::labeled("ticket probe"));
  if (!r.ok()) return r.error();
  return {};
}

std::optional<TimePoint> PsaPoster::unavailable_until(TimePoint now) {
  return psa_.api().host().breaker().open_until(now);
}

bool PsaPoster::recovering(TimePoint now) {
  return psa_.api().host().breaker().state(now) != CircuitBreaker::State::kClosed;
}

Result<Delivery> PsaPoster::deliver_status(const storage::PostRow& post, const StatusPayload& p,
                                           bool check) {
  std::optional<std::int64_t> target = p.status_id;
  std::optional<TicketStatus> current;
  if (!target || check) {
    auto t = statuses_.ticket(post.ticket_id);
    if (!t.ok()) return t.error();
    current = *t;
  }
  if (!target) {
    auto id = statuses_.resolve(current->board_id, *p.status_name);
    if (!id.ok()) return id.error();
    target = *id;
  }
  if (check && current->status_id == *target) {
    return applied_upstream(std::to_string(*target),
                            "ticket " + std::to_string(post.ticket_id) + " already has status " +
                                std::to_string(*target) +
                                (current->status_name.empty() ? ""
                                                              : " (" + current->status_name + ")"));
  }
  std::string url = "service/tickets/" + std::to_string(post.ticket_id);
  auto d = send(json_request("PATCH", url, status_patch_body(*target).dump()), "set status");
  if (d.ok()) d->remote_id = std::to_string(*target);
  return d;
}

}  // namespace cwsync
