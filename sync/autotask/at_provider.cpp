#include "sync/autotask/at_provider.h"

#include <Poco/String.h>

#include "sync/autotask/at_opportunities.h"
#include "sync/autotask/at_tickets.h"
#include "sync/sync_pass.h"
#include "sync/http/json_page.h"
#include "sync/note_marker.h"
#include "sync/time_rounding.h"

namespace cwsync {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTitle = 250;

std::optional<std::int64_t> digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(std::string(s));
}

// A note's title: its first line, at most 250 characters.
std::string title_of(const std::string& text) {
  std::string first = Poco::trim(text.substr(0, text.find('\n')));
  if (first.size() > kMaxTitle) first = first.substr(0, kMaxTitle - 3) + "...";
  return first.empty() ? std::string("Note") : first;
}

const AutotaskNoteType& note_type_for(const AutotaskSettings& s, NoteType t) {
  switch (t) {
    case NoteType::kResolution: return s.resolution;
    case NoteType::kDescription: return s.description;
    case NoteType::kInternal: break;
  }
  return s.internal;
}

std::string item_id(const json& body, const char* key) {
  auto id = json_read::id_text(body, key);
  return id.value_or("");
}

std::string values_text(const std::vector<PsaStatus>& values) {
  std::string out;
  for (const PsaStatus& v : values) out += (out.empty() ? "" : ", ") + v.id + " " + v.name;
  return out;
}

bool has_value(const std::vector<PsaStatus>& values, int v) {
  for (const PsaStatus& s : values) {
    if (s.id == std::to_string(v)) return true;
  }
  return false;
}

}  // namespace

AutotaskProvider::AutotaskProvider(AutotaskEndpoint& at, const PsaConnection& conn,
                                   const Clock& clock, std::string marker_format)
    : at_(at),
      settings_(*conn.autotask),
      marker_format_(std::move(marker_format)),
      statuses_([this](std::int64_t) { return picklist("Tickets", "status"); }, clock,
                std::chrono::hours(1)),
      resources_([this] { return fetch_resources(); }, clock, std::chrono::hours(24)) {}

std::string AutotaskProvider::marker(const storage::PostRow& post) const {
  return format_marker(marker_format_, post.idempotency_key);
}

std::optional<TimePoint> AutotaskProvider::unavailable_until(TimePoint now) {
  return at_.zone_host()->breaker().open_until(now);
}

bool AutotaskProvider::recovering(TimePoint now) {
  return at_.zone_host()->breaker().state(now) != CircuitBreaker::State::kClosed;
}

Result<std::vector<PsaStatus>> AutotaskProvider::picklist(const std::string& entity,
                                                          const std::string& field) {
  auto body = at_.get_json(entity + "/entityInformation/fields",
                           CallOptions::labeled(entity + " fields"));
  if (!body.ok()) return body.error();
  const json* fields = body->is_object() && body->contains("fields") ? &(*body)["fields"] : nullptr;
  if (fields == nullptr || !fields->is_array()) {
    return make_error(ErrorKind::kMalformed, "no fields list", entity + "/entityInformation/fields");
  }
  for (const json& f : *fields) {
    if (!f.is_object() || Poco::icompare(f.value("name", std::string()), field) != 0) continue;
    std::vector<PsaStatus> out;
    for (const json& v : f.value("picklistValues", json::array())) {
      if (!v.is_object() || !v.value("isActive", true)) continue;
      auto value = json_read::id_text(v, "value");
      if (value) out.push_back({*value, v.value("label", std::string())});
    }
    return out;
  }
  return make_error(ErrorKind::kMalformed, "no picklist " + field,
                    entity + "/entityInformation/fields");
}

Result<std::vector<PsaMember>> AutotaskProvider::fetch_resources() {
  std::vector<PsaMember> out;
  auto paged = at_.query(
      "Resources", json::array({at_filter("gte", "id", 0)}),
      {"id", "email", "email2", "email3", "userName", "isActive"},
      [&](const Page& page) -> Result<PageVerdict> {
        auto items = parse_page_items(page);
        if (!items.ok()) return items.error();
        for (const json& r : *items) {
          auto id = json_read::id_text(r, "id");
          if (!id) continue;
          PsaMember m;
          m.id = *id;
          m.name = json_read::text(r, "userName").value_or("");
          m.active = json_read::boolean(r, "isActive").value_or(true);
          for (const char* key : {"email", "email2", "email3", "userName"}) {
            if (auto e = json_read::text(r, key); e && !e->empty()) {
              m.emails.push_back(Poco::toLower(*e));
            }
          }
          out.push_back(std::move(m));
        }
        return PageVerdict{items->size(), false};
      },
      CallOptions::labeled("resources"));
  if (!paged.ok()) return paged.error();
  return out;
}

