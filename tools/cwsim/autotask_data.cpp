// The Autotask entities cwsim serves: the entity table (fields, picklists),
// the seeded tickets, notes and resource roles, and the views that present
// the shared ConnectWise records (opportunities, accounts, members) in
// Autotask's shape, so one mutation changes both personalities.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "autotask.h"

namespace cwsim {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kHour = 60 * kMinute;
enum Stream : uint64_t { kAtTickets = 21, kAtContacts = 22, kAtAmounts = 23 };

const std::vector<AtPick> kTicketStatus = {{1, "New", true, true},
                                           {5, "Complete", true, false},
                                           {7, "Waiting Customer", true, false},
                                           {8, "In Progress", true, false},
                                           {9, "Waiting Materials", true, false},
                                           {10, "Dispatched", true, false},
                                           {12, "Waiting Vendor", true, false},
                                           {14, "On Hold (retired)", false, false}};
const std::vector<AtPick> kTicketPriority = {{4, "Critical", true, false},
                                             {1, "High", true, false},
                                             {2, "Medium", true, true},
                                             {3, "Low", true, false}};
const std::vector<AtPick> kQueues = {{5, "Client Portal", true, false},
                                     {8, "Level I Support", true, true},
                                     {9, "Level II Support", true, false}};
const std::vector<AtPick> kTicketType = {{1, "Service Request", true, true},
                                         {2, "Incident", true, false}};
const std::vector<AtPick> kNoteType = {{1, "Task Summary", true, true},
                                       {2, "Task Detail", true, false},
                                       {3, "Task Notes", true, false},
                                       {13, "Internal Notes (retired)", false, false}};
const std::vector<AtPick> kPublish = {{1, "All Autotask Users", true, true},
                                      {2, "Internal Project Team", true, false}};
const std::vector<AtPick> kOppStatus = {{0, "Inactive", true, false},
                                        {1, "Active", true, true},
                                        {2, "Lost", true, false},
                                        {3, "Closed", true, false},
                                        {4, "Implemented", true, false}};
const std::vector<AtPick> kOppStage = {{1, "Prospect", true, true},
                                       {2, "Qualified", true, false},
                                       {3, "Proposal", true, false},
                                       {4, "Negotiation", true, false},
                                       {5, "Closed", true, false}};
const std::vector<AtPick> kCompanyType = {{1, "Customer", true, true}, {5, "Owner", true, false}};
const std::vector<AtPick> kTimeEntryType = {{2, "Ticket", true, true}};

struct RoleDef {
  int64_t id;
  const char* name;
};
const std::array<RoleDef, 5> kRoles = {{{11, "Technician I"},
                                        {12, "Technician II"},
                                        {13, "Engineer"},
                                        {14, "Project Manager"},
                                        {15, "Sales"}}};

const std::array<const char*, 8> kFirst = {"Pat",    "Sam", "Lee",  "Ana",
                                           "Jürgen", "Mei", "Noah", "Chloé"};
const std::array<const char*, 8> kLast = {"Customer", "Rivera", "Okafor", "Kowalski",
                                          "Schäfer",  "Tanaka", "O'Neil", "Dubois"};

// "2026-03-01T09:21:13Z" (a ConnectWise stamp) as an Autotask date, or null.
Json at_date(const Json& cw) {
  if (!cw.is_string()) return nullptr;
  auto t = parse_time(cw.get<std::string>());
  return t ? Json(at_time(*t)) : Json(nullptr);
}

std::vector<Json> ticket_rows(const Store& s) {
  std::vector<Json> out;
  for (const auto& [id, t] : s.at.tickets) out.push_back(t);
  return out;
}

std::vector<Json> note_rows(const Store& s) {
  std::vector<Json> out;
  for (const auto& [id, list] : s.at.notes) out.insert(out.end(), list.begin(), list.end());
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
  return out;
}

std::vector<Json> time_rows(const Store& s) { return s.at.time_entries; }

std::vector<Json> resource_rows(const Store& s) {
  std::vector<Json> out;
  for (const Json& m : s.members) out.push_back(at_resource(s, m["id"].get<int64_t>()));
  return out;
}

std::vector<Json> resource_role_rows(const Store& s) { return s.at.resource_roles; }

std::vector<Json> role_rows(const Store&) {
  std::vector<Json> out;
  for (const RoleDef& r : kRoles) {
    out.push_back({{"id", r.id},
                   {"name", r.name},
                   {"description", std::string(r.name) + " (hourly)"},
                   {"isActive", true},
                   {"hourlyRate", 95.0 + 10.0 * static_cast<double>(r.id - 11)}});
  }
  return out;
}

Json company_row(int64_t id, const std::string& name, int type) {
  return {{"id", id},
          {"companyName", name},
          {"companyNumber", "C" + std::to_string(id)},
          {"companyType", type},
          {"isActive", true},
          {"phone", "+1 555 0100"},
          {"userDefinedFields", Json::array()}};
}

std::vector<Json> company_rows(const Store& s) {
  std::vector<Json> out = {company_row(0, "cwsim Simulated MSP", 5)};
  for (size_t k = 0; k < s.accounts.size(); ++k) {
    out.push_back(company_row(200 + static_cast<int64_t>(k), s.accounts[k].name, 1));
  }
  return out;
}

// Two contacts per account, ids 500 + 2·account + {0,1}: the ids ConnectWise
// opportunities point at.
std::vector<Json> contact_rows(const Store& s) {
  std::vector<Json> out;
  for (size_t k = 0; k < s.accounts.size(); ++k) {
    for (int64_t j = 0; j < 2; ++j) {
      const int64_t id = 500 + 2 * static_cast<int64_t>(k) + j;
      Rng r(mix_seed(s.spec.seed, kAtContacts, static_cast<uint64_t>(id)));
      std::string first = kFirst[r.below(kFirst.size())], last = kLast[r.below(kLast.size())];
      out.push_back({{"id", id},
                     {"firstName", first},
                     {"lastName", last},
                     {"emailAddress", first + "." + std::to_string(id) + "@customer.example.com"},
                     {"companyID", 200 + static_cast<int64_t>(k)},
                     {"isActive", j == 0 || r.chance(0.8)},
                     {"userDefinedFields", Json::array()}});
    }
  }
  return out;
}

// o[a] or o[a][b], null when missing (mutations may leave any shape).
Json member(const Json& o, const char* a, const char* b = nullptr) {
  if (!o.is_object() || !o.contains(a)) return nullptr;
  const Json& v = o[a];
  if (!b) return v;
  return v.is_object() && v.contains(b) ? v[b] : Json(nullptr);
}

int opp_status(const Json& cw) {
  const Json id = member(cw, "status", "id");
  switch (id.is_number_integer() ? id.get<int>() : 1) {
    case 2:
      return 3;  // Won -> Closed
    case 3:
      return 2;  // Lost
    case 4:
      return 0;  // No Decision -> Inactive
    default:
      return 1;  // Open, Pending Approval -> Active
  }
}

std::vector<Json> opportunity_rows(const Store& s) {
  std::vector<Json> out;
  for (const auto& [id, o] : s.opportunities) {
    Rng r(mix_seed(s.spec.seed, kAtAmounts, static_cast<uint64_t>(id)));
    const double amount = std::round((1000.0 + r.unit() * 99000.0) * 100.0) / 100.0;
    const Json prob = member(o, "probability", "name");
    out.push_back({{"id", id},
                   {"title", member(o, "name")},
                   {"amount", amount},
                   {"cost", std::round(amount * 60.0) / 100.0},
                   {"status", opp_status(o)},
                   {"stage", member(o, "stage", "id")},
                   {"probability",
                    prob.is_string() ? Json(std::atoi(prob.get<std::string>().c_str())) : Json(0)},
                   {"projectedCloseDate", at_date(member(o, "expectedCloseDate"))},
                   {"createDate", at_date(member(o, "_info", "dateEntered"))},
                   {"lastActivity", at_date(member(o, "_info", "lastUpdated"))},
                   {"companyID", member(o, "company", "id")},
                   {"contactID", member(o, "contact", "id")},
                   {"ownerResourceID", member(o, "primarySalesRep", "id")},
                   {"closedDate", at_date(member(o, "closedDate"))},
                   {"userDefinedFields", Json::array()}});
  }
  return out;
}

const std::vector<AtEntity>& entities() {
  using F = AtField;
  static const std::vector<AtEntity> kEntities = {
      {"Tickets",
       {F{"id", "long", false, true}, F{"ticketNumber", "string", false, true},
        F{"title", "string", true}, F{"description", "string"},
        F{"status", "integer", true, false, "", &kTicketStatus},
        F{"priority", "integer", true, false, "", &kTicketPriority},
        F{"queueID", "integer", false, false, "", &kQueues},
        F{"ticketType", "integer", false, false, "", &kTicketType},
        F{"companyID", "integer", true, false, "Companies"},
        F{"contactID", "integer", false, false, "Contacts"},
        F{"assignedResourceID", "integer", false, false, "Resources"},
        F{"assignedResourceRoleID", "integer", false, false, "Roles"},
        F{"createDate", "datetime", false, true}, F{"lastActivityDate", "datetime", false, true},
        F{"lastTrackedModificationDateTime", "datetime", false, true},
        F{"completedDate", "datetime", false, true}},
       false,
       true,
       true,
       ticket_rows},
      {"TicketNotes",
       {F{"id", "long", false, true}, F{"ticketID", "integer", true, false, "Tickets"},
        F{"title", "string", true}, F{"description", "string", true},
        F{"noteType", "integer", true, false, "", &kNoteType},
        F{"publish", "integer", true, false, "", &kPublish},
        F{"createDateTime", "datetime", false, true},
        F{"lastActivityDate", "datetime", false, true},
        F{"creatorResourceID", "integer", false, true, "Resources"},
        F{"impersonatorCreatorResourceID", "integer", false, true, "Resources"}},
       true,
       false,
       false,
       note_rows},
      {"TimeEntries",
       {F{"id", "long", false, true}, F{"resourceID", "integer", true, false, "Resources"},
        F{"ticketID", "integer", false, false, "Tickets"},
        F{"roleID", "integer", true, false, "Roles"}, F{"dateWorked", "datetime", true},
        F{"startDateTime", "datetime"}, F{"endDateTime", "datetime"},
        F{"hoursWorked", "decimal", true}, F{"hoursToBill", "decimal", false, true},
        F{"summaryNotes", "string", true}, F{"internalNotes", "string"},
        F{"isNonBillable", "boolean"},
        F{"timeEntryType", "integer", false, true, "", &kTimeEntryType},
        F{"createDateTime", "datetime", false, true},
        F{"lastModifiedDateTime", "datetime", false, true},
        F{"creatorUserID", "integer", false, true, "Resources"}},
       true,
       false,
       false,
       time_rows},
      {"Resources",
       {F{"id", "long", false, true}, F{"firstName", "string", true}, F{"lastName", "string", true},
        F{"email", "string", true}, F{"email2", "string"}, F{"email3", "string"},
        F{"userName", "string", true}, F{"isActive", "boolean"}, F{"title", "string"}},
       false,
       false,
       false,
       resource_rows},
      {"ResourceRoles",
       {F{"id", "long", false, true}, F{"resourceID", "integer", false, true, "Resources"},
        F{"roleID", "integer", false, true, "Roles"}, F{"departmentID", "integer", false, true},
        F{"queueID", "integer", false, true}, F{"isDefault", "boolean", false, true},
        F{"isActive", "boolean", false, true}},
       false,
       false,
       false,
       resource_role_rows},
      {"Roles",
       {F{"id", "long", false, true}, F{"name", "string", true}, F{"description", "string"},
        F{"isActive", "boolean"}, F{"hourlyRate", "decimal"}},
       false,
       false,
       false,
       role_rows},
      {"Companies",
       {F{"id", "long", false, true}, F{"companyName", "string", true},
        F{"companyNumber", "string"}, F{"companyType", "integer", true, false, "", &kCompanyType},
        F{"isActive", "boolean"}, F{"phone", "string"}},
       false,
       false,
       true,
       company_rows},
      {"Contacts",
       {F{"id", "long", false, true}, F{"firstName", "string", true}, F{"lastName", "string", true},
        F{"emailAddress", "string"}, F{"companyID", "integer", true, false, "Companies"},
        F{"isActive", "boolean"}},
       false,
       false,
       true,
       contact_rows},
      {"Opportunities",
       {F{"id", "long", false, true}, F{"title", "string", true}, F{"amount", "decimal", true},
        F{"cost", "decimal", true}, F{"status", "integer", true, false, "", &kOppStatus},
        F{"stage", "integer", false, false, "", &kOppStage}, F{"probability", "integer", true},
        F{"projectedCloseDate", "datetime", true}, F{"createDate", "datetime", false, true},
        F{"lastActivity", "datetime", false, true},
        F{"companyID", "integer", true, false, "Companies"},
        F{"contactID", "integer", false, false, "Contacts"},
        F{"ownerResourceID", "integer", true, false, "Resources"}, F{"closedDate", "datetime"}},
       false,
       false,
       true,
       opportunity_rows},
  };
  return kEntities;
}

// A generated or other-writer note on `ticket`.
Json make_note(Store& s, int64_t ticket, const std::string& description, TimeMs when,
               int64_t creator) {
  return {{"id", s.at.next_note_id++},
          {"ticketID", ticket},
          {"title", "Update"},
          {"description", description},
          {"noteType", 1},
          {"publish", 1},
          {"createDateTime", at_time(when)},
          {"lastActivityDate", at_time(when)},
          {"creatorResourceID", creator},
          {"impersonatorCreatorResourceID", nullptr}};
}

}  // namespace

