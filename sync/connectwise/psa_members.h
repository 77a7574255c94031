// PSA member lookup for queued posts: a post names its member by login email,
// numeric id or identifier; PSA bodies want {"id":N} (or {"identifier":...}).
// Emails are resolved through GET system/members, cached per tenant and
// refreshed daily (docs/design.md, "Upstream").
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/psa_directory.h"

namespace cwsync {

class MemberDirectory {
 public:
  // `psa` must outlive the directory. `ttl`: how long a member list is used.
  MemberDirectory(PsaEndpoint& psa, const Clock& clock, Millis ttl = std::chrono::hours(24));

  // The PSA member reference for `ref`: digits → {"id":N}; an email (has '@')
  // → {"id":N} of the member whose primary/office/default email matches
  // (case-insensitive); anything else → {"identifier": ref}. Errors: kNotFound
  // for an unknown email (after one refresh of a list older than a minute),
  // or the request's error (kAuth, kRetryable, ...). Thread-safe.
  Result<nlohmann::json> resolve(std::string_view ref);

  // Every member (cached like resolve's list). Thread-safe.
  Result<std::vector<PsaMember>> list() { return emails_.list(); }

  // How many member lists were fetched (tests: caching).
  int fetches() const { return emails_.fetches(); }

 private:
  Result<std::vector<PsaMember>> fetch();

  PsaEndpoint& psa_;
  MemberEmails emails_;
};

}  // namespace cwsync