Status AutotaskProvider::validate_note_types() {
  {
    std::lock_guard lk(mu_);
    if (note_types_ok_) return {};
  }
  auto types = picklist("TicketNotes", "noteType");
  if (!types.ok()) return types.error();
  auto publish = picklist("TicketNotes", "publish");
  if (!publish.ok()) return publish.error();
  const std::pair<const char*, const AutotaskNoteType*> configured[] = {
      {"internal", &settings_.internal},
      {"resolution", &settings_.resolution},
      {"description", &settings_.description}};
  for (const auto& [name, t] : configured) {
    if (!has_value(*types, t->note_type)) {
      return make_error(ErrorKind::kConfig,
                        "psa.note_types." + std::string(name) + ".note_type " +
                            std::to_string(t->note_type) +
                            " is not an active TicketNotes noteType; valid: " + values_text(*types),
                        "note types");
    }
    if (!has_value(*publish, t->publish)) {
      return make_error(ErrorKind::kConfig,
                        "psa.note_types." + std::string(name) + ".publish " +
                            std::to_string(t->publish) +
                            " is not an active TicketNotes publish value; valid: " +
                            values_text(*publish),
                        "note types");
    }
  }
  std::lock_guard lk(mu_);
  note_types_ok_ = true;
  return {};
}

Result<std::int64_t> AutotaskProvider::resource_of(const std::optional<std::string>& member) {
  if (member) {
    if (auto id = digits(*member)) return *id;
  }
  // Without a member, the API user's own resource.
  auto id = resources_.resolve(member.value_or(settings_.username));
  if (!id.ok()) return id.error();
  return std::stoll(*id);
}

Result<std::int64_t> AutotaskProvider::role_of(std::int64_t resource_id) {
  if (settings_.time_entry_role) return *settings_.time_entry_role;
  {
    std::lock_guard lk(mu_);
    if (auto it = default_roles_.find(resource_id); it != default_roles_.end()) return it->second;
  }
  auto body = at_.get_json("Resources/" + std::to_string(resource_id) + "/Roles",
                           CallOptions::labeled("resource roles"));
  if (!body.ok()) return body.error();
  for (const json& r : body->value("items", json::array())) {
    if (!json_read::boolean(r, "isDefault").value_or(false) ||
        !json_read::boolean(r, "isActive").value_or(true)) {
      continue;
    }
    if (auto role = json_read::integer(r, "roleID")) {
      std::lock_guard lk(mu_);
      default_roles_[resource_id] = *role;
      return *role;
    }
  }
  return make_error(ErrorKind::kInvalidInput,
                    "resource " + std::to_string(resource_id) +
                        " has no active default role; set psa.time_entry_role to a role id",
                    "time entry role");
}

Result<std::optional<Delivery>> AutotaskProvider::find_marked(const std::string& entity,
                                                              std::int64_t ticket_id,
                                                              const char* field,
                                                              const std::string& marker,
                                                              const std::string& what) {
  std::optional<json> found;
  auto paged = at_.query(
      entity,
      json::array({at_filter("eq", "ticketID", ticket_id), at_filter("contains", field, marker)}),
      {"id", "ticketID", field},
      [&](const Page& page) -> Result<PageVerdict> {
        auto items = parse_page_items(page);
        if (!items.ok()) return items.error();
        for (const json& item : *items) {
          auto text = json_read::text(item, field);
          if (text && text->find(marker) != std::string::npos) {
            found = item;
            return PageVerdict{items->size(), true};
          }
        }
        return PageVerdict{items->size(), false};
      },
      CallOptions::labeled(entity + " dedup"));
  if (!paged.ok()) return paged.error();
  if (!found) return std::optional<Delivery>();
  const std::string id = item_id(*found, "id");
  return std::optional<Delivery>(applied_upstream(
      id, what + " " + id + " on ticket " + std::to_string(ticket_id) + " carries " + marker));
}

Result<Delivery> AutotaskProvider::send(HttpRequest request, const std::string& label) {
  auto r = at_.execute(std::move(request), queue_attempt(label));
  if (!r.ok()) return r.error();
  const json body = json::parse(r->body, nullptr, false);
  const std::string id = item_id(body, "itemId");
  if (id.empty()) return no_created_object(*r, label);
  Delivery d;
  d.http_status = r->status;
  d.remote_id = id;
  return d;
}

Result<Delivery> AutotaskProvider::deliver(const storage::PostRow& post,
                                           const PostPayload& payload, bool check_first) {
  if (const auto* n = std::get_if<NotePayload>(&payload)) return deliver_note(post, *n, check_first);
  if (const auto* t = std::get_if<TimePayload>(&payload)) return deliver_time(post, *t, check_first);
  return deliver_status(post, std::get<StatusPayload>(payload), check_first);
}