std::string at_time(TimeMs t) { return format_time_ms(t); }

const AtEntity* find_at_entity(std::string_view name) {
  for (const AtEntity& e : entities()) {
    if (compare_nocase(e.name, name) == 0) return &e;
  }
  return nullptr;
}

const AtField* find_at_field(const AtEntity& e, std::string_view name) {
  for (const AtField& f : e.fields) {
    if (compare_nocase(f.name, name) == 0) return &f;
  }
  return nullptr;
}

const AtPick* find_pick(const std::vector<AtPick>& picks, int64_t value) {
  for (const AtPick& p : picks) {
    if (p.value == value) return &p;
  }
  return nullptr;
}

const std::vector<AtPick>& at_ticket_statuses() { return kTicketStatus; }
const std::vector<AtPick>& at_ticket_priorities() { return kTicketPriority; }
const std::vector<AtPick>& at_note_types() { return kNoteType; }
const std::vector<AtPick>& at_publish_values() { return kPublish; }

Json at_field_info(const AtEntity& e) {
  Json fields = Json::array();
  for (const AtField& f : e.fields) {
    Json picks = nullptr;
    if (f.picks) {
      picks = Json::array();
      int sort = 0;
      for (const AtPick& p : *f.picks) {
        picks.push_back({{"value", std::to_string(p.value)},
                         {"label", p.label},
                         {"isDefaultValue", p.is_default},
                         {"sortOrder", sort++},
                         {"parentValue", ""},
                         {"isActive", p.active},
                         {"isSystem", true}});
      }
    }
    fields.push_back({{"name", f.name},
                      {"dataType", f.type},
                      {"length", std::string(f.type) == "string" ? 8000 : 0},
                      {"isRequired", f.required},
                      {"isReadOnly", f.read_only},
                      {"isQueryable", true},
                      {"isReference", *f.reference != '\0'},
                      {"referenceEntityType", f.reference},
                      {"isPickList", f.picks != nullptr},
                      {"picklistValues", picks},
                      {"picklistParentValueField", ""},
                      {"isSupportedWebhookField", false}});
  }
  return {{"fields", fields}};
}

