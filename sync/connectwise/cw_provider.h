// ConnectWise PSA (Manage) as a PsaProvider: the codebase-resolving endpoint,
// the member and board-status directories, the poster and the opportunity
// puller of this folder behind the vendor-neutral interface.
#pragma once

#include "sync/connectwise/psa_auth.h"
#include "sync/connectwise/psa_codebase.h"
#include "sync/connectwise/psa_members.h"
#include "sync/connectwise/psa_poster.h"
#include "sync/connectwise/psa_statuses.h"
#include "sync/psa_provider.h"

namespace cwsync {

class ConnectWiseProvider final : public PsaProvider {
 public:
  // `psa` must outlive the provider. `marker_format`: queue.marker_format.
  ConnectWiseProvider(PsaEndpoint& psa, const Clock& clock, std::string marker_format);

  const char* provider() const override { return "connectwise"; }
  const char* api() const override { return "psa"; }
  Result<Delivery> deliver(const storage::PostRow& post, const PostPayload& payload,
                           bool check_first) override {
    return poster_.deliver(post, payload, check_first);
  }
  std::string marker(const storage::PostRow& post) const override { return poster_.marker(post); }
  Status probe_ticket(const storage::PostRow& post) override { return poster_.probe_ticket(post); }
  std::optional<TimePoint> unavailable_until(TimePoint now) override {
    return poster_.unavailable_until(now);
  }
  bool recovering(TimePoint now) override { return poster_.recovering(now); }
  Result<std::vector<PsaMember>> list_members() override { return members_.list(); }
  Result<std::vector<PsaStatus>> list_statuses(std::int64_t ticket_id) override;
  Status pull_opportunities(const PullContext& ctx, PullStats& stats) override;
  Status list_opportunity_ids(const PullContext& ctx, PullStats& stats,
                              const IdPageSink& sink) override;
  Status pull_tickets(const PullContext& ctx, PullStats& stats) override;
  Status reconcile_tickets(const PullContext& ctx, PullStats& stats,
                           ReconcileResult& out) override;
  Result<PsaCheck> check() override;
  std::string check_endpoint() const override { return "GET system/members?pageSize=1"; }
  std::string diagnose(const Error& e) const override { return diagnose_connectwise(e); }

  MemberDirectory& members() { return members_; }

 private:
  PsaEndpoint& psa_;
  MemberDirectory members_;
  StatusDirectory statuses_;
  PsaPoster poster_;
};

}  // namespace cwsync
