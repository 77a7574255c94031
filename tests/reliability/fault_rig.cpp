// FaultRig: cwsim + config + SQLite cache + `cwsync run`, for fault_matrix.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "base/clock.h"
#include "fault_cases.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Readers may meet the daemon's write lock for a moment.
constexpr int kBusyMs = 3000;

SQLite::Database open_read_only(const std::string& path) {
  return SQLite::Database(path, SQLite::OPEN_READONLY, kBusyMs);
}

// cwsim's data must be identical when a row restarts it, so --now is fixed:
// yesterday 00:00 UTC, which keeps every generated date in the past.
std::string yesterday_midnight() {
  const auto today = std::chrono::floor<std::chrono::days>(SysClock::now());
  return format_iso8601(today - std::chrono::days(1));
}

}  // namespace

FaultRig::FaultRig() : sim_now_(yesterday_midnight()) {
  std::filesystem::create_directory(db_dir());
  start_sim();
}

FaultRig::~FaultRig() {
  daemon_.reset();  // SIGKILL if a failed row left it running
  if (lock_holder) {
    try {
      lock_holder->exec("ROLLBACK");
    } catch (const std::exception&) {
      // Already rolled back; closing the connection is what matters.
    }
    lock_holder.reset();
  }
  for (int fd : held_fds) ::close(fd);
  sim_.reset();
  for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
}

void FaultRig::keep() {
  dir_.release();
  std::cout << "kept for a post-mortem: " << dir_.path().string() << "\n";
}

Endpoints FaultRig::sim_endpoints() const { return {sim_->base_url(), sim_->base_url()}; }

void FaultRig::stop_sim() {
  if (sim_) sim_->stop();
}

void FaultRig::start_sim(int port) {
  sim_.reset();
  sim_ = std::make_unique<CwsimProcess>(std::vector<std::string>{
      "--port", std::to_string(port), "--seed", "11", "--quotes", "30", "--opportunities", "10",
      "--tickets", "6", "--items-per-quote", "2", "--now", sim_now_});
  control_ = std::make_unique<SimControl>(sim_->port());
}

// Short intervals and backoff so every row takes seconds; the queue never
// dead-letters within a row (max_attempts 1000), so "nothing lost" means
// every post ends up delivered.
void FaultRig::write_config(const Endpoints& where) {
  std::ostringstream text;
  text << "database: " << db_path() << "\n"
       << "log: { level: info, format: json }\n"
          "defaults:\n"
          "  intervals: { quotes: 300ms, opportunities: 300ms, reconcile: 24h, queue: 200ms }\n"
          "  backoff: { base: 50ms, cap: 200ms, max_attempts: 2 }\n"
          "  retry_after_cap: 2s\n"
          "  http: { connect_timeout: 1s, read_timeout: 1500ms }\n"
          "  breaker: { failures: 10, cool_down: 500ms }\n"
          "tenants:\n"
          "  - name: acme\n"
          "    opportunities: psa\n"
          "    cpq:\n"
          "      base_url: " << where.cpq_url << "\n"
       << "      access_key: cwsim\n"
          "      public_key: cwsim-public\n"
          "      private_key: cwsim-private\n"
          "      rate_limit: { requests: 1000, per: 1s }\n"
          "    psa:\n"
          "      site: " << where.psa_site << "\n"
       << "      company_id: cwsim\n"
          "      public_key: cwsim-public\n"
          "      private_key: cwsim-private\n"
          "      client_id: 00000000-0000-0000-0000-000000000000\n"
          "      rate_limit: { requests: 1000, per: 1s }\n"
          "    queue: { max_attempts: 1000, max_age: 72h, lease: 2s, settle: 6s }\n";
  if (autotask) {
    text << autotask_tenant_yaml("contoso", sim_->base_url(), "secret: cwsim-secret",
                                 "{ max_attempts: 1000, max_age: 72h, lease: 2s, settle: 6s }");
  }
  write_private_file(config_path(), text.str());
}

void FaultRig::start_daemon() {
  daemon_.reset();
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"run", "--config", config_path()}, dir_.path(), daemon_env);
  ++daemons_started_;
}

pid_t FaultRig::daemon_pid() const { return daemon_ ? daemon_->pid() : 0; }

bool FaultRig::daemon_running() { return daemon_ && !daemon_->wait(0ms).has_value(); }

std::optional<int> FaultRig::daemon_exit(std::chrono::milliseconds timeout) {
  if (!daemon_) return std::nullopt;
  return daemon_->wait(timeout);
}

