// PSA (Manage) REST API under /{codebase}apis/3.0/, plus the unauthenticated
// codebase lookup /login/companyinfo/{company}.
#include "json_query.h"
#include "psa_list.h"
#include "state.h"

namespace cwsim {
namespace {

const std::vector<std::string> kOpportunityFields = {
    "id", "name", "expectedCloseDate", "type/id", "type/name", "stage/id", "stage/name", "status/id",
    "status/name", "priority/id", "priority/name", "notes", "probability/id", "probability/name",
    "primarySalesRep/id", "primarySalesRep/identifier", "primarySalesRep/name", "secondarySalesRep/id",
    "secondarySalesRep/identifier", "secondarySalesRep/name", "company/id", "company/identifier",
    "company/name", "contact/id", "contact/name", "closedDate", "closedFlag", "totalSalesTax", "locationId",
    "businessUnitId", "customFields", "_info/lastUpdated", "_info/updatedBy", "_info/dateEntered",
    "_info/enteredBy"};
const std::vector<std::string> kStatusFields = {"id", "name", "wonFlag", "lostFlag", "closedFlag", "inactiveFlag",
                                                "defaultFlag", "enteredBy", "dateEntered", "_info/lastUpdated",
                                                "_info/updatedBy"};
const std::vector<std::string> kTicketFields = {
    "id", "summary", "recordType", "board/id", "board/name", "status/id", "status/name", "status/Sort",
    "company/id", "company/identifier", "company/name", "priority/id", "priority/name", "severity", "impact",
    "closedFlag", "closedDate", "parentTicketId", "contact/id", "contact/name", "owner/id", "owner/identifier",
    "owner/name", "_info/lastUpdated", "_info/updatedBy", "_info/dateEntered", "_info/enteredBy"};
const std::vector<std::string> kNoteFields = {
    "id", "ticketId", "text", "detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "issueFlag",
    "member/id", "member/identifier", "member/name", "contact", "customerUpdatedFlag", "processNotifications",
    "dateCreated", "createdBy", "internalFlag", "externalFlag", "_info/lastUpdated", "_info/updatedBy"};
const std::vector<std::string> kTimeFields = {
    "id", "company/id", "company/identifier", "company/name", "chargeToId", "chargeToType", "member/id",
    "member/identifier", "member/name", "locationId", "businessUnitId", "workType/id", "workType/name",
    "workRole/id", "workRole/name", "timeStart", "timeEnd", "hoursDeduct", "actualHours", "billableOption",
    "notes", "internalNotes", "addToDetailDescriptionFlag", "addToInternalAnalysisFlag",
    "addToResolutionFlag", "emailResourceFlag", "emailContactFlag", "emailCcFlag", "hoursBilled",
    "enteredBy", "dateEntered", "ticket/id", "ticket/summary", "_info/lastUpdated", "_info/updatedBy"};
const std::vector<std::string> kMemberFields = {"id", "identifier", "firstName", "lastName", "officeEmail",
                                                "primaryEmail", "defaultEmail", "licenseClass", "inactiveFlag",
                                                "_info/lastUpdated", "_info/updatedBy"};
const std::vector<std::string> kBoardStatusFields = {
    "id", "name", "board/id", "board/name", "sortOrder", "displayOnBoard", "inactive", "closedStatus",
    "timeEntryNotAllowed", "defaultFlag", "escalationStatus", "customerPortalDescription", "_info/lastUpdated"};

Response not_found(const std::string& what) {
  return psa_error(404, "NotFound", what);
}

Response invalid_object(const std::string& resource, const std::string& code, const std::string& field,
                        const std::string& message) {
  return psa_error(400, "InvalidObject", resource + " object is invalid",
                   Json::array({{{"code", code}, {"message", message}, {"resource", resource}, {"field", field}}}));
}

Json parse_body(const Request& req, const std::string& resource) {
  try {
    return Json::parse(req.body);
  } catch (const Json::exception&) {
    throw HttpError{psa_error(400, "InvalidObject", "The request body is not valid JSON for " + resource + ".")};
  }
}

const Json* find_member(const Store& s, const Json& ref) {
  if (!ref.is_object()) return nullptr;
  for (const Json& m : s.members) {
    if (ref.contains("id") && ref["id"].is_number_integer() && m["id"] == ref["id"]) return &m;
    if (ref.contains("identifier") && ref["identifier"].is_string() &&
        compare_nocase(m["identifier"].get<std::string>(), ref["identifier"].get<std::string>()) == 0) {
      return &m;
    }
  }
  return nullptr;
}

Json member_ref(const Json& m) {
  return {{"id", m["id"]},
          {"identifier", m["identifier"]},
          {"name", m["firstName"].get<std::string>() + " " + m["lastName"].get<std::string>()}};
}

const Json& api_member(const Store& s) { return s.members.back(); }

bool flag(const Json& body, const char* name) {
  return body.contains(name) && body[name].is_boolean() && body[name].get<bool>();
}

template <typename Map>
std::vector<const Json*> values_of(const Map& m) {
  std::vector<const Json*> out;
  for (const auto& [k, v] : m) out.push_back(&v);
  return out;
}

std::vector<const Json*> pointers(const std::vector<Json>& v) {
  std::vector<const Json*> out;
  for (const Json& j : v) out.push_back(&j);
  return out;
}

Response post_note(State& st, const Request& req, int64_t ticket_id) {
  Json body = parse_body(req, "serviceNote");
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  auto t = s.tickets.find(ticket_id);
  if (t == s.tickets.end()) return not_found("Ticket " + std::to_string(ticket_id) + " not found.");
  if (!body.is_object()) return psa_error(400, "InvalidObject", "serviceNote object is invalid");
  if (!body.contains("text") || !body["text"].is_string() || body["text"].get<std::string>().empty()) {
    return invalid_object("serviceNote", "NullValue", "text", "The text field is required.");
  }
  if (!flag(body, "detailDescriptionFlag") && !flag(body, "internalAnalysisFlag") && !flag(body, "resolutionFlag")) {
    return invalid_object("serviceNote", "InvalidField", "detailDescriptionFlag",
                          "At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true.");
  }
  const Json* member = &api_member(s);
  if (body.contains("member") && !body["member"].is_null()) {
    member = find_member(s, body["member"]);
    if (!member) return invalid_object("serviceNote", "InvalidField", "member", "The member field is invalid.");
  }
  std::string now = format_time(now_ms());
  Json note = {{"id", s.next_note_id++},
               {"ticketId", ticket_id},
               {"text", body["text"]},
               {"detailDescriptionFlag", flag(body, "detailDescriptionFlag")},
               {"internalAnalysisFlag", flag(body, "internalAnalysisFlag")},
               {"resolutionFlag", flag(body, "resolutionFlag")},
               {"issueFlag", flag(body, "issueFlag")},
               {"member", member_ref(*member)},
               {"contact", nullptr},
               {"customerUpdatedFlag", flag(body, "customerUpdatedFlag")},
               {"processNotifications", flag(body, "processNotifications")},
               {"dateCreated", now},
               {"createdBy", api_member(s)["identifier"]},
               {"internalFlag", flag(body, "internalAnalysisFlag")},
               {"externalFlag", flag(body, "detailDescriptionFlag") || flag(body, "resolutionFlag")},
               {"_info", {{"lastUpdated", now}, {"updatedBy", api_member(s)["identifier"]}}}};
  s.notes[ticket_id].push_back(note);
  t->second["_info"]["lastUpdated"] = now;
  return json_response(201, note);
}

// As ConnectWise Manage: moving to a closed status stamps closedDate (a
// ticket already closed keeps its date); reopening clears both. Without the
// date a ticket closed by a PATCH would never match `closedDate > [..]` and
// would drop out of every client's closed window at once.
void stamp_closed(Json& ticket, bool closed, TimeMs now) {
  const bool was_closed = ticket.value("closedFlag", false);
  ticket["closedFlag"] = closed;
  if (!closed) {
    ticket["closedDate"] = nullptr;
  } else if (!was_closed || !ticket.contains("closedDate") || ticket["closedDate"].is_null()) {
    ticket["closedDate"] = format_time(now);
  }
}

Response patch_ticket(State& st, const Request& req, int64_t ticket_id) {
  Json ops = parse_body(req, "ticket");
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  auto t = s.tickets.find(ticket_id);
  if (t == s.tickets.end()) return not_found("Ticket " + std::to_string(ticket_id) + " not found.");
  if (!ops.is_array() || ops.empty()) {
    return psa_error(400, "InvalidObject", "A PATCH body is a JSON array of operations.");
  }
  Json updated = t->second;
  const TimeMs now = now_ms();
  for (const Json& op : ops) {
    if (!op.is_object() || !op.contains("op") || !op.contains("path") || !op["path"].is_string()) {
      return psa_error(400, "InvalidObject", "Each operation needs op, path and value.");
    }
    std::string path = op["path"].get<std::string>();
    if (!path.empty() && path[0] == '/') path.erase(0, 1);
    std::string kind = op["op"].is_string() ? op["op"].get<std::string>() : "";
    if (compare_nocase(kind, "replace") != 0 && compare_nocase(kind, "add") != 0) {
      return psa_error(400, "InvalidObject", "Operation '" + kind + "' is not supported on ticket.");
    }
    const Json value = op.value("value", Json());
    if (compare_nocase(path, "status") == 0 || compare_nocase(path, "status/id") == 0) {
      Json id = value.is_object() ? value.value("id", Json()) : value;
      const Json* status = nullptr;
      for (const Json& bs : s.board_statuses) {
        if (id.is_number_integer() && bs["id"] == id && bs["board"]["id"] == updated["board"]["id"]) status = &bs;
      }
      if (!status) return invalid_object("ticket", "InvalidField", "status", "The status field is invalid.");
      updated["status"] = {{"id", (*status)["id"]}, {"name", (*status)["name"]}, {"Sort", (*status)["sortOrder"]}};
      stamp_closed(updated, (*status)["closedStatus"].get<bool>(), now);
    } else if (compare_nocase(path, "summary") == 0 && value.is_string() && !value.get<std::string>().empty()) {
      updated["summary"] = value;
    } else {
      return invalid_object("ticket", "InvalidField", path, "The " + path + " field cannot be patched.");
    }
  }
  updated["_info"]["lastUpdated"] = format_time(now);
  updated["_info"]["updatedBy"] = api_member(s)["identifier"];
  t->second = updated;
  return json_response(200, updated);
}

Response post_time_entry(State& st, const Request& req) {
  Json body = parse_body(req, "timeEntry");
  Store& s = st.store;
  std::lock_guard lk(s.mu);
  if (!body.is_object()) return psa_error(400, "InvalidObject", "timeEntry object is invalid");
  std::string type = body.value("chargeToType", std::string("ServiceTicket"));
  if (type != "ServiceTicket") {
    return invalid_object("timeEntry", "InvalidField", "chargeToType", "Only ServiceTicket is simulated.");
  }
  if (!body.contains("chargeToId") || !body["chargeToId"].is_number_integer()) {
    return invalid_object("timeEntry", "NullValue", "chargeToId", "The chargeToId field is required.");
  }
  auto t = s.tickets.find(body["chargeToId"].get<int64_t>());
  if (t == s.tickets.end()) return invalid_object("timeEntry", "InvalidField", "chargeToId", "The chargeToId field is invalid.");
  const Json* member = &api_member(s);
  if (body.contains("member") && !body["member"].is_null()) {
    member = find_member(s, body["member"]);
    if (!member) return invalid_object("timeEntry", "InvalidField", "member", "The member field is invalid.");
  }
  std::optional<TimeMs> start, end;
  if (body.contains("timeStart") && body["timeStart"].is_string()) start = parse_time(body["timeStart"].get<std::string>());
  if (!start) return invalid_object("timeEntry", "NullValue", "timeStart", "The timeStart field is required.");
  if (body.contains("timeEnd") && body["timeEnd"].is_string()) {
    end = parse_time(body["timeEnd"].get<std::string>());
    if (!end) return invalid_object("timeEntry", "InvalidField", "timeEnd", "The timeEnd field is invalid.");
    if (*end < *start) return invalid_object("timeEntry", "InvalidField", "timeEnd", "timeEnd must be after timeStart.");
  }
  double hours = 0;
  if (body.contains("actualHours") && body["actualHours"].is_number()) {
    hours = body["actualHours"].get<double>();
    if (!end) end = *start + static_cast<TimeMs>(hours * 3'600'000);
  } else if (end) {
    hours = static_cast<double>(*end - *start) / 3'600'000.0;
  } else {
    return invalid_object("timeEntry", "NullValue", "timeEnd", "Either timeEnd or actualHours is required.");
  }
  std::string now = format_time(now_ms());
  Json entry = {{"id", s.next_time_entry_id++},
                {"company", t->second["company"]},
                {"chargeToId", t->first},
                {"chargeToType", type},
                {"member", member_ref(*member)},
                {"locationId", 2},
                {"businessUnitId", 10},
                {"workType", {{"id", 1}, {"name", "Remote Support"}}},
                {"workRole", {{"id", 1}, {"name", "Engineer"}}},
                {"timeStart", format_time(*start)},
                {"timeEnd", format_time(*end)},
                {"hoursDeduct", 0.0},
                {"actualHours", hours},
                {"billableOption", body.value("billableOption", std::string("Billable"))},
                {"notes", body.value("notes", std::string())},
                {"internalNotes", body.value("internalNotes", std::string())},
                {"addToDetailDescriptionFlag", flag(body, "addToDetailDescriptionFlag")},
                {"addToInternalAnalysisFlag", flag(body, "addToInternalAnalysisFlag")},
                {"addToResolutionFlag", flag(body, "addToResolutionFlag")},
                {"emailResourceFlag", flag(body, "emailResourceFlag")},
                {"emailContactFlag", flag(body, "emailContactFlag")},
                {"emailCcFlag", flag(body, "emailCcFlag")},
                {"hoursBilled", hours},
                {"enteredBy", api_member(s)["identifier"]},
                {"dateEntered", now},
                {"ticket", {{"id", t->first}, {"summary", t->second["summary"]}}},
                {"_info", {{"lastUpdated", now}, {"updatedBy", api_member(s)["identifier"]}}}};
  s.time_entries.push_back(entry);
  return json_response(201, entry);
}

Response route(State& st, const Request& req, const std::vector<std::string>& seg) {
  Store& s = st.store;
  const std::string& m = req.method;
  auto is = [&](size_t k, const char* name) { return seg.size() > k && compare_nocase(seg[k], name) == 0; };
  auto method_not_allowed = [&]() {
    return psa_error(405, "MethodNotAllowed", "The requested resource does not support http method '" + m + "'.");
  };

  if (is(0, "sales") && is(1, "opportunities")) {
    if (seg.size() == 2) {
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      return psa_list(req, values_of(s.opportunities), kOpportunityFields);
    }
    if (seg.size() == 3 && is(2, "statuses")) {
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      return psa_list(req, pointers(s.opportunity_statuses), kStatusFields);
    }
    if (seg.size() == 3 && parse_id(seg[2])) {
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      auto it = s.opportunities.find(*parse_id(seg[2]));
      if (it == s.opportunities.end()) return not_found("Opportunity " + seg[2] + " not found.");
      return psa_object(req, it->second);
    }
  }
  if (is(0, "service") && is(1, "tickets")) {
    if (seg.size() == 2) {
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      return psa_list(req, values_of(s.tickets), kTicketFields);
    }
    if (seg.size() == 3 && is(2, "count")) {
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      return psa_count(req, values_of(s.tickets), kTicketFields);
    }
    auto id = seg.size() >= 3 ? parse_id(seg[2]) : std::nullopt;
    if (id && seg.size() == 3) {
      if (m == "PATCH") return patch_ticket(st, req, *id);
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      auto it = s.tickets.find(*id);
      if (it == s.tickets.end()) return not_found("Ticket " + seg[2] + " not found.");
      return psa_object(req, it->second);
    }
    if (id && seg.size() == 4 && is(3, "notes")) {
      if (m == "POST") return post_note(st, req, *id);
      if (m != "GET") return method_not_allowed();
      std::lock_guard lk(s.mu);
      if (!s.tickets.count(*id)) return not_found("Ticket " + seg[2] + " not found.");
      return psa_list(req, pointers(s.notes[*id]), kNoteFields);
    }
  }
  if (is(0, "service") && is(1, "boards") && seg.size() == 4 && is(3, "statuses")) {
    if (m != "GET") return method_not_allowed();
    auto id = parse_id(seg[2]);
    std::lock_guard lk(s.mu);
    bool board = false;
    for (const Json& b : s.boards) board = board || (id && b["id"] == *id);
    if (!board) return not_found("Board " + seg[2] + " not found.");
    std::vector<const Json*> rows;
    for (const Json& bs : s.board_statuses) {
      if (bs["board"]["id"] == *id) rows.push_back(&bs);
    }
    return psa_list(req, rows, kBoardStatusFields);
  }
  if (is(0, "time") && is(1, "entries") && seg.size() == 2) {
    if (m == "POST") return post_time_entry(st, req);
    if (m != "GET") return method_not_allowed();
    std::lock_guard lk(s.mu);
    return psa_list(req, pointers(s.time_entries), kTimeFields);
  }
  if (is(0, "system") && is(1, "members") && seg.size() == 2) {
    if (m != "GET") return method_not_allowed();
    std::lock_guard lk(s.mu);
    return psa_list(req, pointers(s.members), kMemberFields);
  }
  return not_found("The requested resource " + req.path + " was not found.");
}

}  // namespace

Response handle_psa(State& st, const Request& req) {
  static const std::string kLogin = "/login/companyinfo/";
  if (req.path.rfind(kLogin, 0) == 0) {
    std::string company = req.path.substr(kLogin.size());
    if (!is_tenant(st, st.opts.company, company, true)) return raw_json_response(200, "null");
    std::lock_guard lk(st.store.mu);
    std::string version = st.codebase.substr(0, st.codebase.size() - 1);
    for (char& c : version) if (c == '_') c = '.';
    nlohmann::ordered_json info = {{"CompanyName", "cwsim Simulated MSP"},
                                   {"Codebase", st.codebase},
                                   {"VersionCode", version},
                                   {"VersionNumber", "v4.6.99999"},
                                   {"CompanyID", company},
                                   {"IsCloud", true},
                                   {"SiteUrl", req.host}};
    return raw_json_response(200, info.dump());
  }
  std::string codebase;
  {
    std::lock_guard lk(st.store.mu);
    codebase = st.codebase;
  }
  std::string prefix = "/" + codebase + "apis/3.0/";
  if (req.path.rfind(prefix, 0) != 0) {
    return psa_error(404, "NotFound", "The requested resource " + req.path + " was not found.");
  }
  auto creds = basic_auth(req);
  const size_t plus = creds ? creds->first.rfind('+') : std::string::npos;
  if (!creds || plus == std::string::npos ||
      !is_tenant(st, st.opts.company, creds->first.substr(0, plus), true) ||
      compare_nocase(creds->first.substr(plus + 1), st.opts.public_key) != 0 ||
      creds->second != st.opts.private_key) {
    return psa_error(401, "Unauthorized", "Authentication failed. Check the company id, public key and private key.");
  }
  std::string client = req.header("clientId");
  if (client.empty() || compare_nocase(client, st.opts.client_id) != 0) {
    return psa_error(401, "InvalidClientId",
                     client.empty() ? "A clientId header is required on every request."
                                    : "The clientId '" + client + "' is not registered.");
  }
  return route(st, req, split_list(req.path.substr(prefix.size()), '/'));
}

}  // namespace cwsim
