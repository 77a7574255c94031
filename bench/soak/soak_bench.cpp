// soak_bench: runs `cwsync run` against cwsim for N simulated hours on an
// accelerated schedule and watches the daemon for slow leaks: resident memory
// (VmRSS), open file descriptors, threads, the size of cache.db and of its
// WAL. Prints a table (one row per simulated hour) and a verdict line against
// the targets: RSS growth under 5 %, no fd growth, a WAL bounded by
// checkpoints. Prints numbers; it never fails on them.
//
//   soak_bench [--hours 40] [--warmup-hours 8] [--cycle-ms 150] [--posts-per-hour 24]
//              [--quotes 1500] [--opportunities 300] [--no-faults] [--keep]
//
// Time mapping. Every job runs on the same interval, one "cycle" (--cycle-ms,
// default 150 ms): quotes, opportunities and the queue drain each cycle,
// reconcile every 12 cycles. One simulated hour is 12 cycles of wall time
// (1.8 s by default), i.e. the production default of a pull every 5 minutes,
// with a reconcile every hour instead of every day (more tombstone work, on
// purpose). A job whose run takes a noticeable part of the cycle runs less
// often (the next run is scheduled after the previous one ends, ±10 %
// jitter); the bench prints the measured sync runs per simulated hour.
//
// Load: first every quote and opportunity is touched (the CPQ day window
// then holds all of them, so each pull reads about 2 pages whatever the
// hour). Then, every cycle: one batch of cwsim mutations through its control
// API (quotes modified, created and deleted, a version bump every 3rd cycle,
// opportunities modified, created and deleted; timestamps from StampClock,
// so each change is pulled once as in production), posts-per-hour/12 notes
// inserted into psa_posts with SQL (the documented consumer path), and a
// scrape of /metrics and /healthz on a fresh connection. Once per simulated
// hour a note is enqueued with `cwsync enqueue`. Unless --no-faults, cwsim
// fails 3 % of note POSTs with 500, loses the response of 2 % after applying
// them, and answers 503 to 2 % of CPQ quote pages.
//
// Readings. The table samples /proc/<pid>/status (VmRSS, Threads),
// /proc/<pid>/fd and the file sizes once per simulated hour; the warm-up
// hours (first full pull, SQLite page caches filling) are shown but not
// measured. RSS and fds "start" and "end" are medians of the first and last
// five hourly samples, because one sample may catch a pull's JSON in memory
// or a connection in flight. The WAL is read every cycle from the wal-index
// header in cache.db-shm (live frames, frames not yet checkpointed), since
// the -wal file's size is only a high-water mark. The defaults take about
// 90 s of wall time.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "cwsim_process.h"
#include "http_client.h"
#include "sim_control.h"
#include "temp_dir.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kCyclesPerHour = 12;
// Hourly samples in the start and end medians.
constexpr std::size_t kMedianWindow = 5;
// Tables whose row counts are reported as growth per simulated hour.
const std::vector<std::string> kTables = {"cpq_quotes", "cpq_quote_items", "cpq_opportunities",
                                          "sync_runs", "psa_posts", "psa_activity_log"};

struct Args {
  int hours = 40, warmup_hours = 8, cycle_ms = 150, posts_per_hour = 24;
  int quotes = 1500, opportunities = 300;
  bool faults = true, keep = false;
};

// Thrown to main, so that every child process is stopped on the way out.
[[noreturn]] void die(const std::string& what) { throw std::runtime_error(what); }

Args parse_args(int argc, char** argv) {
  Args a;
  const char* usage =
      "usage: soak_bench [--hours N] [--warmup-hours N] [--cycle-ms MS] [--posts-per-hour N]\n"
      "                  [--quotes N] [--opportunities N] [--no-faults] [--keep]\n";
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--no-faults") { a.faults = false; continue; }
    if (k == "--keep") { a.keep = true; continue; }
    if (i + 1 >= argc) die(std::string("missing value for ") + k + "\n" + usage);
    int v = std::atoi(argv[++i]);
    if (k == "--hours") a.hours = v;
    else if (k == "--warmup-hours") a.warmup_hours = v;
    else if (k == "--cycle-ms") a.cycle_ms = v;
    else if (k == "--posts-per-hour") a.posts_per_hour = v;
    else if (k == "--quotes") a.quotes = v;
    else if (k == "--opportunities") a.opportunities = v;
    else die("unknown option " + k + "\n" + usage);
  }
  if (a.hours < 1 || a.warmup_hours < 0 || a.cycle_ms < 20 || a.posts_per_hour < 0) die(usage);
  return a;
}

