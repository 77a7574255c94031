// Delivers one queued post to ConnectWise PSA, and, when asked, first checks
// whether an earlier ambiguous attempt already took effect (PSA has no
// idempotency key; docs/queue.md "Exactly once"):
//   note        POST service/tickets/{id}/notes; dedup: the marker in any
//               note of the ticket created since the post was first claimed
//               (less a clock-skew margin), every page of them
//   time_entry  POST time/entries; dedup: entries with the same chargeToId,
//               member and timeStart whose notes carry the marker, every page
//   status      PATCH service/tickets/{id}; dedup: the ticket already has it
// The mutating request is sent once (Resend::kIfNotApplied, one attempt): the
// queue owns retries, so an ambiguous failure comes back here as an error and
// the next attempt checks first. HTTP, auth and rate limits are PsaEndpoint's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/rows.h"
#include "sync/post_payload.h"
#include "sync/psa_provider.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/connectwise/psa_members.h"
#include "sync/connectwise/psa_statuses.h"

namespace cwsync {

// ---- request bodies (pure) -------------------------------------------------
// `member`: a PSA member reference ({"id":N} / {"identifier":...}) or null.
nlohmann::json note_body(const NotePayload& p, const std::string& marker,
                         const nlohmann::json& member);
nlohmann::json time_entry_body(std::int64_t ticket_id, const TimePayload& p,
                               const std::string& marker, const nlohmann::json& member);
nlohmann::json status_patch_body(std::int64_t status_id);

class PsaPoster {
 public:
  // Everything referenced must outlive the poster. `marker_format`: the
  // tenant's queue.marker_format.
  PsaPoster(PsaEndpoint& psa, MemberDirectory& members, StatusDirectory& statuses,
            std::string marker_format);

  // Delivers `post` (its payload already parsed). With `check_first`, looks
  // for the effect upstream before sending and returns deduplicated=true if
  // found. Errors: the request's error (Error::http_status set when a
  // response came; ambiguous when the POST may have been applied);
  // kInvalidInput for an unknown status name; kNotFound for an unknown member
  // email or ticket. Thread-safe if the directories are.
  Result<Delivery> deliver(const storage::PostRow& post, const PostPayload& payload,
                           bool check_first);

  // The marker this post's text carries.
  std::string marker(const storage::PostRow& post) const;

  // Whether PSA answers this tenant's other calls: one cheap read of the
  // post's ticket. ok: it answered (the ticket exists). Errors: the read's
  // error; kNotFound (Failure::kRejection) when the ticket does not exist.
  Status probe_ticket(const storage::PostRow& post);

  // When the host's circuit breaker is open, the time of its next probe;
  // nullopt when calls may go out now. Does not take the probe slot.
  std::optional<TimePoint> unavailable_until(TimePoint now);
  // True while the breaker is not closed (a probe is due or running): send
  // one post at a time until PSA has answered again.
  bool recovering(TimePoint now);

  // How far before the post's first claim the note check looks, for clock
  // skew between cwsync and PSA (dateCreated is PSA's clock).
  static constexpr Millis kSkewMargin = std::chrono::hours(1);

 private:
  Result<Delivery> deliver_note(const storage::PostRow& post, const NotePayload& p, bool check);
  Result<Delivery> deliver_time(const storage::PostRow& post, const TimePayload& p, bool check);
  Result<Delivery> deliver_status(const storage::PostRow& post, const StatusPayload& p, bool check);
  Result<nlohmann::json> member_ref(const std::optional<std::string>& member);
  Result<Delivery> send(HttpRequest request, const std::string& label);

  PsaEndpoint& psa_;
  MemberDirectory& members_;
  StatusDirectory& statuses_;
  std::string marker_format_;
};

}  // namespace cwsync
