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
    : psa_(psa), clock_(clock), ttl_(ttl) {}

int MemberDirectory::fetches() const {
  std::lock_guard lk(mu_);
  return fetches_;
}

Status MemberDirectory::refresh_locked() {
  std::map<std::string, std::int64_t> found;
  HttpRequest first = get_request(
      "system/members?fields=id,identifier,primaryEmail,officeEmail,defaultEmail&pageSize=1000");
  first.headers.set("pagination-type", "forward-only");
  auto stats = psa_.for_each_page(first, [&](const Page& page) -> Result<PageVerdict> {
    auto items = parse_page_items(page);
    if (!items.ok()) return items.error();
    for (const auto& m : *items) {
      if (!m.is_object() || !m.contains("id") || !m["id"].is_number_integer()) continue;
      for (const char* field : {"primaryEmail", "officeEmail", "defaultEmail"}) {
        if (m.contains(field) && m[field].is_string() && !m[field].get<std::string>().empty()) {
          found.emplace(Poco::toLower(m[field].get<std::string>()), m["id"].get<std::int64_t>());
        }
      }
    }
    return PageVerdict{items->size(), false};
  }, CallOptions::labeled("members"));
  if (!stats.ok()) return stats.error();
  by_email_ = std::move(found);
  loaded_at_ = clock_.now();
  ++fetches_;
  log::debug("psa_members_loaded").field("members", static_cast<int>(by_email_.size()));
  return {};
}

Result<nlohmann::json> MemberDirectory::resolve(std::string_view ref) {
  if (all_digits(ref)) return nlohmann::json{{"id", std::stoll(std::string(ref))}};
  if (ref.find('@') == std::string_view::npos) return nlohmann::json{{"identifier", std::string(ref)}};
  std::lock_guard lk(mu_);
  TimePoint now = clock_.now();
  if (!loaded_at_ || now - *loaded_at_ >= ttl_) {
    if (auto st = refresh_locked(); !st.ok()) return st.error();
  }
  auto it = by_email_.find(Poco::toLower(std::string(ref)));
  if (it == by_email_.end() && now - *loaded_at_ >= std::chrono::minutes(1)) {
    // A member added since the last load: one refresh, rate-limited.
    if (auto st = refresh_locked(); !st.ok()) return st.error();
    it = by_email_.find(Poco::toLower(std::string(ref)));
  }
  if (it == by_email_.end()) {
    return make_error(ErrorKind::kNotFound,
                      "no PSA member has the email '" + std::string(ref) + "'", "member lookup");
  }
  return nlohmann::json{{"id", it->second}};
}

}  // namespace cwsync
