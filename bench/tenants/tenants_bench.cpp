// tenants_bench: one `cwsync run` carrying N tenants, each with its own rate
// budget, against one cwsim that enforces the same limit per tenant.
// For N in --counts (default 1,10,100,1000) it prints:
//  - wall time until every tenant's initial quote sync succeeded, and its
//    ratio to the N = 1 time of the same run (the budget binds, so the ideal
//    is 1.0: tenants sync side by side, not one after another);
//  - post delivery latency (INSERT into psa_posts → succeeded) p50/p99 for a
//    probe tenant, enqueued while the other tenants run their initial syncs;
//  - after the initial syncs, over an idle window: requests per tenant per
//    quotes interval, and the daemon's CPU % and RSS.
// Bounded: every wait has a deadline. Prints numbers, never asserts.
//
//   tenants_bench [--counts 1,10,100,1000] [--quotes 100] [--page-size 50]
//                 [--rate 1/1s] [--idle-interval 30] [--timeout 300]
// (--rate must be N/Ms, whole seconds.)
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "cwsim_process.h"
#include "temp_dir.h"

extern char** environ;

namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

struct Settings {
  std::vector<int> counts{1, 10, 100, 1000};
  int quotes = 100;
  int page_size = 50;               // small pages: requests, not rows, dominate
  std::string rate = "1/1s";       // per tenant, both the client budget and cwsim's limit
  int idle_interval_s = 30;
  int timeout_s = 300;
};

// `cwsync run` as a child; SIGTERM on destruction.
class Daemon {
 public:
  Daemon(const std::string& config, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, (log + ".err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> args{CWSYNC_BINARY, "run", "--config", config};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Daemon() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// utime + stime of `pid`, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A numeric field of /proc/PID/status ("VmRSS:" in kB, "Threads:"); 0 if absent.
long status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) return std::atol(line.c_str() + name.size());
  }
  return 0;
}

std::string rate_yaml(const std::string& rate) {
  auto slash = rate.find('/');
  return "{ requests: " + rate.substr(0, slash) + ", per: " + rate.substr(slash + 1) + " }";
}

// The same rate with twice the burst ("1/1s" → "2/2s"): the simulated
// upstream counts arrivals, which network jitter can bring closer together
// than the client's starts. `rate` is "N/Ms".
std::string sim_rate(const std::string& rate) {
  auto slash = rate.find('/');
  return std::to_string(2 * std::atoi(rate.substr(0, slash).c_str())) + "/" +
         std::to_string(2 * std::atoi(rate.substr(slash + 1).c_str())) + "s";
}

// Ten times `rate`'s requests in the same window.
std::string probe_rate(const std::string& rate) {
  auto slash = rate.find('/');
  return std::to_string(10 * std::atoi(rate.substr(0, slash).c_str())) + rate.substr(slash);
}

// N CPQ tenants t1..tN (cwsim access keys cwsim-1..N) and one PSA probe
// tenant that delivers posts (its queue runs every 200 ms; its budget is
// ten times a tenant's, so its own budget wait stays small).
std::string config_text(const Settings& s, int n, const std::string& base, const std::string& db,
                        int quotes_interval_s) {
  std::ostringstream y;
  y << "database: " << db << "\n"
    << "log: { level: warn }\n"
    << "defaults:\n"
    << "  intervals: { quotes: " << quotes_interval_s << "s, opportunities: 1h, reconcile: 24h, "
    << "queue: 1h }\n"
    << "  page_size: " << s.page_size << "\n"
    << "tenants:\n"
    << "  - name: probe\n"
    << "    intervals: { queue: 200ms, opportunities: 1h }\n"
    << "    psa:\n"
    << "      site: " << base << "\n"
    << "      company_id: cwsim\n"
    << "      public_key: cwsim-public\n"
    << "      private_key_env: CWSIM_KEY\n"
    << "      client_id: 00000000-0000-0000-0000-000000000000\n"
    << "      rate_limit: " << rate_yaml(probe_rate(s.rate)) << "\n";
  for (int i = 1; i <= n; ++i) {
    y << "  - name: t" << i << "\n"
      << "    cpq:\n"
      << "      base_url: " << base << "\n"
      << "      access_key: cwsim-" << i << "\n"
      << "      public_key: cwsim-public\n"
      << "      private_key_env: CWSIM_KEY\n"
      << "      rate_limit: " << rate_yaml(s.rate) << "\n";
  }
  return y.str();
}