Result<Delivery> AutotaskProvider::deliver_note(const storage::PostRow& post,
                                                const NotePayload& p, bool check) {
  const std::string mark = marker(post);
  if (check) {
    auto found = find_marked("TicketNotes", post.ticket_id, "description", mark, "note");
    if (!found.ok()) return found.error();
    if (*found) return **found;
  }
  if (auto ok = validate_note_types(); !ok.ok()) return ok.error();
  const AutotaskNoteType& type = note_type_for(settings_, p.type);
  json body = {{"ticketID", post.ticket_id},
               {"title", title_of(p.text)},
               {"description", append_marker(p.text, mark)},
               {"noteType", type.note_type},
               // 1 is "All Autotask Users": what customer-visible asks for.
               {"publish", p.customer_visible ? 1 : type.publish}};
  return send(json_request("POST", "Tickets/" + std::to_string(post.ticket_id) + "/Notes",
                           body.dump()),
              "add note");
}

Result<Delivery> AutotaskProvider::deliver_time(const storage::PostRow& post,
                                                const TimePayload& p, bool check) {
  const std::string mark = marker(post);
  if (check) {
    auto found = find_marked("TimeEntries", post.ticket_id, "summaryNotes", mark, "time entry");
    if (!found.ok()) return found.error();
    if (*found) return **found;
  }
  const RoundedTime t = round_time(p.start, p.end, p.rounding);
  const double hours =
      t.actual_hours.value_or(std::chrono::duration<double>(t.end - t.start).count() / 3600.0);
  if (!(hours > 0.0) || hours > 24.0) {
    return make_error(ErrorKind::kInvalidInput,
                      "time entry of " + std::to_string(hours) +
                          " hours; Autotask takes more than 0 and at most 24",
                      "time entry");
  }
  auto resource = resource_of(p.member);
  if (!resource.ok()) return resource.error();
  auto role = role_of(*resource);
  if (!role.ok()) return role.error();
  const bool non_billable = p.billable && (*p.billable == "DoNotBill" || *p.billable == "NoCharge");
  json body = {{"resourceID", *resource},
               {"ticketID", post.ticket_id},
               {"roleID", *role},
               {"dateWorked", format_iso8601(t.start).substr(0, 10) + "T00:00:00Z"},
               {"startDateTime", format_iso8601(t.start)},
               {"endDateTime", format_iso8601(t.end)},
               {"hoursWorked", hours},
               {"summaryNotes", append_marker(p.notes.value_or(""), mark)},
               {"isNonBillable", non_billable}};
  return send(json_request("POST", "TimeEntries", body.dump()), "add time entry");
}

Result<Delivery> AutotaskProvider::deliver_status(const storage::PostRow& post,
                                                  const StatusPayload& p, bool check) {
  std::string target;
  if (p.status_id) {
    target = std::to_string(*p.status_id);
  } else {
    auto id = statuses_.resolve(0, *p.status_name, "in the Autotask Tickets status picklist");
    if (!id.ok()) return id.error();
    target = *id;
  }
  const std::string ticket = std::to_string(post.ticket_id);
  if (check) {
    auto current = at_.get_json("Tickets/" + ticket, CallOptions::labeled("ticket status"));
    if (!current.ok()) return current.error();
    const json item = current->value("item", json());
    if (json_read::id_text(item, "status") == target) {
      return applied_upstream(target, "ticket " + ticket + " already has status " + target);
    }
  }
  json body = {{"id", post.ticket_id}, {"status", std::stoll(target)}};
  auto d = send(json_request("PATCH", "Tickets", body.dump()), "set status");
  if (d.ok()) d->remote_id = target;
  return d;
}

Status AutotaskProvider::probe_ticket(const storage::PostRow& post) {
  auto r = at_.get_json("Tickets/" + std::to_string(post.ticket_id),
                        CallOptions::labeled("ticket probe"));
  if (!r.ok()) return r.error();
  return {};
}

Result<PsaCheck> AutotaskProvider::check() {
  auto zone = at_.zone_url();
  if (!zone.ok()) return zone.error();
  auto usage = at_.get_json("ThresholdInformation", single_attempt("check"));
  if (!usage.ok()) return usage.error();
  std::string detail = "zone " + *zone;
  auto used = json_read::integer(*usage, "currentTimeframeRequestCount");
  auto limit = json_read::integer(*usage, "externalRequestThreshold");
  if (used && limit) {
    detail += "; " + std::to_string(*used) + " of " + std::to_string(*limit) +
              " requests used this hour (the database's, all integrations)";
  }
  if (auto types = validate_note_types(); !types.ok()) return types.error();
  return PsaCheck{check_endpoint(), detail};
}

Status AutotaskProvider::pull_opportunities(const PullContext& ctx, PullStats& stats) {
  return pull_autotask_opportunities(ctx, stats, at_, settings_);
}

Status AutotaskProvider::list_opportunity_ids(const PullContext& ctx, PullStats& stats,
                                              const IdPageSink& sink) {
  return list_autotask_opportunity_ids(ctx, stats, at_, sink);
}

Status AutotaskProvider::pull_tickets(const PullContext& ctx, PullStats& stats) {
  return pull_autotask_tickets(ctx, stats, at_);
}

Status AutotaskProvider::reconcile_tickets(const PullContext& ctx, PullStats& stats,
                                           ReconcileResult& out) {
  return reconcile_autotask_tickets(ctx, stats, at_, out);
}

}  // namespace cwsync
