// Autotask PSA as a PsaProvider (docs/design.md, "Upstream: Autotask PSA";
// docs/queue.md). What a post becomes:
//   note        POST Tickets/{id}/Notes {ticketID, title, description,
//               noteType, publish}; noteType/publish from psa.note_types
//               (publish 1, "All Autotask Users", when customer-visible),
//               checked against the TicketNotes picklists on first use.
//               Dedup: TicketNotes/query ticketID eq id and description
//               contains the marker (every page: the whole ticket).
//   status      PATCH Tickets {id, status}; a name resolves through the
//               Tickets status picklist (active values; re-read once when a
//               name is unknown). Dedup: the ticket already has it.
//   time_entry  POST TimeEntries {resourceID, ticketID, roleID, dateWorked,
//               startDateTime, endDateTime, hoursWorked, summaryNotes,
//               isNonBillable}; the resource by email (email, email2,
//               email3) or user name, the API user's own without a member;
//               roleID from psa.time_entry_role or the resource's default
//               role; hours > 0 and ≤ 24 after rounding. Dedup:
//               TimeEntries/query ticketID eq id and summaryNotes contains
//               the marker.
// Creates answer {"itemId": N}: that is the remote id.
#pragma once

#include <map>
#include <mutex>

#include "config/config.h"
#include "sync/autotask/at_endpoint.h"
#include "sync/autotask/at_errors.h"
#include "sync/psa_directory.h"
#include "sync/psa_provider.h"

namespace cwsync {

class AutotaskProvider final : public PsaProvider {
 public:
  // `at` must outlive the provider; `conn` (an Autotask connection) is copied.
  AutotaskProvider(AutotaskEndpoint& at, const PsaConnection& conn, const Clock& clock,
                   std::string marker_format);

  const char* provider() const override { return "autotask"; }
  const char* api() const override { return "autotask"; }
  Result<Delivery> deliver(const storage::PostRow& post, const PostPayload& payload,
                           bool check_first) override;
  std::string marker(const storage::PostRow& post) const override;
  Status probe_ticket(const storage::PostRow& post) override;
  std::optional<TimePoint> unavailable_until(TimePoint now) override;
  bool recovering(TimePoint now) override;
  Result<std::vector<PsaMember>> list_members() override { return resources_.list(); }
  Result<std::vector<PsaStatus>> list_statuses(std::int64_t) override { return statuses_.list(0); }
  Status pull_opportunities(const PullContext& ctx, PullStats& stats) override;
  Status list_opportunity_ids(const PullContext& ctx, PullStats& stats,
                              const IdPageSink& sink) override;
  Status pull_tickets(const PullContext& ctx, PullStats& stats) override;
  Status reconcile_tickets(const PullContext& ctx, PullStats& stats,
                           ReconcileResult& out) override;
  Result<PsaCheck> check() override;
  std::string check_endpoint() const override { return "GET ThresholdInformation"; }
  std::string diagnose(const Error& e) const override { return diagnose_autotask(e); }

  // The note types in psa.note_types are active TicketNotes picklist values
  // (read once, then remembered). kConfig naming the key and the valid
  // values otherwise.
  Status validate_note_types();

 private:
  Result<Delivery> deliver_note(const storage::PostRow& post, const NotePayload& p, bool check);
  Result<Delivery> deliver_time(const storage::PostRow& post, const TimePayload& p, bool check);
  Result<Delivery> deliver_status(const storage::PostRow& post, const StatusPayload& p,
                                  bool check);
  // The dedup hit for the first item of `entity` on the ticket whose
  // `field` contains `marker` (every page), or nullopt; `what` names it in
  // the evidence ("note 5 on ticket 1001 carries [cwsync:…]").
  Result<std::optional<Delivery>> find_marked(const std::string& entity, std::int64_t ticket_id,
                                              const char* field, const std::string& marker,
                                              const std::string& what);
  Result<std::int64_t> resource_of(const std::optional<std::string>& member);
  Result<std::int64_t> role_of(std::int64_t resource_id);
  Result<Delivery> send(HttpRequest request, const std::string& label);
  Result<std::vector<PsaStatus>> picklist(const std::string& entity, const std::string& field);
  Result<std::vector<PsaMember>> fetch_resources();

  AutotaskEndpoint& at_;
  AutotaskSettings settings_;
  std::string marker_format_;
  StatusNames statuses_;
  MemberEmails resources_;
  std::mutex mu_;
  bool note_types_ok_ = false;
  std::map<std::int64_t, std::int64_t> default_roles_;  // resource → role
};

}  // namespace cwsync
