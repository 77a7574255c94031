#include "sync/psa_poster.h"

#include "sync/http_url.h"
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

// Items of a PSA list response (bare array, tolerate {"data":[...]}).
Result<json> list_items(const HttpResponse& r, const std::string& url) {
  auto j = parse_json_body(r, "GET", url);
  if (!j.ok()) return j.error();
  if (j->is_array()) return *j;
  if (j->is_object() && j->contains("data") && (*j)["data"].is_array()) return (*j)["data"];
  return make_error(ErrorKind::kMalformed, "expected a JSON array", "GET " + url);
}

bool contains_marker(const json& obj, const char* field, const std::string& marker) {
  return obj.is_object() && obj.contains(field) && obj[field].is_string() &&
         obj[field].get<std::string>().find(marker) != std::string::npos;
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
  CallOptions o;
  // One attempt per queue attempt: the queue schedules retries and records
  // each one; an ambiguous failure must come back for the dedup check.
  o.resend = Resend::kIfNotApplied;
  o.max_attempts = 1;
  o.label = label;
  auto r = psa_.execute(std::move(request), o);
  if (!r.ok()) return r.error();
  // A 2xx proves delivery only when it carries the created (or updated)
  // object. A proxy's HTML page or a cut or wrong-shaped body says nothing
  // about whether PSA applied the request: report it as an ambiguous failure,
  // so the queue retries and checks upstream first instead of recording a
  // success that never happened.
  const json body = json::parse(r->body, nullptr, false);
  const std::string id = id_of(body);
  if (id.empty()) {
    const std::string type = r->headers.get("Content-Type").value_or("no Content-Type");
    Error e = make_error(ErrorKind::kMalformed,
                         "the response has no object with an id (" + type + ")", label);
    e.http_status = r->status;
    e.ambiguous = true;
    return e;
  }
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
    std::string url = base + "?orderBy=" + encode_query_value("id desc") + "&pageSize=50";
    auto r = psa_.execute(get_request(url), CallOptions::labeled("note dedup"));
    if (!r.ok()) return r.error();
    auto items = list_items(*r, url);
    if (!items.ok()) return items.error();
    for (const auto& n : *items) {
      if (contains_marker(n, "text", mark)) {
        Delivery d;
        d.deduplicated = true;
        d.http_status = r->status;
        if (auto id = id_of(n); !id.empty()) d.remote_id = id;
        d.evidence = "note " + d.remote_id.value_or("?") + " on ticket " +
                     std::to_string(post.ticket_id) + " carries " + mark;
        return d;
      }
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
    std::string url = "time/entries?conditions=" + encode_query_value(cond) + "&pageSize=50";
    auto r = psa_.execute(get_request(url), CallOptions::labeled("time entry dedup"));
    if (!r.ok()) return r.error();
    auto items = list_items(*r, url);
    if (!items.ok()) return items.error();
    for (const auto& e : *items) {
      if (contains_marker(e, "notes", mark)) {
        Delivery d;
        d.deduplicated = true;
        d.http_status = r->status;
        if (auto id = id_of(e); !id.empty()) d.remote_id = id;
        d.evidence = "time entry " + d.remote_id.value_or("?") + " for ticket " +
                     std::to_string(post.ticket_id) + " at " + format_iso8601(p.start) +
                     " carries " + mark;
        return d;
      }
    }
  }
  return send(json_request("POST", "time/entries",
                           time_entry_body(post.ticket_id, p, mark, *member).dump()),
              "add time entry");
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
    Delivery d;
    d.deduplicated = true;
    d.http_status = 200;
    d.remote_id = std::to_string(*target);
    d.evidence = "ticket " + std::to_string(post.ticket_id) + " already has status " +
                 std::to_string(*target) +
                 (current->status_name.empty() ? "" : " (" + current->status_name + ")");
    return d;
  }
  std::string url = "service/tickets/" + std::to_string(post.ticket_id);
  auto d = send(json_request("PATCH", url, status_patch_body(*target).dump()), "set status");
  if (d.ok()) d->remote_id = std::to_string(*target);
  return d;
}

}  // namespace cwsync
