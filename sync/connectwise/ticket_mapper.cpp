#include "sync/connectwise/ticket_mapper.h"

#include "sync/http/json_page.h"

namespace cwsync {
namespace {

using nlohmann::json;

// obj[ref][key] as text (a reference object such as {"id":5,"name":"x"}).
std::optional<std::string> ref_text(const json& obj, std::string_view ref, std::string_view key) {
  const json* r = json_read::child(obj, ref);
  return r == nullptr ? std::nullopt : json_read::id_text(*r, key);
}

}  // namespace

Result<storage::TicketRow> map_cw_ticket(const json& obj, std::string_view raw) {
  auto id = required_integer_id(obj, "ticket");
  if (!id.ok()) return id.error();
  storage::TicketRow t;
  t.provider = "connectwise";
  t.id = std::to_string(*id);
  t.number = t.id;
  t.summary = json_read::text(obj, "summary");
  t.record_type = json_read::text(obj, "recordType");
  t.board_id = ref_text(obj, "board", "id");
  t.board = ref_text(obj, "board", "name");
  t.status_id = ref_text(obj, "status", "id");
  t.status = ref_text(obj, "status", "name");
  t.priority = ref_text(obj, "priority", "name");
  t.company_id = ref_text(obj, "company", "id");
  t.company_identifier = ref_text(obj, "company", "identifier");
  t.company = ref_text(obj, "company", "name");
  t.contact_id = ref_text(obj, "contact", "id");
  t.contact = ref_text(obj, "contact", "name");
  t.owner_identifier = ref_text(obj, "owner", "identifier");
  t.owner = ref_text(obj, "owner", "name");
  t.parent_id = json_read::id_text(obj, "parentTicketId");
  t.closed = json_read::boolean(obj, "closedFlag").value_or(false);
  t.closed_at = json_read::time(obj, "closedDate");
  if (const json* info = json_read::child(obj, "_info")) {
    t.created_at = json_read::time(*info, "dateEntered");
    t.updated_at = json_read::time(*info, "lastUpdated");
  }
  t.raw_json = std::string(raw);
  return t;
}

}  // namespace cwsync