Json at_resource(const Store& s, int64_t id) {
  for (const Json& m : s.members) {
    if (m["id"] != id) continue;
    const std::string ident = m["identifier"].get<std::string>();
    // One alias address, so mapping by email2/email3 can be tested.
    const bool alias = ident == "bjones";
    return {{"id", id},
            {"firstName", m["firstName"]},
            {"lastName", m["lastName"]},
            {"email", m["primaryEmail"]},
            {"email2", alias ? Json("bob.jones@msp.example.com") : Json(nullptr)},
            {"email3", alias ? Json("bob@old-msp.example.com") : Json(nullptr)},
            {"userName", ident},
            {"isActive", !m["inactiveFlag"].get<bool>()},
            {"title", ident == "apiuser" ? "API User" : "Technician"}};
  }
  return nullptr;
}

std::vector<Json> at_resource_roles(const Store& s, int64_t id) {
  std::vector<Json> out;
  for (const Json& rr : s.at.resource_roles) {
    if (rr["resourceID"] == id) out.push_back(rr);
  }
  return out;
}

void generate_autotask(Store& s) {
  const TimeMs now = s.spec.now;
  s.at = Store::Autotask{};
  s.at.next_note_id = 60001;
  s.at.next_time_entry_id = 80001;
  // Every resource has a default role and most a second one.
  int64_t rr_id = 1;
  for (const Json& m : s.members) {
    const int64_t res = m["id"].get<int64_t>();
    const auto k = static_cast<size_t>(res - 101);
    s.at.resource_roles.push_back({{"id", rr_id++},
                                   {"resourceID", res},
                                   {"roleID", kRoles[k % 3].id},
                                   {"departmentID", 1},
                                   {"queueID", 8},
                                   {"isDefault", true},
                                   {"isActive", true}});
    if (k % 4 != 3) {
      s.at.resource_roles.push_back({{"id", rr_id++},
                                     {"resourceID", res},
                                     {"roleID", kRoles[3 + k % 2].id},
                                     {"departmentID", 1},
                                     {"queueID", 9},
                                     {"isDefault", false},
                                     {"isActive", true}});
    }
  }
  // Tickets mirror the ConnectWise tickets (same ids, titles, companies, dates).
  std::map<std::string, int> per_day;
  for (const auto& [id, cw] : s.tickets) {
    Rng r(mix_seed(s.spec.seed, kAtTickets, static_cast<uint64_t>(id)));
    const TimeMs created =
        parse_time(cw["_info"]["dateEntered"].get<std::string>()).value_or(now - kHour) +
        static_cast<TimeMs>(r.below(480)) * kMinute;
    const TimeMs touched = created + kHour + static_cast<TimeMs>(r.below(600)) * kMinute;
    std::string day = format_day(created);
    day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
    char number[32];
    std::snprintf(number, sizeof number, "T%s.%04d", day.c_str(), ++per_day[day]);
    const bool assigned = r.chance(0.7);
    const Json resource = assigned ? Json(101 + static_cast<int64_t>(r.below(7))) : Json(nullptr);
    Json role = nullptr;
    if (assigned) {
      for (const Json& rr : s.at.resource_roles) {
        if (rr["resourceID"] == resource && rr["isDefault"].get<bool>()) role = rr["roleID"];
      }
    }
    const int64_t company = cw["company"]["id"].get<int64_t>();
    s.at.tickets[id] = {
        {"id", id},
        {"ticketNumber", number},
        {"title", cw["summary"]},
        {"description", "Reported by phone. The user cannot work until this is fixed."},
        {"status", r.chance(0.5) ? 1 : 8},
        {"priority", 1 + static_cast<int>(r.below(3))},
        {"queueID", r.chance(0.7) ? 8 : 9},
        {"ticketType", 1},
        {"companyID", company},
        {"contactID", 500 + 2 * (company - 200)},
        {"assignedResourceID", resource},
        {"assignedResourceRoleID", role},
        {"createDate", at_time(created)},
        {"lastActivityDate", at_time(touched)},
        {"lastTrackedModificationDateTime", at_time(touched)},
        {"completedDate", nullptr},
        {"userDefinedFields", Json::array()}};
    s.at.notes[id].push_back(make_note(s, id,
                                       "Customer reports the issue started after the last update.",
                                       created, 101 + static_cast<int64_t>(r.below(7))));
  }
}

