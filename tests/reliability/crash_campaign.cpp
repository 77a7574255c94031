// The crash campaign: SQLite's way of earning trust, applied to cwsync.
//
// cwsim runs with scripted faults (applied-then-lost posts, 5xx, 429s,
// malformed pages) and the campaign mutates its data between rounds. Two
// tenants share the daemon: a ConnectWise one (CPQ + PSA) and an Autotask
// one (cwsim's Autotask personality). Each round enqueues posts for either
// with plain SQL (as another program would): notes, time entries and ticket
// status changes (15%, by a status name cwsim knows for the ticket), starts
// `cwsync run`, and kills it with SIGKILL: at a random moment, or at an
// instrumented crash point (CWSYNC_CRASH_AT, base/crash_point.h).
// After every kill the invariants in campaign_checks.h and status_checks.h
// must hold. At the end the faults are cleared, the daemon runs until the
// queue is empty, every note and time entry must have been applied exactly
// once, every status post at least once and in enqueue order per ticket
// (each ticket ends at its last status post's status), and the cache must
// equal cwsim.
//
//   crash_campaign [--crash-points N] [--budget S] [--long] [--seed N]
//
// Prints: crash points: N, lost: 0, duplicated: 0, integrity failures: 0
// (both providers' posts, status posts included in lost), then one line
// "by provider:" with each provider's posts and its status posts. Exit 0 only
// when every invariant held.
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "campaign_checks.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "status_checks.h"
#include "temp_dir.h"

extern char** environ;

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Options {
  int crash_points = 200;
  int budget_s = 300;
  bool long_mode = false;
  unsigned seed = 1;
};

// Runs the cwsync binary with `args` and `extra_env` added to ours, output
// appended to `log`. Returns the pid.
pid_t spawn_cwsync(const std::vector<std::string>& args, const std::string& log,
                   const std::vector<std::string>& extra_env = {}) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<std::string> full{CWSYNC_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy(extra_env);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, CWSYNC_BINARY, &fa, nullptr, argv.data(), envp.data()) != 0) {
    throw std::runtime_error("cannot spawn " + std::string(CWSYNC_BINARY));
  }
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int decode_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The exit code if `pid` ends within `limit`, else nullopt (still running).
std::optional<int> exit_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return decode_status(status);
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return decode_status(status);
}

int run_to_end(const std::vector<std::string>& args, const std::string& log) {
  return wait_exit(spawn_cwsync(args, log));
}

class Campaign {
 public:
  explicit Campaign(const Options& o)
      : opt_(o), rng_(o.seed),
        sim_({"--seed", std::to_string(o.seed), "--quotes", "150", "--opportunities", "40",
              "--tickets", "12", "--at-hourly-limit", "1000000"}),
        ctl_(sim_.port()) {}

  int run() {
    write_config();
    if (run_to_end({"--config", config_, "migrate"}, log_) != 0) return fail_setup("migrate");
    statuses_.emplace(ctl_);  // each ticket's valid status names and its status before any post
    arm_faults();
    const auto deadline = Clock::now() + std::chrono::seconds(opt_.budget_s);
    int points = 0;
    while (points < opt_.crash_points && Clock::now() < deadline) {
      enqueue_posts(2);
      if (points % 4 == 0) mutate_upstream();
      crash_once();
      ++points;
      check_all(false);
      if (findings_.total() > 0 && !opt_.long_mode) break;  // stop at the first failure
    }
    bool quiet_ok = settle_and_compare();
    std::cout << "crash points: " << points << ", lost: " << findings_.lost
              << ", duplicated: " << findings_.duplicated
              << ", integrity failures: " << findings_.integrity_failures
              << " (cursor ahead: " << findings_.cursor_ahead << ", log gaps: " << findings_.log_gaps
              << ", out of order: " << findings_.out_of_order
              << ", status not applied: " << findings_.status_not_applied << ", posts: " << posts_.size()
              << ", final check: " << (quiet_ok ? "ok" : "FAILED") << ")\n";
    print_by_provider();
    std::cout << "instrumented kills (hit/asked):";
    for (const auto& [name, st] : point_stats_) {
      std::cout << " " << name << " " << st.hit << "/" << st.hit + st.missed;
    }
    std::cout << "\n";
    // A renamed or removed crash point would silently turn those rounds into
    // plain timed kills; with enough rounds every point must have fired.
    int never_hit = 0;
    if (points >= 50) {
      for (const auto& [name, st] : point_stats_) {
        if (st.hit == 0) {
          ++never_hit;
          findings_.details.push_back("crash point " + name + " was never reached");
        }
      }
    }
    for (const auto& d : findings_.details) std::cout << "  " << d << "\n";
    if (findings_.total() > 0 || unexpected_exits_ > 0 || never_hit > 0 || !quiet_ok) {
      std::cout << "daemon log: " << log_ << " (kept)\n";
      dir_.release();
      return 1;
    }
    return 0;
  }