// What /proc says about the daemon, and the database files' sizes.
struct Sample {
  int hour = 0;
  double wall_s = 0;
  long rss_kb = 0;
  int fds = 0, threads = 0;
  std::uintmax_t db_bytes = 0, wal_bytes = 0;
  std::map<std::string, long long> rows;
  std::map<std::string, long long> posts;  // by status
};

long proc_status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + ":", 0) == 0) return std::atol(line.c_str() + name.size() + 1);
  }
  return -1;
}

int count_fds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

std::uintmax_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// The live part of the WAL, from the wal-index header in cache.db-shm
// (sqlite.org/walformat.html, native byte order): mxFrame, the last valid
// frame, at offset 16; nBackfill, the frames already copied into the
// database, at offset 96. The -wal file's size is only a high-water mark.
struct WalIndex {
  std::uint32_t frames = 0, backfilled = 0;
};

WalIndex read_wal_index(const fs::path& shm) {
  std::ifstream in(shm, std::ios::binary);
  char header[100];
  WalIndex w;
  if (!in.read(header, sizeof header)) return w;
  std::memcpy(&w.frames, header + 16, 4);
  std::memcpy(&w.backfilled, header + 96, 4);
  return w;
}

// SIGKILLs and reaps a child that is still running when the bench leaves.
struct ChildGuard {
  pid_t pid = -1;
  ~ChildGuard() {
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// Spawns `args` with stdout/stderr into files; returns the pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) die("cannot spawn " + args[0]);
  return pid;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds limit) {
  auto end = Steady::now() + limit;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (Steady::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The listener's port from the daemon's `http_listening` log line.
int wait_for_port(const fs::path& log, pid_t pid) {
  auto end = Steady::now() + std::chrono::seconds(30);
  while (Steady::now() < end) {
    std::istringstream lines(read_text(log));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"event\":\"http_listening\"") == std::string::npos) continue;
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("port")) return j["port"].get<int>();
    }
    if (wait_exit(pid, std::chrono::milliseconds(0))) die("the daemon exited at start-up");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  die("the daemon did not start listening in 30 s");
}

std::string config_text(const Args& a, const fs::path& db, const std::string& base) {
  auto ms = [](int v) { return std::to_string(v) + "ms"; };
  return "database: " + db.string() + "\n"
         "log: { level: info, format: json }\n"
         "http_listen: 127.0.0.1:0\n"
         "defaults:\n"
         "  intervals: { quotes: " + ms(a.cycle_ms) + ", opportunities: " + ms(a.cycle_ms) +
         ", reconcile: " + ms(a.cycle_ms * kCyclesPerHour) + ", queue: " + ms(a.cycle_ms) + " }\n"
         "  backoff: { base: 20ms, cap: 200ms, max_attempts: 4 }\n"
         "  http: { connect_timeout: 2s, read_timeout: 5s }\n"
         "  breaker: { failures: 20, cool_down: 1s }\n"
         "tenants:\n"
         "  - name: soak\n"
         "    opportunities: psa\n"
         "    cpq: { base_url: " + base + ", access_key: cwsim, public_key: cwsim-public,"
         " private_key: cwsim-private, rate_limit: { requests: 100000, per: 1s } }\n"
         "    psa: { site: " + base + ", company_id: cwsim, public_key: cwsim-public,"
         " private_key: cwsim-private, client_id: 00000000-0000-0000-0000-000000000000,"
         " rate_limit: { requests: 100000, per: 1s } }\n"
         "    queue: { max_attempts: 20, lease: 2s }\n";
}

// One cycle's worth of upstream change; creates balance deletes so the data
// set stays about the same size while the cache keeps its tombstones.
// Upstream timestamps for the mutations. cwsync re-reads a row until it is
// older than its 5-minute settle window (docs/sync.md), a window in wall
// time that the accelerated schedule does not shrink: stamped "now", every
// change of the whole soak would be re-read and re-written on every pull.
// So mutations carry the times of a clock that starts far enough in the past
// to stay behind the settle window until the end, and advances one second
// per cycle: each change is pulled once, as in production with 5-minute
// intervals, and timestamps never tie across cycles (PSA has second
// precision).
class StampClock {
 public:
  explicit StampClock(int total_cycles)
      : base_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
              std::chrono::seconds(kSettleSeconds + total_cycles + 120)) {}
  // ISO-8601 UTC, second precision; cycle -1 is the initial touch.
  std::string at(int cycle) const {
    std::time_t t = std::chrono::system_clock::to_time_t(base_ + std::chrono::seconds(cycle + 1));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

 private:
  static constexpr int kSettleSeconds = 300;
  std::chrono::system_clock::time_point base_;
};

