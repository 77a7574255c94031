// One PSA behind one interface: what the queue, the pulls and `cwsync check`
// need from a PSA, whichever vendor it is (ConnectWise Manage in
// sync/connectwise, Autotask in sync/autotask). Callers hold a PsaProvider
// and never name a vendor; TenantClients builds the tenant's provider from
// its config (`psa.provider`).
//
// Exactly once (docs/queue.md "Exactly once"): no PSA has an idempotency key,
// so every note and time entry carries the post's marker, and deliver() with
// check_first looks for the marker over the whole ticket (every note or time
// entry, every page) before anything is sent again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "storage/rows.h"
#include "sync/http/api_client.h"
#include "sync/http/api_pager.h"
#include "sync/http/http_client.h"
#include "sync/post_payload.h"

namespace cwsync {

struct PullContext;
struct PullStats;
struct ReconcileResult;

// What delivering one post did.
struct Delivery {
  bool deduplicated = false;              // found upstream; nothing was sent
  std::optional<std::string> remote_id;   // note / time entry id; status id
  std::string evidence;                   // why it counts as applied (dedup)
  int http_status = 0;                    // the last response's status
};

// The options of a post's mutating request: one attempt, resent only when
// it cannot have been applied. The queue schedules retries and records each
// one; an ambiguous failure must come back for the marker check.
CallOptions queue_attempt(std::string label);
// One attempt, no retries: `cwsync check` wants the first answer, fast.
CallOptions single_attempt(std::string label);

// A dedup hit: the post's effect is upstream already (nothing was sent).
Delivery applied_upstream(std::optional<std::string> remote_id, std::string evidence);

// The error for a 2xx whose body lacks the created object: it says nothing
// about whether the PSA applied the request (a proxy's page, a cut body), so
// it is ambiguous and an outage: the queue retries and checks first.
Error no_created_object(const HttpResponse& response, const std::string& label);

// A PSA member (ConnectWise) or resource (Autotask).
struct PsaMember {
  std::string id;
  std::string name;                       // identifier / user name
  std::vector<std::string> emails;        // lower case
  bool active = true;
};

// A ticket status a post may name.
struct PsaStatus {
  std::string id;
  std::string name;
};

// The outcome of `cwsync check`'s one live call.
struct PsaCheck {
  std::string endpoint;                   // what was called, without secrets
  std::string detail;                     // on success: where the API lives, usage
};

// Receives one page of upstream ids (as text) during a reconcile listing.
using IdPageSink = std::function<Status(const std::vector<std::string>& ids)>;

// The page handler of an id listing: each page's "id"s (integers or text)
// into `sink`, counting pages in `stats`; kMalformed naming "<what> page N"
// for a page that is not a list or a row without an id.
PageHandler id_page_handler(PullStats& stats, std::string what, const IdPageSink& sink);

class PsaProvider {
 public:
  virtual ~PsaProvider() = default;

  // "connectwise" | "autotask": psa_posts.provider.
  virtual const char* provider() const = 0;
  // "psa" | "autotask": the `api` log field and the diagnosis vocabulary.
  virtual const char* api() const = 0;

  // ---- the post queue ------------------------------------------------------
  // Delivers `post` (its payload already parsed): a note, a status change by
  // id or name, or a time entry. With `check_first`, first looks for the
  // post's effect upstream (its marker anywhere on the ticket; the ticket's
  // current status) and returns deduplicated=true when found. Errors: the
  // request's error (Error::failure classified per provider; ambiguous when
  // the request may have been applied); kInvalidInput for an unknown status
  // name ("valid: …") or invalid time entry; kNotFound for an unknown member.
  virtual Result<Delivery> deliver(const storage::PostRow& post, const PostPayload& payload,
                                   bool check_first) = 0;
  // The marker this post's text carries.
  virtual std::string marker(const storage::PostRow& post) const = 0;
  // Whether the PSA answers this tenant's other calls: one cheap read of the
  // post's ticket. Errors: the read's; kNotFound (rejection) for no ticket.
  virtual Status probe_ticket(const storage::PostRow& post) = 0;
  // The time of the host breaker's next probe while it is open, else nullopt.
  virtual std::optional<TimePoint> unavailable_until(TimePoint now) = 0;
  // True while the breaker is not closed: send one post at a time.
  virtual bool recovering(TimePoint now) = 0;

  // ---- lookups ---------------------------------------------------------------
  // Every member / resource (for member mapping by email).
  virtual Result<std::vector<PsaMember>> list_members() = 0;
  // The statuses a post to `ticket_id` may name (ConnectWise: the ticket's
  // board; Autotask: the Tickets status picklist, active values).
  virtual Result<std::vector<PsaStatus>> list_statuses(std::int64_t ticket_id) = 0;

  // ---- pulls -----------------------------------------------------------------
  // One incremental (or full) opportunity pull into cpq_opportunities through
  // the pull engine. Errors: the API's, kMalformed naming the page, kDatabase.
  virtual Status pull_opportunities(const PullContext& ctx, PullStats& stats) = 0;
  // Every live opportunity id, page by page, for the deletion reconcile.
  virtual Status list_opportunity_ids(const PullContext& ctx, PullStats& stats,
                                      const IdPageSink& sink) = 0;
  // The local ticket cache (tenants with tickets.enabled): one incremental (or
  // full) ticket pull into psa_tickets, and the ticket reconcile (a cheap
  // count check first, then the ids when the counts differ or on --full).
  // Errors: as above.
  virtual Status pull_tickets(const PullContext& ctx, PullStats& stats) = 0;
  virtual Status reconcile_tickets(const PullContext& ctx, PullStats& stats,
                                   ReconcileResult& out) = 0;

  // ---- diagnosis -------------------------------------------------------------
  // One live call without retries, for `cwsync check`. Errors: the call's.
  virtual Result<PsaCheck> check() = 0;
  // What `check` calls, for its report when the call fails.
  virtual std::string check_endpoint() const = 0;
  // Plain words for an account problem in this provider's terms (bad keys,
  // a missing permission, a wrong company, code or zone), or "" when `error`
  // is not one. A non-empty answer stops the tenant's pulls until a reload.
  virtual std::string diagnose(const Error& error) const = 0;
};

}  // namespace cwsync