 private:
  // The lease is short because a kill -9 mid-delivery leaves the post in_flight
  // until its lease ends, with later posts on that ticket queued behind it; 3s
  // still exercises the reclaim path without outlasting the settle phase.
  void write_config() {
    std::ofstream(config_) << "database: " << db_ << "\n"
        "log: { level: info, format: json }\n"
        "defaults:\n"
        "  intervals: { quotes: 300ms, opportunities: 300ms, reconcile: 2s, queue: 100ms }\n"
        "  backoff: { base: 50ms, cap: 200ms, max_attempts: 3 }\n"
        "  retry_after_cap: 2s\n"
        "  http: { connect_timeout: 2s, read_timeout: 5s }\n"
        "  breaker: { failures: 50, cool_down: 200ms }\n"
        "tenants:\n"
        "  - name: acme\n"
        "    opportunities: psa\n"
        "    cpq:\n"
        "      base_url: " << sim_.base_url() << "\n"
        "      access_key: cwsim\n"
        "      public_key: cwsim-public\n"
        "      private_key_env: CAMPAIGN_KEY\n"
        "      rate_limit: { requests: 500, per: 1s }\n"
        "    psa:\n"
        "      site: " << sim_.base_url() << "\n"
        "      company_id: cwsim\n"
        "      public_key: cwsim-public\n"
        "      private_key_env: CAMPAIGN_KEY\n"
        "      client_id: 00000000-0000-0000-0000-000000000000\n"
        "      rate_limit: { requests: 500, per: 1s }\n"
        "    queue: { max_attempts: 1000, max_age: 72h, lease: 3s, settle: 1s }\n"
        << autotask_tenant_yaml("contoso", sim_.base_url(), "secret_env: CAMPAIGN_AT_SECRET",
                                "{ max_attempts: 1000, max_age: 72h, lease: 3s, settle: 1s }");
    setenv("CAMPAIGN_KEY", "cwsim-private", 1);
    setenv("CAMPAIGN_AT_SECRET", "cwsim-secret", 1);
  }

  void check_all(bool final) {
    check_invariants(db_, posts_, ctl_, findings_);
    statuses_->check(db_, ctl_, final, findings_);
    check_ticket_order(db_, findings_);
  }