json mutations_for(int cycle, const StampClock& clock) {
  json batch = json::array({
      {{"entity", "quotes"}, {"kind", "modify"}, {"count", 4}},
      {{"entity", "quotes"}, {"kind", "create"}, {"count", 1}},
      {{"entity", "quotes"}, {"kind", "delete"}, {"count", 1}},
      {{"entity", "opportunities"}, {"kind", "modify"}, {"count", 2}},
  });
  if (cycle % 3 == 0) batch.push_back({{"entity", "quotes"}, {"kind", "bump_version"}, {"count", 1}});
  if (cycle % 4 == 0) {
    batch.push_back({{"entity", "opportunities"}, {"kind", "create"}, {"count", 1}});
    batch.push_back({{"entity", "opportunities"}, {"kind", "delete"}, {"count", 1}});
  }
  for (auto& m : batch) m["timestamp"] = clock.at(cycle);
  return batch;
}

void arm_faults(const cwsync::test::SimControl& sim) {
  sim.add_fault({{"kind", "status"}, {"status", 500}, {"method", "POST"}, {"path", "*/notes"},
                 {"count", -1}, {"probability", 0.03}});
  sim.add_fault({{"kind", "applied_then_lost"}, {"method", "POST"}, {"path", "*/notes"},
                 {"count", -1}, {"probability", 0.02}});
  sim.add_fault({{"kind", "status"}, {"status", 503}, {"api", "cpq"}, {"path", "/api/quotes"},
                 {"count", -1}, {"probability", 0.02}});
}

Sample take_sample(pid_t pid, const fs::path& db_path, SQLite::Database& db, int hour,
                   Steady::time_point t0) {
  Sample s;
  s.hour = hour;
  s.wall_s = std::chrono::duration<double>(Steady::now() - t0).count();
  s.rss_kb = proc_status_field(pid, "VmRSS");
  s.threads = static_cast<int>(proc_status_field(pid, "Threads"));
  s.fds = count_fds(pid);
  s.db_bytes = size_or_zero(db_path);
  s.wal_bytes = size_or_zero(db_path.string() + "-wal");
  for (const auto& t : kTables) s.rows[t] = db.execAndGet("SELECT count(*) FROM " + t).getInt64();
  SQLite::Statement q(db, "SELECT status, count(*) FROM psa_posts GROUP BY status");
  while (q.executeStep()) s.posts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  return s;
}

void print_row(const Sample& s, const char* note) {
  auto posts = [&](const char* st) {
    auto it = s.posts.find(st);
    return it == s.posts.end() ? 0LL : it->second;
  };
  std::printf("%5d %7.1f %9ld %5d %7d %9.1f %8.1f %8lld %6lld %6lld %8lld  %s\n", s.hour, s.wall_s,
              s.rss_kb, s.fds, s.threads, static_cast<double>(s.db_bytes) / 1024.0,
              static_cast<double>(s.wal_bytes) / 1024.0, posts("succeeded"),
              posts("pending") + posts("in_flight"), posts("dead"), s.rows.at("cpq_quotes"), note);
  std::fflush(stdout);
}

// Median of `field` over samples [from, to): one sample can catch a pull's
// JSON in memory or an HTTP connection in flight, so start and end are each
// the median of several hourly samples.
template <typename Field>
double median_of(const std::vector<Sample>& v, std::size_t from, std::size_t to, Field field) {
  std::vector<double> xs;
  for (std::size_t k = from; k < to && k < v.size(); ++k) xs.push_back(static_cast<double>(field(v[k])));
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  return xs.size() % 2 ? xs[xs.size() / 2] : (xs[xs.size() / 2 - 1] + xs[xs.size() / 2]) / 2;
}