std::optional<int> FaultRig::stop_daemon() {
  if (!daemon_) return std::nullopt;
  daemon_->signal(SIGTERM);
  return daemon_->wait(10s);
}

bool FaultRig::reload(const Endpoints& where) {
  const LogMark from = log_mark();
  write_config(where);
  daemon_->signal(SIGHUP);
  return wait_for_event({"config_reloaded"}, "", 5s, from).has_value();
}

std::string FaultRig::daemon_out() const { return daemon_ ? daemon_->out() : ""; }
std::string FaultRig::daemon_err() const { return daemon_ ? daemon_->err() : ""; }

std::vector<std::string> FaultRig::log_lines() const {
  std::vector<std::string> lines;
  std::istringstream in(daemon_out());
  std::string line;
  while (std::getline(in, line)) {
    if (!in.eof()) lines.push_back(line);  // a last line without '\n' is still being written
  }
  return lines;
}

std::optional<std::string> FaultRig::wait_for_event(const std::vector<std::string>& events,
                                                    const std::string& needle,
                                                    std::chrono::milliseconds timeout,
                                                    LogMark from) const {
  const std::set<std::string> wanted(events.begin(), events.end());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto lines = log_lines();
    const size_t first = from.daemon == daemons_started_ ? from.line : 0;
    for (size_t i = first; i < lines.size(); ++i) {
      const json j = json::parse(lines[i], nullptr, false);
      if (!j.is_object() || !wanted.count(j.value("event", ""))) continue;
      if (needle.empty() || lines[i].find(needle) != std::string::npos) return lines[i];
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(50ms);
  }
}

void FaultRig::enqueue_posts() {
  SQLite::Database db(db_path(), SQLite::OPEN_READWRITE, kBusyMs);
  const std::string n = std::to_string(posts_.size());
  const std::vector<std::pair<std::string, json>> batch = {
      {"note", {{"text", "fault matrix note " + n}, {"type", "internal"}}},
      {"note", {{"text", "fault matrix note " + n + "+1"}, {"type", "internal"}}},
      {"time_entry", {{"start", "2026-11-20T09:00:00Z"}, {"end", "2026-11-20T09:30:00Z"},
                      {"rounding", "none"}, {"notes", "fault matrix time " + n}}},
  };
  int ticket = 1001 + static_cast<int>(posts_.size() % 6);
  for (const auto& [kind, payload] : batch) {
    // The enqueuing program shares the daemon's clock (the clock row moves it).
    const std::string now = format_iso8601(SysClock::now() + daemon_clock_shift);
    posts_.push_back(insert_post(db, autotask ? "contoso" : "acme", autotask ? "autotask" : "connectwise",
                                 kind, ticket++, payload, now));
  }
}

std::map<std::string, int> FaultRig::post_states() const {
  SQLite::Database db = open_read_only(db_path());
  SQLite::Statement q(db, "SELECT status, COUNT(*) FROM psa_posts GROUP BY status");
  std::map<std::string, int> out;
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt();
  return out;
}

std::vector<std::string> FaultRig::dead_reasons() const {
  SQLite::Database db = open_read_only(db_path());
  SQLite::Statement q(db, "SELECT coalesce(last_error, '') FROM psa_posts WHERE status = 'dead'");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::string FaultRig::quotes_cursor() const {
  // Also asked before the daemon has created and migrated the file.
  try {
    SQLite::Database db = open_read_only(db_path());
    SQLite::Statement q(db, "SELECT cursor_modified_at FROM sync_state "
                            "WHERE tenant = 'acme' AND entity = 'quotes'");
    if (!q.executeStep() || q.getColumn(0).isNull()) return "";
    return q.getColumn(0).getString();
  } catch (const SQLite::Exception&) {
    return "";
  }
}

std::string FaultRig::cached_modify_date(const std::string& quote_id) const {
  SQLite::Database db = open_read_only(db_path());
  SQLite::Statement q(db, "SELECT modify_date FROM cpq_quotes WHERE tenant = 'acme' AND id = ?");
  q.bind(1, quote_id);
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

FaultRig::Change FaultRig::modify_one_quote() {
  const json store = control_->get("/_sim/store/quotes?visible=1");
  const std::string id = store["quotes"].at(0)["id"].get<std::string>();
  const std::string stamp =
      format_iso8601(SysClock::now() + daemon_clock_shift - std::chrono::hours(1));
  control_->mutate({{"entity", "quotes"}, {"kind", "modify"}, {"ids", {id}}, {"timestamp", stamp}});
  return {id, stamp};
}

}  // namespace cwsync::test