  void arm_faults() {
    const int forever = 1000000;
    // Applied-then-lost on 20% of one PSA API's note and time-entry POSTs and
    // of its status PATCHes.
    auto applied_then_lost = [&](const char* api, const char* notes, const char* time_entries,
                                 const char* tickets) {
      for (const char* path : {notes, time_entries}) {
        ctl_.add_fault({{"kind", "applied_then_lost"}, {"api", api}, {"method", "POST"},
                        {"path", path}, {"probability", 0.2}, {"count", forever}});
      }
      ctl_.add_fault({{"kind", "applied_then_lost"}, {"api", api}, {"method", "PATCH"},
                      {"path", tickets}, {"probability", 0.2}, {"count", forever}});
    };
    applied_then_lost("psa", "*/notes", "*/time/entries", "*/service/tickets/*");
    for (const char* method : {"POST", "PATCH"}) {
      ctl_.add_fault({{"kind", "status"}, {"status", 500}, {"api", "psa"}, {"method", method},
                      {"probability", 0.05}, {"count", forever}});
    }
    ctl_.add_fault({{"kind", "status"}, {"status", 503}, {"api", "cpq"}, {"probability", 0.05},
                    {"count", forever}});
    ctl_.add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 1}, {"api", "psa"},
                    {"method", "GET"}, {"probability", 0.03}, {"count", forever}});
    ctl_.add_fault({{"kind", "truncate"}, {"api", "cpq"}, {"path", "/api/quoteItems"},
                    {"probability", 0.05}, {"count", forever}});
    ctl_.add_fault({{"kind", "wrong_type"}, {"api", "psa"}, {"path", "*/sales/opportunities"},
                    {"probability", 0.05}, {"count", forever}});
    // The Autotask tenant: applied-then-lost notes, time entries and status
    // PATCHes, and 503 on its POSTs and PATCHes (not 500: Autotask answers a
    // rejection with 500, which dead-letters the post by design).
    applied_then_lost("autotask", "*/Notes", "*/TimeEntries", "*/Tickets");
    for (const char* method : {"POST", "PATCH"}) {
      ctl_.add_fault({{"kind", "status"}, {"status", 503}, {"api", "autotask"}, {"method", method},
                      {"probability", 0.05}, {"count", forever}});
    }
  }

  // Posts enqueued (all kinds), notes and time entries applied once at the
  // end, posts found upstream after an ambiguous attempt (deduplicated), lost
  // and duplicated, then the status posts (status_checks.h), per provider.
  void print_by_provider() {
    std::map<std::string, int> enqueued, once, deduplicated;
    const std::map<std::int64_t, int> counts = applied_counts(posts_, ctl_);
    const auto status = statuses_->summary();
    SQLite::Database db(db_, SQLite::OPEN_READONLY, 5000);
    SQLite::Statement dedup(db, "SELECT COUNT(*) FROM psa_activity_log WHERE post_id = ? AND event = 'deduplicated'");
    for (const auto& p : posts_) {
      ++enqueued[p.provider];
      if (const auto c = counts.find(p.id); c != counts.end()) once[p.provider] += c->second == 1;
      dedup.bind(1, p.id);
      if (dedup.executeStep()) deduplicated[p.provider] += dedup.getColumn(0).getInt();
      dedup.reset();
    }
    std::cout << "by provider:";
    for (const auto& [provider, n] : enqueued) {
      std::cout << " " << provider << " posts: " << n << ", applied once: " << once[provider]
                << ", deduplicated: " << deduplicated[provider]
                << ", lost: " << findings_.lost_by_provider[provider]
                << ", duplicated: " << findings_.duplicated_by_provider[provider];
      const auto st = status.find(provider);
      const StatusLedger::Summary s = st == status.end() ? StatusLedger::Summary{} : st->second;
      std::cout << ", status posts: " << s.posts << ", applied: " << s.applied << ", in order: " << s.in_order
                << ", dead: " << s.dead << ";";
    }
    std::cout << "\n";
  }

  // Plain SQL, exactly as docs/schema.md tells another program to do it.
  void enqueue_posts(int n) {
    SQLite::Database db(db_, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA busy_timeout = 5000");
    std::uniform_int_distribution<int> ticket(1001, 1012);
    for (int k = 0; k < n; ++k) {
      // 15% status changes, 60% notes, 25% time entries.
      const int roll = std::uniform_int_distribution<int>(0, 19)(rng_);
      const char* kind = roll < 3 ? "status" : roll < 15 ? "note" : "time_entry";
      // One post in three goes to the Autotask tenant.
      const bool autotask = std::uniform_int_distribution<int>(0, 2)(rng_) == 0;
      const std::string provider = autotask ? "autotask" : "connectwise";
      const int t = ticket(rng_);
      std::string status_name;
      nlohmann::json payload;
      if (roll < 3) {
        // By name, as `cwsync enqueue status --status NAME` writes it: one
        // cwsim accepts for this ticket (its board's, or the picklist's).
        const auto& names = statuses_->names(provider, t);
        status_name = names[std::uniform_int_distribution<size_t>(0, names.size() - 1)(rng_)];
        payload = {{"status", status_name}};
      } else if (roll < 15) {
        payload = {{"text", "campaign note " + std::to_string(posts_.size())}, {"type", "internal"}};
      } else {
        payload = {{"start", "2026-11-20T09:00:00Z"}, {"end", "2026-11-20T09:30:00Z"},
                   {"rounding", "none"}, {"notes", "campaign time " + std::to_string(posts_.size())}};
      }
      posts_.push_back(insert_post(db, autotask ? "contoso" : "acme", provider, kind, t, payload));
      if (!status_name.empty()) statuses_->add(posts_.back(), status_name);
    }
  }

  void mutate_upstream() {
    static const std::vector<nlohmann::json> kinds = {
        {{"entity", "quotes"}, {"kind", "modify"}, {"count", 3}},
        {{"entity", "quotes"}, {"kind", "create"}, {"count", 2}},
        {{"entity", "quotes"}, {"kind", "bump_version"}, {"count", 1}},
        {{"entity", "quotes"}, {"kind", "delete"}, {"count", 1}},
        {{"entity", "opportunities"}, {"kind", "modify"}, {"count", 2}},
        {{"entity", "opportunities"}, {"kind", "delete"}, {"count", 1}},
    };
    ctl_.mutate(kinds[std::uniform_int_distribution<size_t>(0, kinds.size() - 1)(rng_)]);
  }

  // One crash point. Half the rounds kill the daemon at a random moment; the
  // other half ask it to SIGKILL itself at an instrumented point (see
  // base/crash_point.h), such as right after the PSA answered a POST but
  // before the outcome was recorded.
  void crash_once() {
    static const std::vector<std::string> kPoints = {
        "page_before_commit", "page_after_commit", "post_claimed", "post_sent", "post_recorded"};
    const bool instrumented = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
    std::string point;
    std::vector<std::string> env;
    if (instrumented) {
      point = kPoints[std::uniform_int_distribution<size_t>(0, kPoints.size() - 1)(rng_)];
      const int nth = std::uniform_int_distribution<int>(1, 3)(rng_);
      env.push_back("CWSYNC_CRASH_AT=" + point + ":" + std::to_string(nth));
    }
    const auto limit = instrumented ? std::chrono::milliseconds(2500)
                                    : std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 900)(rng_));
    pid_t pid = spawn_cwsync({"--config", config_, "run"}, log_, env);
    std::optional<int> code = exit_within(pid, limit);
    if (!code) {
      kill(pid, SIGKILL);
      wait_exit(pid);
      if (instrumented) ++point_stats_[point].missed;
      return;
    }
    if (instrumented && *code == 128 + SIGKILL) {
      ++point_stats_[point].hit;
      return;
    }
    ++unexpected_exits_;
    findings_.details.push_back("cwsync run exited by itself with " + std::to_string(*code));
  }

  // Faults off, run until the queue is empty, stop cleanly, then compare.
  bool settle_and_compare() {
    ctl_.clear_faults();
    pid_t pid = spawn_cwsync({"--config", config_, "run"}, log_);
    std::this_thread::sleep_for(1s);  // at least one sync and drain cycle
    const auto limit = Clock::now() + 90s;
    while (undelivered(db_) > 0 && Clock::now() < limit) std::this_thread::sleep_for(200ms);
    kill(pid, SIGTERM);
    const int code = wait_exit(pid);
    bool ok = true;
    auto problem = [&](const std::string& what) {
      ok = false;
      findings_.details.push_back("final: " + what);
    };
    if (code != 0) problem("cwsync run exited " + std::to_string(code) + " on SIGTERM");
    if (int left = undelivered(db_); left > 0) problem(std::to_string(left) + " posts never delivered");
    for (const auto& [id, n] : applied_counts(posts_, ctl_)) {
      if (n != 1) problem("post " + std::to_string(id) + " applied " + std::to_string(n) + " times");
    }
    check_all(true);
    // Per tenant: the Autotask tenant has no CPQ connection, so it has
    // opportunities but no quotes to pull (a `sync --full` over all tenants
    // reports its quotes as failed).
    if (run_to_end({"--config", config_, "sync", "--once", "--full", "--tenant", "acme"}, log_) != 0 ||
        run_to_end({"--config", config_, "sync", "--once", "--full", "--tenant", "contoso", "--entity",
                    "opportunities"}, log_) != 0) {
      problem("full sync failed");
    }
    if (run_to_end({"--config", config_, "sync", "--once", "--entity", "reconcile"}, log_) != 0) {
      problem("reconcile failed");
    }
    if (std::string d = compare_cache(db_, ctl_); !d.empty()) problem("cache differs: " + d);
    return ok;
  }

  int fail_setup(const std::string& what) {
    std::cout << "setup failed: " << what << "; log: " << log_ << "\n";
    dir_.release();
    return 1;
  }

  Options opt_;
  std::mt19937 rng_;
  TempDir dir_{"cwsync-crash-"};
  std::string db_ = dir_.file("cache.db").string();
  std::string config_ = dir_.file("cwsync.yaml").string();
  std::string log_ = dir_.file("daemon.log").string();
  CwsimProcess sim_;
  SimControl ctl_;
  std::vector<CampaignPost> posts_;
  std::optional<StatusLedger> statuses_;
  Findings findings_;
  struct PointStats {
    int hit = 0;     // the daemon killed itself there
    int missed = 0;  // it did not reach the point in time; killed by us instead
  };
  std::map<std::string, PointStats> point_stats_;
  int unexpected_exits_ = 0;
};

}  // namespace
}  // namespace cwsync::test

int main(int argc, char** argv) {
  cwsync::test::Options o;
  CLI::App app{"cwsync crash campaign: kill -9 at random moments, check nothing is lost"};
  app.add_option("--crash-points", o.crash_points, "how many kill -9 rounds");
  app.add_option("--budget", o.budget_s, "stop starting rounds after this many seconds");
  app.add_flag("--long", o.long_mode, "an hour, or --crash-points, whichever ends first; keep going after a failure");
  app.add_option("--seed", o.seed, "randomness of moments, posts and mutations");
  CLI11_PARSE(app, argc, argv);
  if (o.long_mode) {
    o.budget_s = std::max(o.budget_s, 3600);
    if (o.crash_points == 200) o.crash_points = 1000000;
  }
  try {
    return cwsync::test::Campaign(o).run();
  } catch (const std::exception& e) {
    std::cout << "crash campaign aborted: " << e.what() << "\n";
    return 1;
  }
}
