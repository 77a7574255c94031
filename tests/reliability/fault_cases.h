// The fault matrix's rows and the rig they run on.
//
// A FaultRig is one real setup: a cwsim process, a config file, a SQLite
// cache and a `cwsync run` daemon, with short intervals so a fault shows up
// and clears within seconds. A FaultCase says how to inject one kind of
// fault into that setup, how to clear it, and which documented log event
// must name it. fault_matrix.cpp runs every row through the same script:
// baseline sync, inject, enqueue posts and change upstream data, check the
// daemon while the fault holds, clear, check that it recovers.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "campaign_checks.h"
#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"
#include "tls_stub.h"

namespace SQLite { class Database; }

namespace cwsync::test {

// Where the tenant's two APIs live (both the cwsim port unless a row moves them).
struct Endpoints {
  std::string cpq_url;
  std::string psa_site;
};

// A place in a rig's log: which daemon, how many of its lines. A daemon
// started later is read from its first line.
struct LogMark {
  int daemon = 0;
  size_t line = 0;
};

class FaultRig {
 public:
  // Starts cwsim (small seeded data, fixed --now) in a fresh temp dir.
  FaultRig();
  ~FaultRig();
  FaultRig(const FaultRig&) = delete;
  FaultRig& operator=(const FaultRig&) = delete;

  // --- the simulator -------------------------------------------------------
  SimControl& sim() { return *control_; }
  int sim_port() const { return sim_->port(); }
  Endpoints sim_endpoints() const;
  // Stops cwsim; start_sim() brings up the same data again, on `port` (0: any).
  void stop_sim();
  void start_sim(int port = 0);

  // --- files -----------------------------------------------------------------
  const TempDir& dir() const { return dir_; }
  // Keeps the directory (config, cache, daemon output) after the rig is gone
  // and prints where it is: for a post-mortem of a failed row.
  void keep();
  std::filesystem::path db_dir() const { return dir_.file("db"); }
  std::string db_path() const { return (db_dir() / "cache.db").string(); }
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }
  // Writes the config (mode 0600) pointing the tenant at `where`; with
  // `autotask`, an Autotask tenant `contoso` at cwsim is added.
  void write_config(const Endpoints& where);
  // An Autotask row: the config has the Autotask tenant and the posts go to it.
  bool autotask = false;

  // --- the daemon --------------------------------------------------------------
  // `cwsync run`, with `daemon_env` added to the environment.
  void start_daemon();
  // The running daemon's pid (0 when none).
  pid_t daemon_pid() const;
  std::map<std::string, std::string> daemon_env;
  bool daemon_running();
  // Exit code once the daemon has exited within `timeout`, else nullopt.
  std::optional<int> daemon_exit(std::chrono::milliseconds timeout);
  // SIGTERM, then the exit code (nullopt when it did not exit within 10 s).
  std::optional<int> stop_daemon();
  // Rewrites the config and sends SIGHUP; true once `config_reloaded` is logged.
  bool reload(const Endpoints& where);
  // The daemon's stdout so far, and its stderr.
  std::string daemon_out() const;
  std::string daemon_err() const;
  // Stdout lines so far of the current daemon (JSON log lines of `cwsync run`).
  std::vector<std::string> log_lines() const;
  LogMark log_mark() const { return {daemons_started_, log_lines().size()}; }
  // First log line after `from` whose "event" is one of `events` and that
  // contains `needle` (may be empty), waiting up to `timeout`.
  std::optional<std::string> wait_for_event(const std::vector<std::string>& events,
                                            const std::string& needle, std::chrono::milliseconds timeout,
                                            LogMark from = {}) const;

  // --- database ---------------------------------------------------------------
  // Inserts two notes and a time entry with plain SQL (docs/schema.md), for
  // the Autotask tenant when `autotask`, and remembers their markers.
  void enqueue_posts();
  const std::vector<CampaignPost>& posts() const { return posts_; }
  // Posts by status.
  std::map<std::string, int> post_states() const;
  // last_error of every dead post.
  std::vector<std::string> dead_reasons() const;
  // sync_state's quotes cursor (modified_at), or "" when there is none yet.
  std::string quotes_cursor() const;  // also "" before the schema exists
  // The cached quote's modify_date, or "" when it is not cached.
  std::string cached_modify_date(const std::string& quote_id) const;

  // --- upstream data -----------------------------------------------------------
  // Modifies one visible quote at cwsim, stamped one hour before the daemon's
  // idea of now (so the cursor may pass it: it is older than the settle time).
  struct Change { std::string quote_id, timestamp; };
  Change modify_one_quote();

  // The daemon's wall clock minus the real one (only the clock row moves it).
  std::chrono::seconds daemon_clock_shift = std::chrono::seconds(0);

  // Resources a row holds while its fault is on (closed by the row or the
  // destructor).
  std::unique_ptr<SQLite::Database> lock_holder;    // BEGIN IMMEDIATE held
  std::vector<int> held_fds;                        // blackhole listener + fillers
  std::vector<std::filesystem::path> mounts;        // unmounted in the destructor
  std::unique_ptr<TlsStub> tls_stub;                // a self-signed TLS endpoint

 private:
  TempDir dir_{"cwsync-faults-"};
  std::unique_ptr<CwsimProcess> sim_;
  std::unique_ptr<SimControl> control_;
  std::unique_ptr<ChildProcess> daemon_;
  int daemons_started_ = 0;
  std::vector<CampaignPost> posts_;
  std::string sim_now_;
};

// One row of the matrix.
struct FaultCase {
  std::string name;           // the gtest parameter name
  std::string fault;          // what is injected, in words
  // While the fault holds, a line whose event is one of these (each listed in
  // docs/logging.md, level warn or error) and which contains `needle`.
  std::vector<std::string> events;
  std::string needle;
  // Events that must each be logged at some point after the fault began
  // (e.g. post_deduplicated where a POST was applied but its answer lost).
  std::vector<std::string> also_logged;
  // The fault stops every quotes pull: the cursor must hold still and the
  // changed quote must stay unseen until the fault clears.
  bool blocks_pull = true;
  // No post can be delivered while the fault holds (checked only for posts
  // enqueued after the fault was injected).
  bool blocks_posts = true;
  // Runs against the Autotask tenant (FaultRig::autotask): only its posts are
  // enqueued, and the ConnectWise tenant beside it keeps working.
  bool autotask = false;
  // Posts the PSA rejects for good: they end `dead` (and are never applied),
  // each with a last_error containing `dead_reason`; the rest are delivered.
  int dead = 0;
  std::string dead_reason;
  // Database faults: the posts are enqueued before the fault, since the
  // fault stops plain-SQL writers too.
  bool enqueue_before_fault = false;
  // The upstream is unreachable while the fault holds (cwsim itself is
  // down): the quote is changed once it is back, and cwsim's store is read
  // only then.
  bool upstream_down = false;
  // The documented exit code when the daemon must stop on this fault; the
  // row then restarts it after clearing, as systemd's Restart=on-failure does.
  std::optional<int> exit_code;
  // Before the daemon starts (mounts, preload), and turning the fault on.
  // Each returns why the fault cannot be produced on this machine (the row is
  // skipped with that reason), or ""; a step that should work and fails
  // throws (the row fails).
  std::function<std::string(FaultRig&)> prepare;
  std::function<std::string(FaultRig&)> inject;
  std::function<void(FaultRig&)> clear;
};

// gtest prints a row as its name and fault.
void PrintTo(const FaultCase& c, std::ostream* os);

// Every row, in the order the matrix runs them.
const std::vector<FaultCase>& fault_cases();

}  // namespace cwsync::test
