// Invariants the crash campaign checks after every `kill -9` of the daemon,
// and the final "quiet" comparison of the cache with the simulator. Each
// check reads the real SQLite file and cwsim's control API; none trusts the
// daemon's own account of what it did.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim_control.h"

namespace SQLite { class Database; }

namespace cwsync::test {

// A post the campaign enqueued, with the marker cwsync appends to its text
// (a status post carries none: its marker is never sent).
struct CampaignPost {
  std::int64_t id = 0;
  std::string kind;    // "note" | "time_entry" | "status"
  std::string marker;  // e.g. "[cwsync:7f3a9c1e]"
  std::string provider = "connectwise";  // "connectwise" | "autotask": where it is delivered
  int ticket = 0;
};

struct Findings {
  int integrity_failures = 0;
  int lost = 0;            // an enqueued post missing, or in an unknown state
  int duplicated = 0;      // a post applied more than once at cwsim
  int cursor_ahead = 0;    // sync_state points past every committed row
  int log_gaps = 0;        // a post's activity log does not explain its state
  int out_of_order = 0;    // a ticket's posts or status changes not in enqueue order
  int status_not_applied = 0;  // a delivered status post that cwsim never applied
  std::vector<std::string> details;  // the first few, for the report
  // lost and duplicated again, by the post's provider
  std::map<std::string, int> lost_by_provider, duplicated_by_provider;

  int total() const {
    return integrity_failures + lost + duplicated + cursor_ahead + log_gaps + out_of_order +
           status_not_applied;
  }
  void add(int Findings::*counter, const std::string& what);
};

// PRAGMA integrity_check, every post present in a known state, the activity
// log consistent with each post's state (every kind, status posts included),
// cursors not ahead of their rows, and no marker more than once at cwsim.
// Status posts' own checks are in status_checks.h.
void check_invariants(const std::string& db_path, const std::vector<CampaignPost>& posts,
                      const SimControl& sim, Findings& f);

// How many times each note's and time entry's marker appears in cwsim's notes
// and time entries, ConnectWise's and Autotask's together (0 = not applied, 1
// = applied once; a post sent to the wrong PSA counts there too). Status posts
// carry no marker and have no entry (see status_checks.h).
std::map<std::int64_t, int> applied_counts(const std::vector<CampaignPost>& posts,
                                           const SimControl& sim);

// The YAML of an Autotask tenant `name` against cwsim at `sim_base_url` (its
// default credentials; `secret` is the secret key line, e.g. "secret_env:
// X"), with `queue` as its queue settings. Its limiter is opened wide: cwsim
// runs with a high hourly limit too.
std::string autotask_tenant_yaml(const std::string& name, const std::string& sim_base_url,
                                 const std::string& secret, const std::string& queue);

// Inserts one post with plain SQL (docs/schema.md: the four columns another
// program writes; the provider column keeps its default, which either
// provider accepts), plus created_at/next_retry_at when `now` is given.
// Returns it with the marker cwsync will append.
CampaignPost insert_post(SQLite::Database& db, const std::string& tenant, const std::string& provider,
                         const std::string& kind, int ticket, const nlohmann::json& payload,
                         const std::string& now = "");

// Posts still pending or in flight.
int undelivered(const std::string& db_path);

// Live cache ids vs cwsim's visible records; empty when equal, else a
// description of the difference.
std::string compare_cache(const std::string& db_path, const SimControl& sim);

}  // namespace cwsync::test