// Least-squares slope of RSS (KiB) per simulated hour over the measured part.
double rss_slope(const std::vector<Sample>& v) {
  if (v.size() < 2) return 0;
  double n = static_cast<double>(v.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& s : v) {
    double x = s.hour, y = static_cast<double>(s.rss_kb);
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  double d = n * sxx - sx * sx;
  return d == 0 ? 0 : (n * sxy - sx * sy) / d;
}

int run_soak(const Args& a) {
  cwsync::test::TempDir dir("cwsync-soak-");
  if (a.keep) dir.release();
  const fs::path db_path = dir.file("cache.db");

  cwsync::test::CwsimProcess sim({"--seed", "7", "--quotes", std::to_string(a.quotes),
                                  "--opportunities", std::to_string(a.opportunities),
                                  "--tickets", "50", "--threads", "4"});
  cwsync::test::SimControl control(sim.port());
  if (a.faults) arm_faults(control);
  // Touch every quote and opportunity first. The CPQ cursor has day
  // granularity, so each incremental pull reads every quote modified since
  // yesterday (and skips those not newer than the cursor); with all of them
  // in that window from the start, the per-pull work is constant (a busy
  // day) instead of growing as random mutations reach more quotes, which
  // would show up as RSS growth that is workload, not a leak.
  const StampClock stamps((a.warmup_hours + a.hours) * kCyclesPerHour);
  control.mutate(json::array({{{"entity", "quotes"}, {"kind", "modify"}, {"count", a.quotes},
                               {"timestamp", stamps.at(-1)}},
                              {{"entity", "opportunities"}, {"kind", "modify"},
                               {"count", a.opportunities}, {"timestamp", stamps.at(-1)}}}));
  const fs::path config = dir.file("cwsync.yaml");
  {
    std::ofstream out(config);
    out << config_text(a, db_path, sim.base_url());
  }
  fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);

  // A private copy: a rebuild of build/default during the soak must not pull
  // the binary from under us.
  const std::string binary = dir.file("cwsync").string();
  fs::copy_file(CWSYNC_BINARY, binary);
  ChildGuard guard;
  const pid_t daemon = spawn({binary, "--config", config.string(), "run"},
                             dir.file("daemon.out"), dir.file("daemon.err"));
  guard.pid = daemon;
  const int http_port = wait_for_port(dir.file("daemon.out"), daemon);
  SQLite::Database db(db_path.string(), SQLite::OPEN_READWRITE, 5000);
  SQLite::Statement insert(db, "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
                               "VALUES ('soak', 'note', ?, ?)");

  const double hour_s = a.cycle_ms * kCyclesPerHour / 1000.0;
  std::printf("soak: %d simulated hours after %d of warm-up; 1 simulated hour = %d cycles of "
              "%d ms = %.1f s wall; %d posts/hour; faults %s; daemon pid %d, dir %s\n",
              a.hours, a.warmup_hours, kCyclesPerHour, a.cycle_ms, hour_s, a.posts_per_hour,
              a.faults ? "on" : "off", static_cast<int>(daemon), dir.path().c_str());
  std::printf("%5s %7s %9s %5s %7s %9s %8s %8s %6s %6s %8s\n", "hour", "wall_s", "rss_kb", "fds",
              "threads", "db_kb", "wal_kb", "posts_ok", "queued", "dead", "quotes");

  const auto t0 = Steady::now();
  const int total_cycles = (a.warmup_hours + a.hours) * kCyclesPerHour;
  std::vector<Sample> measured;
  std::uintmax_t max_wal_file = 0;
  // WAL maxima of the measured hours; the warm-up's first full pull (every
  // quote and item) is one large write and is reported apart.
  std::uint32_t max_frames = 0, max_frames_first_half = 0, max_unbackfilled = 0;
  std::uint32_t warmup_max_frames = 0;
  int posts_inserted = 0, scrape_failures = 0, cli_failures = 0, enqueued_cli = 0;
  double post_credit = 0;
  for (int cycle = 0; cycle < total_cycles; ++cycle) {
    const auto cycle_start = Steady::now();
    if (wait_exit(daemon, std::chrono::milliseconds(0))) die("the daemon exited during the soak");
    if (cycle % kCyclesPerHour == 0) {
      const int hour = cycle / kCyclesPerHour - a.warmup_hours;
      Sample s = take_sample(daemon, db_path, db, hour, t0);
      print_row(s, hour < 0 ? "warm-up" : (hour == 0 ? "start" : ""));
      if (hour >= 0) measured.push_back(std::move(s));
      // A note through the CLI once per simulated hour, alongside the SQL inserts.
      pid_t cli = spawn({binary, "--config", config.string(), "enqueue", "note", "--ticket",
                         std::to_string(1001 + cycle % 50), "--text", "soak cli note " + std::to_string(cycle)},
                        dir.file("enqueue.out"), dir.file("enqueue.err"));
      auto rc = wait_exit(cli, std::chrono::seconds(30));
      if (!rc) {
        kill(cli, SIGKILL);
        waitpid(cli, nullptr, 0);
      }
      ++enqueued_cli;
      cli_failures += rc != 0;
    }
    control.mutate(mutations_for(cycle, stamps));
    post_credit += static_cast<double>(a.posts_per_hour) / kCyclesPerHour;
    for (; post_credit >= 1; post_credit -= 1) {
      insert.bind(1, 1001 + posts_inserted % 50);
      insert.bind(2, json{{"text", "soak note " + std::to_string(posts_inserted)}}.dump());
      insert.exec();
      insert.reset();
      ++posts_inserted;
    }
    for (const char* path : {"/metrics", "/healthz"}) {
      auto r = cwsync::test::http_request(http_port, "GET", path);
      scrape_failures += r.status == 0 ? 1 : 0;
    }
    max_wal_file = std::max(max_wal_file, size_or_zero(db_path.string() + "-wal"));
    const WalIndex wal = read_wal_index(db_path.string() + "-shm");
    const int measured_cycle = cycle - a.warmup_hours * kCyclesPerHour;
    if (measured_cycle < 0) {
      warmup_max_frames = std::max(warmup_max_frames, wal.frames);
    } else {
      max_frames = std::max(max_frames, wal.frames);
      if (wal.frames >= wal.backfilled) {
        max_unbackfilled = std::max(max_unbackfilled, wal.frames - wal.backfilled);
      }
      if (measured_cycle < a.hours * kCyclesPerHour / 2) {
        max_frames_first_half = std::max(max_frames_first_half, wal.frames);
      }
    }
    std::this_thread::sleep_until(cycle_start + std::chrono::milliseconds(a.cycle_ms));
  }
  Sample end = take_sample(daemon, db_path, db, a.hours, t0);
  print_row(end, "end");
  measured.push_back(end);
  const Sample& start = measured.front();

  kill(daemon, SIGTERM);
  const auto stop_t0 = Steady::now();
  auto code = wait_exit(daemon, std::chrono::seconds(15));
  const double stop_s = std::chrono::duration<double>(Steady::now() - stop_t0).count();
  if (!code) {
    kill(daemon, SIGKILL);
    waitpid(daemon, nullptr, 0);
  }
  guard.pid = -1;
  const auto db_after_stop = size_or_zero(db_path);

  // What the daemon did, from the database and its log.
  const std::string integrity = db.execAndGet("PRAGMA integrity_check").getString();
  const long long page_size = db.execAndGet("PRAGMA page_size").getInt64();
  const long long autocheckpoint = db.execAndGet("PRAGMA wal_autocheckpoint").getInt64();
  std::map<std::string, int> levels, warn_events;
  {
    std::istringstream lines(read_text(dir.file("daemon.out")));
    for (std::string line; std::getline(lines, line);) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object()) continue;
      const std::string level = j.value("level", "?");
      ++levels[level];
      if (level == "warn" || level == "error") ++warn_events[level + " " + j.value("event", "?")];
    }
  }
  // Every delivered note carries its post's marker; the same marker twice
  // would be a duplicate delivery.
  std::map<std::string, int> markers;
  const json notes = control.store("notes");  // named: the loop must not outlive it
  for (const auto& n : notes["notes"]) {
    const std::string text = n.value("text", "");
    const auto at = text.find("[cwsync:");
    if (at != std::string::npos) ++markers[text.substr(at, text.find(']', at) - at + 1)];
  }
  int notes_at_sim = 0, duplicated = 0;
  for (const auto& [marker, n] : markers) {
    notes_at_sim += n;
    duplicated += n - 1;
  }
  int faults_fired = 0;
  for (const auto& f : control.faults()) faults_fired += f.value("fired", 0);

  const double hours = a.hours;
  std::printf("\nsync runs per simulated hour: %.1f (at most %d: quotes and opportunities every "
              "cycle, 2 reconcile runs per hour)\n",
              static_cast<double>(end.rows.at("sync_runs") - start.rows.at("sync_runs")) / hours,
              2 * kCyclesPerHour + 2);
  std::printf("rows per simulated hour:");
  for (const auto& t : kTables) {
    std::printf(" %s %+.1f", t.c_str(), static_cast<double>(end.rows.at(t) - start.rows.at(t)) / hours);
  }
  std::printf("\nposts: %d inserted with SQL + %d with `cwsync enqueue` (%d failed); %lld "
              "succeeded; notes with a marker at cwsim: %d (duplicated: %d); faults fired: %d; "
              "scrape failures: %d\n",
              posts_inserted, enqueued_cli, cli_failures, end.posts["succeeded"], notes_at_sim,
              duplicated, faults_fired, scrape_failures);
  std::printf("daemon log: %d info, %d warn, %d error lines; SIGTERM -> exit %d in %.2f s; "
              "integrity_check: %s\n",
              levels["info"], levels["warn"], levels["error"], code.value_or(-1), stop_s,
              integrity.c_str());
  std::printf("warn/error events:");
  for (const auto& [event, count] : warn_events) std::printf(" %s x%d", event.c_str(), count);
  std::printf("\n");

  // Start and end are medians of kMedianWindow hourly samples each.
  const std::size_t n = measured.size();
  const std::size_t window = std::max<std::size_t>(1, std::min(kMedianWindow, n / 2));
  auto rss = [](const Sample& x) { return x.rss_kb; };
  auto fds = [](const Sample& x) { return x.fds; };
  const double rss_start = median_of(measured, 0, window, rss);
  const double rss_end = median_of(measured, n - window, n, rss);
  const double rss_ratio = rss_end / rss_start;
  const double fd_growth = median_of(measured, n - window, n, fds) - median_of(measured, 0, window, fds);
  const auto [rss_lo, rss_hi] = std::minmax_element(
      measured.begin(), measured.end(), [](const Sample& x, const Sample& y) { return x.rss_kb < y.rss_kb; });
  const auto [fd_lo, fd_hi] = std::minmax_element(
      measured.begin(), measured.end(), [](const Sample& x, const Sample& y) { return x.fds < y.fds; });
  std::printf("RSS: median of the first %zu hourly samples %.0f KiB, of the last %zu %.0f KiB; "
              "min %ld, max %ld; slope %+.1f KiB/simulated hour\n",
              window, rss_start, window, rss_end, rss_lo->rss_kb, rss_hi->rss_kb, rss_slope(measured));
  std::printf("fds: first sample %d, last %d, min %d, max %d\n", start.fds, end.fds, fd_lo->fds,
              fd_hi->fds);

  // The WAL bound. cwsync keeps SQLite's default wal_autocheckpoint (1000
  // pages): a commit that leaves the WAL at >= 1000 frames runs a PASSIVE
  // checkpoint, and the next writer rewinds the WAL to its start once every
  // frame is backfilled and no reader still uses them. So the live WAL stays
  // under the threshold plus what is written before the rewind; allow one
  // more threshold's worth for that (large transactions, a reader holding an
  // old snapshot): 2 x 1000 frames. The file itself is only a high-water mark
  // (cwsync sets no journal_size_limit, so it never shrinks).
  const auto frame_bound = static_cast<std::uint32_t>(2 * autocheckpoint);
  const double frame_bytes = static_cast<double>(page_size + 24);
  auto kib_of_frames = [&](std::uint32_t f) { return (32 + f * frame_bytes) / 1024.0; };
  std::printf("WAL (measured hours): live frames max %u (%.0f KiB; first half %u), not yet "
              "checkpointed max %u; warm-up max %u frames; bound %u frames = 2 x wal_autocheckpoint "
              "%lld (%.0f KiB at page %lld + 24); -wal file high-water mark %.0f KiB; DB after stop "
              "%.0f KiB\n",
              max_frames, kib_of_frames(max_frames), max_frames_first_half, max_unbackfilled,
              warmup_max_frames,
              frame_bound, autocheckpoint, kib_of_frames(frame_bound), page_size,
              static_cast<double>(max_wal_file) / 1024.0, static_cast<double>(db_after_stop) / 1024.0);

  const double db_growth_kb =
      (static_cast<double>(end.db_bytes) - static_cast<double>(start.db_bytes)) / 1024.0 / hours;
  std::printf("soak verdict: %d simulated hours (%.1f s each), RSS end/start %.3f (target < 1.05) %s, "
              "fds end-start %+.0f (target 0) %s, threads %d->%d, max live WAL %u frames (bound %u) %s, "
              "DB growth %.1f KiB/simulated hour\n",
              a.hours, hour_s, rss_ratio, rss_ratio < 1.05 ? "ok" : "OVER", fd_growth,
              fd_growth == 0 ? "ok" : "GREW", start.threads, end.threads, max_frames, frame_bound,
              max_frames <= frame_bound ? "ok" : "OVER", db_growth_kb);
  sim.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_soak(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak_bench: %s\n", e.what());
    return 1;
  }
}
