// Cached name → id lookups every PSA provider shares (docs/queue.md "Status
// names and members"): ticket statuses by name (per board on ConnectWise, one
// picklist on Autotask) and members / resources by email. Each provider only
// says how to fetch a list; the caching, the one refresh on a miss and the
// "valid: …" message are written once, here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sync/psa_provider.h"

namespace cwsync {

// Status names by scope (a board id; 0 when the PSA has one list).
class StatusNames {
 public:
  using Fetch = std::function<Result<std::vector<PsaStatus>>(std::int64_t scope)>;
  // `fetch` is called under the lock; `ttl`: how long a list is used.
  StatusNames(Fetch fetch, const Clock& clock, Millis ttl);

  // The id of the status called `name` (case-insensitive, trimmed) in
  // `scope`. An unknown name refreshes a list fetched earlier once, then is
  // kInvalidInput "unknown status 'X' <where>; valid: A, B, C". Errors: the
  // fetch's. Thread-safe.
  Result<std::string> resolve(std::int64_t scope, std::string_view name, std::string_view where);
  // The cached (or freshly fetched) list of `scope`. Thread-safe.
  Result<std::vector<PsaStatus>> list(std::int64_t scope);

 private:
  struct Entry {
    std::vector<PsaStatus> statuses;
    TimePoint loaded_at;
  };
  Fetch fetch_;
  const Clock& clock_;
  Millis ttl_;
  std::mutex mu_;
  std::map<std::int64_t, Entry> lists_;
};

// Members (resources) by email, refreshed after `ttl` and once more (at most
// once a minute) when an email is unknown.
class MemberEmails {
 public:
  using Fetch = std::function<Result<std::vector<PsaMember>>()>;
  MemberEmails(Fetch fetch, const Clock& clock, Millis ttl);

  // The id of the active member with `email` (case-insensitive). Errors:
  // kNotFound "no PSA member has the email 'x'", or the fetch's. Thread-safe.
  Result<std::string> resolve(std::string_view email);
  // The whole list (cached). Thread-safe.
  Result<std::vector<PsaMember>> list();
  // How many lists were fetched (tests: caching).
  int fetches() const;

 private:
  Status refresh_locked();

  Fetch fetch_;
  const Clock& clock_;
  Millis ttl_;
  mutable std::mutex mu_;
  std::vector<PsaMember> members_;
  std::map<std::string, std::string> by_email_;  // lower-cased email → id
  std::optional<TimePoint> loaded_at_;
  int fetches_ = 0;
};

}  // namespace cwsync
