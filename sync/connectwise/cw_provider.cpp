#include "sync/connectwise/cw_provider.h"

#include "sync/connectwise/opportunity_puller.h"
#include "sync/connectwise/ticket_puller.h"

namespace cwsync {

ConnectWiseProvider::ConnectWiseProvider(PsaEndpoint& psa, const Clock& clock,
                                         std::string marker_format)
    : psa_(psa),
      members_(psa, clock),
      statuses_(psa, clock),
      poster_(psa, members_, statuses_, std::move(marker_format)) {}

Result<std::vector<PsaStatus>> ConnectWiseProvider::list_statuses(std::int64_t ticket_id) {
  auto t = statuses_.ticket(ticket_id);
  if (!t.ok()) return t.error();
  return statuses_.list(t->board_id);
}

Status ConnectWiseProvider::pull_opportunities(const PullContext& ctx, PullStats& stats) {
  return pull_psa_opportunities(ctx, stats);
}

Status ConnectWiseProvider::list_opportunity_ids(const PullContext& ctx, PullStats& stats,
                                                 const IdPageSink& sink) {
  return list_psa_opportunity_ids(ctx, stats, sink);
}

Status ConnectWiseProvider::pull_tickets(const PullContext& ctx, PullStats& stats) {
  return pull_cw_tickets(ctx, stats);
}

Status ConnectWiseProvider::reconcile_tickets(const PullContext& ctx, PullStats& stats,
                                              ReconcileResult& out) {
  return reconcile_cw_tickets(ctx, stats, out);
}

Result<PsaCheck> ConnectWiseProvider::check() {
  auto base = psa_.base_url();
  if (!base.ok()) return base.error();
  auto r = psa_.execute(get_request("system/members?pageSize=1&fields=id"),
                        single_attempt("check"));
  if (!r.ok()) return r.error();
  return PsaCheck{check_endpoint(), "codebase " + psa_.codebase().value_or("?") + " at " + *base};
}

}  // namespace cwsync
