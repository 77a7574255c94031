// The crash campaign's checks of status posts (kind "status"). A status
// change carries no marker and is idempotent (ConnectWise PATCH replace,
// Autotask PATCH), so "applied once" does not apply; instead, from cwsim's
// request log (PATCH entries whose `handled` is 2xx: the handler applied them,
// even when the answer was lost) and its ticket store, never from the
// daemon's own account:
//
// - applied: every status post was applied at least once: a PATCH of its
//   ticket to its status, or, when it was delivered with the status already
//   in place (a retry that checked first), the status an earlier post left;
// - in order: per ticket, the applied PATCHes follow the status posts'
//   enqueue order (no PATCH that no post explains, none of an earlier post
//   after a later one's), and at the end the ticket's status at cwsim is the
//   one of its last status post;
// - a status post is `dead` only with an HTTP status that cwsim's handler
//   really answered to a PATCH of that ticket; otherwise it counts as lost.
//
// Also, for every post: on one ticket, posts go out in enqueue order, so at
// any moment the delivered ones (`succeeded`, `dead`) come before the
// undelivered ones (`pending`, `in_flight`).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "campaign_checks.h"
#include "sim_control.h"

namespace cwsync::test {

class StatusLedger {
 public:
  // Reads the valid status names of every ticket and its status now.
  explicit StatusLedger(const SimControl& sim);

  // The status names cwsim accepts for `ticket` of `provider`
  // ("connectwise": its board's statuses; "autotask": the active values of
  // the Tickets status picklist).
  const std::vector<std::string>& names(const std::string& provider, int ticket) const;

  // Records an enqueued status post (in enqueue order).
  void add(const CampaignPost& post, const std::string& status_name);

  // After a kill (`final` false: posts not delivered yet need no PATCH) or
  // after the final drain (`final` true: also each ticket's end status).
  void check(const std::string& db_path, const SimControl& sim, bool final, Findings& f);

  struct Summary {
    int posts = 0;     // status posts enqueued
    int applied = 0;   // shown applied by the last check
    int in_order = 0;  // on tickets whose PATCHes and end status followed the order
    int dead = 0;
  };
  // Per provider, as of the last check.
  std::map<std::string, Summary> summary() const;

 private:
  struct Post {
    std::int64_t id = 0;
    std::string name;
    std::string db_status;  // as of the last check
    bool applied = false;   // as of the last check
  };
  using Key = std::pair<std::string, int>;  // provider, ticket

  // Adds a finding the first time `what` is seen (true): a problem that
  // stays is found again after every later kill.
  bool report(Findings& f, int Findings::*counter, const std::string& what);
  std::int64_t status_id(const Key& k, const std::string& name) const;
  std::string status_name(const Key& k, std::int64_t id) const;

  std::map<Key, std::vector<std::string>> names_;
  std::map<Key, std::map<std::string, std::int64_t>> ids_;  // name -> status id, per ticket
  std::map<Key, std::int64_t> initial_;                     // status before the campaign
  std::map<Key, std::vector<Post>> posts_;
  std::map<Key, bool> ordered_;  // per ticket, as of the last check
  std::set<std::string> reported_;
};

// On every (tenant, ticket): no post `pending`/`in_flight` before (by id) a
// `succeeded` or `dead` one. Counts into Findings::out_of_order.
void check_ticket_order(const std::string& db_path, Findings& f);

}  // namespace cwsync::test