Json mutate_autotask(Store& s, const Json& spec) {
  const std::string entity = spec.value("entity", std::string());
  const std::string kind =
      spec.value("kind", std::string(entity == "autotask_notes" ? "create" : "modify"));
  const TimeMs now = now_ms();
  Json affected = Json::array();
  if (entity == "autotask_notes") {
    if (kind != "create") throw std::invalid_argument("autotask_notes support kind create only");
    if (!spec.contains("ticket") || !spec["ticket"].is_number_integer()) {
      throw std::invalid_argument("an autotask_notes mutation needs an integer 'ticket'");
    }
    const int64_t ticket = spec["ticket"].get<int64_t>();
    auto t = s.at.tickets.find(ticket);
    if (t == s.at.tickets.end())
      throw std::invalid_argument("no Autotask ticket " + std::to_string(ticket));
    const int count = spec.value("count", 1);
    if (count < 1 || count > 100000) throw std::invalid_argument("count must be 1..100000");
    for (int k = 0; k < count; ++k) {
      Json note = make_note(s, ticket, "Update " + std::to_string(k + 1) + " from another writer",
                            now, 101);
      affected.push_back(note["id"]);
      s.at.notes[ticket].push_back(std::move(note));
    }
    t->second["lastActivityDate"] = at_time(now);
  } else if (entity == "autotask_tickets") {
    if (kind != "modify" && kind != "delete")
      throw std::invalid_argument("autotask_tickets support kind modify and delete only");
    const Json ids = spec.value("ids", Json::array());
    const Json fields = spec.value("fields", Json::object());
    if (!ids.is_array() || ids.empty())
      throw std::invalid_argument("an autotask_tickets mutation needs 'ids'");
    TimeMs ts = now;
    if (spec.contains("timestamp")) {
      auto t = parse_time(spec["timestamp"].get<std::string>());
      if (!t) throw std::invalid_argument("timestamp is not ISO-8601");
      ts = *t;
    }
    for (const Json& id : ids) {
      auto t = id.is_number_integer() ? s.at.tickets.find(id.get<int64_t>()) : s.at.tickets.end();
      if (t == s.at.tickets.end())
        throw std::invalid_argument("unknown Autotask ticket " + id.dump());
      affected.push_back(id);
      if (kind == "delete") {
        s.at.notes.erase(t->first);
        s.at.tickets.erase(t);
        continue;
      }
      for (const auto& [k, v] : fields.items()) t->second[k] = v;
      t->second["lastActivityDate"] = at_time(ts);
      t->second["lastTrackedModificationDateTime"] = at_time(ts);
    }
  } else if (entity == "autotask_zone") {
    if (kind != "move" && kind != "modify")
      throw std::invalid_argument("autotask_zone supports kind move only");
    const Json prefix = spec.value("path_prefix", Json());
    if (!prefix.is_string() || !valid_zone_prefix(prefix.get<std::string>())) {
      throw std::invalid_argument(
          "an autotask_zone mutation needs 'path_prefix': \"\" or \"/\" and one path segment of "
          "letters, digits, '.', '_' or '-' (not api, _sim or ATServicesRest), e.g. \"/ws2\"");
    }
    const Json url = spec.value("url", Json(""));
    if (!url.is_string() ||
        (!url.get<std::string>().empty() && url.get<std::string>().rfind("http://", 0) != 0 &&
         url.get<std::string>().rfind("https://", 0) != 0)) {
      throw std::invalid_argument(
          "an autotask_zone mutation's 'url' is the REST root the zone lookup names instead of "
          "cwsim's own, e.g. \"http://127.0.0.1:8081/ATServicesRest/\", or \"\" for cwsim's own");
    }
    s.at.zone = prefix.get<std::string>();
    s.at.zone_url = url.get<std::string>();
    affected.push_back(s.at.zone + "/ATServicesRest/");
    return {{"entity", entity}, {"kind", "move"}, {"timestamp", at_time(now)},
            {"affected", affected}};
  } else {
    throw std::invalid_argument("unknown Autotask entity " + entity);
  }
  return {{"entity", entity}, {"kind", kind}, {"timestamp", at_time(now)}, {"affected", affected}};
}

}  // namespace cwsim
