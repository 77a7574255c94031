#include "sync/psa_directory.h"

#include <Poco/String.h>

namespace cwsync {
namespace {

// Names compare as people type them: case and surrounding blanks ignored.
std::string norm(std::string_view s) { return Poco::toLower(Poco::trim(std::string(s))); }

}  // namespace

StatusNames::StatusNames(Fetch fetch, const Clock& clock, Millis ttl)
    : fetch_(std::move(fetch)), clock_(clock), ttl_(ttl) {}

Result<std::vector<PsaStatus>> StatusNames::list(std::int64_t scope) {
  std::lock_guard lk(mu_);
  const TimePoint now = clock_.now();
  auto it = lists_.find(scope);
  if (it == lists_.end() || now - it->second.loaded_at >= ttl_) {
    auto fresh = fetch_(scope);
    if (!fresh.ok()) return fresh.error();
    it = lists_.insert_or_assign(scope, Entry{std::move(*fresh), now}).first;
  }
  return it->second.statuses;
}

Result<std::string> StatusNames::resolve(std::int64_t scope, std::string_view name,
                                         std::string_view where) {
  std::lock_guard lk(mu_);
  const TimePoint now = clock_.now();
  auto it = lists_.find(scope);
  bool fresh = false;
  if (it == lists_.end() || now - it->second.loaded_at >= ttl_) {
    auto list = fetch_(scope);
    if (!list.ok()) return list.error();
    it = lists_.insert_or_assign(scope, Entry{std::move(*list), now}).first;
    fresh = true;
  }
  auto find = [&]() -> std::optional<std::string> {
    for (const PsaStatus& s : it->second.statuses) {
      if (norm(s.name) == norm(name)) return s.id;
    }
    return std::nullopt;
  };
  auto id = find();
  if (!id && !fresh) {  // a status added since the list was read
    auto list = fetch_(scope);
    if (!list.ok()) return list.error();
    it->second = Entry{std::move(*list), now};
    id = find();
  }
  if (id) return *id;
  std::string valid;
  for (const PsaStatus& s : it->second.statuses) valid += (valid.empty() ? "" : ", ") + s.name;
  return make_error(ErrorKind::kInvalidInput,
                    "unknown status '" + std::string(name) + "' " + std::string(where) +
                        "; valid: " + valid,
                    "status lookup");
}

MemberEmails::MemberEmails(Fetch fetch, const Clock& clock, Millis ttl)
    : fetch_(std::move(fetch)), clock_(clock), ttl_(ttl) {}

int MemberEmails::fetches() const {
  std::lock_guard lk(mu_);
  return fetches_;
}

Status MemberEmails::refresh_locked() {
  auto fresh = fetch_();
  if (!fresh.ok()) return fresh.error();
  std::map<std::string, std::string> by_email;
  for (const PsaMember& m : *fresh) {
    if (!m.active) continue;
    for (const std::string& e : m.emails) {
      if (!e.empty()) by_email.emplace(Poco::toLower(e), m.id);
    }
  }
  members_ = std::move(*fresh);
  by_email_ = std::move(by_email);
  loaded_at_ = clock_.now();
  ++fetches_;
  return {};
}

Result<std::vector<PsaMember>> MemberEmails::list() {
  std::lock_guard lk(mu_);
  if (!loaded_at_ || clock_.now() - *loaded_at_ >= ttl_) {
    if (auto st = refresh_locked(); !st.ok()) return st.error();
  }
  return members_;
}

Result<std::string> MemberEmails::resolve(std::string_view email) {
  std::lock_guard lk(mu_);
  const TimePoint now = clock_.now();
  if (!loaded_at_ || now - *loaded_at_ >= ttl_) {
    if (auto st = refresh_locked(); !st.ok()) return st.error();
  }
  const std::string key = Poco::toLower(std::string(email));
  auto it = by_email_.find(key);
  if (it == by_email_.end() && now - *loaded_at_ >= std::chrono::minutes(1)) {
    // A member added since the last load: one refresh, rate-limited.
    if (auto st = refresh_locked(); !st.ok()) return st.error();
    it = by_email_.find(key);
  }
  if (it == by_email_.end()) {
    return make_error(ErrorKind::kNotFound,
                      "no PSA member has the email '" + std::string(email) + "'", "member lookup");
  }
  return it->second;
}

}  // namespace cwsync
