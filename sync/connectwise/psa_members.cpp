#include "sync/connectwise/psa_members.h"

#include <algorithm>
#include <cctype>
#include <Poco/String.h>

#include "base/log.h"
#include "sync/http/api_pager.h"

namespace cwsync {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

MemberDirectory::MemberDirectory(PsaEndpoint& psa, const Clock& clock, Millis ttl)
    : psa_(psa), emails_([this] { return fetch(); }, clock, ttl) {}

Result<std::vector<PsaMember>> MemberDirectory::fetch() {
  std::vector<PsaMember> found;
  HttpRequest first = get_request(
      "system/members?fields=id,identifier,primaryEmail,officeEmail,defaultEmail&pageSize=1000");
  first.headers.set("pagination-type", "forward-only");
  auto stats = psa_.for_each_page(first, [&](const Page& page) -> Result<PageVerdict> {
    auto items = parse_page_items(page);
    if (!items.ok()) return items.error();
    for (const auto& m : *items) {
      if (!m.is_object() || !m.contains("id") || !m["id"].is_number_integer()) continue;
      PsaMember member;
      member.id = std::to_string(m["id"].get<std::int64_t>());
      if (m.contains("identifier") && m["identifier"].is_string()) {
        member.name = m["identifier"].get<std::string>();
      }
      for (const char* field : {"primaryEmail", "officeEmail", "defaultEmail"}) {
        if (m.contains(field) && m[field].is_string() && !m[field].get<std::string>().empty()) {
          member.emails.push_back(Poco::toLower(m[field].get<std::string>()));
        }
      }
      found.push_back(std::move(member));
    }
    return PageVerdict{items->size(), false};
  }, CallOptions::labeled("members"));
  if (!stats.ok()) return stats.error();
  log::debug("psa_members_loaded").field("members", static_cast<int>(found.size()));
  return found;
}

Result<nlohmann::json> MemberDirectory::resolve(std::string_view ref) {
  if (all_digits(ref)) return nlohmann::json{{"id", std::stoll(std::string(ref))}};
  if (ref.find('@') == std::string_view::npos) return nlohmann::json{{"identifier", std::string(ref)}};
  auto id = emails_.resolve(ref);
  if (!id.ok()) return id.error();
  return nlohmann::json{{"id", std::stoll(*id)}};
}

}  // namespace cwsync