// Tenants (other than the probe) with a successful quotes pull, or with
// `reconcile` a successful quotes reconcile.
int synced_tenants(SQLite::Database& db, bool reconcile = false) {
  try {
    SQLite::Statement q(db,
                        "SELECT COUNT(DISTINCT tenant) FROM sync_runs WHERE entity = 'quotes' "
                        "AND (kind = 'reconcile') = ? AND status = 'ok' AND tenant != 'probe'");
    q.bind(1, reconcile ? 1 : 0);
    return q.executeStep() ? q.getColumn(0).getInt() : 0;
  } catch (const std::exception&) {
    return 0;  // not migrated yet
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct RunResult {
  int n = 0;
  double initial_s = -1;            // -1: timed out
  std::vector<double> post_latency_s;
  double idle_requests_per_tenant = 0, idle_cpu_pct = 0;
  long rss_kb = 0;
  int threads = 0;
  double disk_kb_per_tenant = 0;    // cache.db + -wal after the initial syncs
};

RunResult run(const Settings& s, int n) {
  RunResult r;
  r.n = n;
  cwsync::test::TempDir dir("cwsync-tenants-bench-");
  cwsync::test::CwsimProcess sim({"--quotes", std::to_string(s.quotes), "--opportunities", "5",
                                  "--tickets", "5", "--items-per-quote", "2", "--tenants",
                                  std::to_string(n), "--rate-limit-per-tenant",
                                  "--cpq-rate-limit", sim_rate(s.rate), "--psa-rate-limit",
                                  sim_rate(probe_rate(s.rate)),
                                  "--threads", "32"});
  const std::string db_path = dir.file("cache.db").string();
  const std::string cfg = dir.file("cwsync.yaml").string();
  {
    std::ofstream(cfg) << config_text(s, n, sim.base_url(), db_path, s.idle_interval_s);
  }
  ::setenv("CWSIM_KEY", "cwsim-private", 1);
  const auto t0 = SteadyClock::now();
  Daemon daemon(cfg, dir.file("daemon.log").string());
  if (daemon.pid() <= 0) return r;
  while (!std::ifstream(db_path) && since(t0) < 10) std::this_thread::sleep_for(10ms);
  SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
  db.exec("PRAGMA busy_timeout = 5000");

  // Posts for the probe tenant while the others sync: one every 500 ms.
  struct Pending { long long id; SteadyClock::time_point at; };
  std::vector<Pending> pending;
  auto next_post = SteadyClock::now();
  int done = 0;
  while (since(t0) < s.timeout_s) {
    if (SteadyClock::now() >= next_post && pending.size() + r.post_latency_s.size() < 400) {
      try {
        SQLite::Statement ins(db, "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
                                  "VALUES ('probe', 'note', 1001, "
                                  "'{\"text\":\"bench\",\"type\":\"internal\"}')");
        ins.exec();
        pending.push_back({db.getLastInsertRowid(), SteadyClock::now()});
      } catch (const std::exception&) {
        // not migrated yet; try again next round
      }
      next_post += 500ms;
    }
    for (auto it = pending.begin(); it != pending.end();) {
      SQLite::Statement q(db, "SELECT status FROM psa_posts WHERE id = ?");
      q.bind(1, static_cast<int64_t>(it->id));
      if (q.executeStep() && q.getColumn(0).getString() == "succeeded") {
        r.post_latency_s.push_back(std::chrono::duration<double>(SteadyClock::now() - it->at).count());
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    done = synced_tenants(db);
    if (done >= n) break;
    std::this_thread::sleep_for(20ms);
  }
  if (done >= n) r.initial_s = since(t0);

  // Idle: every initial sync and the first reconcile (which waits for the
  // tenant's pulls) done; count requests and CPU over one quotes interval.
  const auto r0 = SteadyClock::now();
  while (synced_tenants(db, true) < n && since(r0) < s.timeout_s) {
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1s);  // let the last runs finish
  // Each read in its own statement scope: an open statement would keep its
  // WAL snapshot and hide the window's runs.
  auto api_calls = [&db] {
    SQLite::Statement q(db, "SELECT COALESCE(SUM(api_calls), 0) FROM sync_runs "
                            "WHERE tenant != 'probe'");
    return q.executeStep() ? q.getColumn(0).getInt64() : 0LL;
  };
  const long long before_calls = api_calls();
  const double cpu0 = cpu_seconds(daemon.pid());
  const auto w0 = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::seconds(s.idle_interval_s));
  const double window = since(w0);
  const double cpu1 = cpu_seconds(daemon.pid());
  const long long idle_calls = api_calls() - before_calls;
  r.idle_requests_per_tenant = static_cast<double>(idle_calls) / n *
                               (s.idle_interval_s / window);
  r.idle_cpu_pct = 100.0 * (cpu1 - cpu0) / window;
  r.rss_kb = status_field(daemon.pid(), "VmRSS:");
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(db_path, ec) +
                     std::filesystem::file_size(db_path + "-wal", ec);
  r.disk_kb_per_tenant = static_cast<double>(bytes) / 1024.0 / (n + 1);
  r.threads = static_cast<int>(status_field(daemon.pid(), "Threads:"));
  return r;
}

std::vector<int> parse_counts(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--counts") s.counts = parse_counts(v);
    else if (k == "--quotes") s.quotes = std::atoi(v.c_str());
    else if (k == "--page-size") s.page_size = std::atoi(v.c_str());
    else if (k == "--rate") s.rate = v;
    else if (k == "--idle-interval") s.idle_interval_s = std::atoi(v.c_str());
    else if (k == "--timeout") s.timeout_s = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::printf("tenants_bench: %d quotes per tenant (page_size %d), budget %s per tenant "
              "(cwsync and cwsim; the post probe tenant 10x), idle window = quotes interval = %d s\n",
              s.quotes, s.page_size, s.rate.c_str(), s.idle_interval_s);
  std::printf("%6s %10s %8s %10s %10s %12s %8s %9s %8s %10s\n", "N", "initial_s", "ratio",
              "post_p50", "post_p99", "idle_req/t", "cpu_%", "rss_MB", "threads", "disk_KB/t");
  double base = 0;
  for (int n : s.counts) {
    RunResult r = run(s, n);
    if (n == s.counts.front() && r.initial_s > 0) base = r.initial_s;
    const double ratio = base > 0 && r.initial_s > 0 ? r.initial_s / base : 0;
    std::printf("%6d %10.2f %8.2f %10.3f %10.3f %12.2f %8.2f %9.1f %8d %10.1f  (%zu posts)\n",
                n, r.initial_s, ratio, percentile(r.post_latency_s, 0.5),
                percentile(r.post_latency_s, 0.99), r.idle_requests_per_tenant, r.idle_cpu_pct,
                static_cast<double>(r.rss_kb) / 1024.0, r.threads, r.disk_kb_per_tenant,
                r.post_latency_s.size());
    std::fflush(stdout);
  }
  std::printf("initial_s -1 = timed out; ratio = initial_s / initial_s of the first N. "
              "RSS goal: 64 MB + 64 KB per tenant.\n");
  return 0;
}
