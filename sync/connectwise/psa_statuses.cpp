#include "sync/connectwise/psa_statuses.h"

#include "sync/http/api_pager.h"

namespace cwsync {
StatusDirectory::StatusDirectory(PsaEndpoint& psa, const Clock& clock, Millis ttl)
    : psa_(psa), names_([this](std::int64_t board) { return fetch(board); }, clock, ttl) {}

Result<TicketStatus> StatusDirectory::ticket(std::int64_t ticket_id) {
  std::string url = "service/tickets/" + std::to_string(ticket_id) + "?fields=id,board/id,status/id,status/name";
  auto r = psa_.execute(get_request(url), CallOptions::labeled("ticket status"));
  if (!r.ok()) return r.error();
  auto j = parse_json_body(*r, "GET", url);
  if (!j.ok()) return j.error();
  const auto& t = *j;
  if (!t.is_object() || !t.contains("board") || !t["board"].is_object() ||
      !t["board"].contains("id") || !t["board"]["id"].is_number_integer() ||
      !t.contains("status") || !t["status"].is_object() || !t["status"].contains("id") ||
      !t["status"]["id"].is_number_integer()) {
    return make_error(ErrorKind::kMalformed, "ticket has no board/status id", "GET " + url);
  }
  TicketStatus s;
  s.ticket_id = ticket_id;
  s.board_id = t["board"]["id"].get<std::int64_t>();
  s.status_id = t["status"]["id"].get<std::int64_t>();
  if (t["status"].contains("name") && t["status"]["name"].is_string()) {
    s.status_name = t["status"]["name"].get<std::string>();
  }
  return s;
}

Result<std::vector<PsaStatus>> StatusDirectory::fetch(std::int64_t board_id) {
  std::vector<PsaStatus> out;
  HttpRequest first = get_request("service/boards/" + std::to_string(board_id) +
                                  "/statuses?fields=id,name&pageSize=1000");
  auto st = psa_.for_each_page(first, [&](const Page& page) -> Result<PageVerdict> {
    auto items = parse_page_items(page);
    if (!items.ok()) return items.error();
    for (const auto& s : *items) {
      if (s.is_object() && s.contains("id") && s["id"].is_number_integer() && s.contains("name") &&
          s["name"].is_string()) {
        out.push_back({std::to_string(s["id"].get<std::int64_t>()), s["name"].get<std::string>()});
      }
    }
    return PageVerdict{items->size(), false};
  }, CallOptions::labeled("board statuses"));
  if (!st.ok()) return st.error();
  return out;
}

Result<std::int64_t> StatusDirectory::resolve(std::int64_t board_id, std::string_view name) {
  auto id = names_.resolve(board_id, name, "on board " + std::to_string(board_id));
  if (!id.ok()) return id.error();
  return std::stoll(*id);
}

}  // namespace cwsync
