// Internal: cwsim's Autotask PSA personality, served under /ATServicesRest/
// (docs/simulator.md, "Autotask PSA endpoints"). The entity table and seeded
// data live in autotask_data.cpp, the query evaluator in autotask_query.cpp,
// the routes in autotask_api.cpp.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "state.h"

namespace cwsim {

// True for paths under /ATServicesRest/ or under a zone's /{prefix}/ATServicesRest/
// (case-insensitive, as IIS is).
bool is_autotask_path(const std::string& path);
// Whether `prefix` may name a zone: "" (the original /ATServicesRest/) or "/"
// and one segment of letters, digits, '.', '_', '-' that no other route uses.
bool valid_zone_prefix(const std::string& prefix);
// The endpoint a path counts against for the concurrency limit (the entity
// segment after the version, e.g. "Tickets"), or "" for the zone lookup, which
// no limit covers.
std::string autotask_endpoint(const std::string& path);
// Serves one Autotask request. Throws HttpError like the other handlers.
Response handle_autotask(State& st, const Request& req);
// Autotask's error body, {"errors":[message]}.
Response at_error(int status, const std::string& message);
// After an applied-then-lost note or time entry: `count` notes from another
// writer on the same ticket (the body's ticketID, or the path's ticket).
void autotask_other_writers(State& st, const Request& req, int count);

// One picklist entry; `value` is served as a string in entityInformation.
struct AtPick {
  int value;
  const char* label;
  bool active;
  bool is_default;
};

struct AtField {
  AtField(const char* n, const char* t, bool req = false, bool ro = false, const char* ref = "",
          const std::vector<AtPick>* p = nullptr)
      : name(n), type(t), required(req), read_only(ro), reference(ref), picks(p) {}
  const char* name;
  const char* type;  // "long", "integer", "string", "datetime", "decimal", "boolean"
  bool required;
  bool read_only;
  const char* reference;             // referenced entity, "" for none
  const std::vector<AtPick>* picks;  // nullptr: not a picklist
};

struct AtEntity {
  const char* name;  // "Tickets"
  std::vector<AtField> fields;
  bool can_create = false;
  bool can_update = false;
  bool has_udf = false;  // rows carry "userDefinedFields": []
  // Every row in id order. Call with store.mu held.
  std::vector<Json> (*rows)(const Store& s) = nullptr;
};

// The entity named `name` (case-insensitive), or nullptr.
const AtEntity* find_at_entity(std::string_view name);
// The field named `name` (case-insensitive), or nullptr.
const AtField* find_at_field(const AtEntity& e, std::string_view name);
// The picklist entry with `value`, or nullptr.
const AtPick* find_pick(const std::vector<AtPick>& picks, int64_t value);
// {"fields":[...]} for entityInformation/fields.
Json at_field_info(const AtEntity& e);
// The store's picklists used by the write routes.
const std::vector<AtPick>& at_ticket_statuses();
const std::vector<AtPick>& at_ticket_priorities();
const std::vector<AtPick>& at_note_types();
const std::vector<AtPick>& at_publish_values();
// Resources (views of the ConnectWise members) and one by id (null if none).
Json at_resource(const Store& s, int64_t id);
// Roles of resource `id` from ResourceRoles (empty for an unknown resource).
std::vector<Json> at_resource_roles(const Store& s, int64_t id);

// The `autotask_notes`, `autotask_tickets` and `autotask_zone` mutations (docs/simulator.md,
// "Mutations"). Caller holds store.mu. Throws std::invalid_argument.
Json mutate_autotask(Store& s, const Json& spec);
// Autotask dates: "2026-11-23T10:15:00.123Z".
std::string at_time(TimeMs t);

// The member of JSON object `body` named `key` case-insensitively (Autotask
// reads body keys so), or nullptr.
const Json* at_member(const Json& body, const char* key);

// A parsed query body (POST body or GET ?search=).
struct AtQuery {
  Json filter;                          // the filter array
  std::vector<const AtField*> include;  // empty = every field
  int max_records = 500;
};
// Parses and validates a query against `e`. Errors come back as the 500
// response with {"errors":[...]}.
std::variant<AtQuery, Response> parse_at_query(const AtEntity& e, const Json& body);
// Whether `row` matches every item of `q.filter`.
bool at_matches(const AtEntity& e, const Json& filter, const Json& row);
// `row` reduced to q.include (id and userDefinedFields always kept).
Json at_project(const AtEntity& e, const AtQuery& q, const Json& row);

}  // namespace cwsim
