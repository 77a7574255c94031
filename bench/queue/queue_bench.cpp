// queue_bench: how fast the PSA queue drains N posts when cwsim enforces a
// PSA rate limit of R requests/s, against the ideal N/R, and whether our own
// limiter keeps us under theirs (target: 0 responses 429). Also drains a
// smaller batch with no limit at all first: the unthrottled rate is the
// baseline the throttled run is compared with (same machine, same run).
//
//   queue_bench [--posts 10000] [--rate 500] [--baseline 1000] [--dir /tmp]
//               [--provider connectwise|autotask]
//
// With --provider autotask the tenant is an Autotask one and cwsim limits its
// Autotask personality to R requests/s (its hourly database limit lifted, so
// the per-second budget is what is measured).
//
// Real clock, real sleeps (the rate limiter waits), real SQLite file, cwsim
// in-process on 127.0.0.1.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "base/log.h"
#include "simulator.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/queue_store.h"
#include "sync/http/http_poco.h"
#include "sync/tenant_queue.h"

using namespace cwsync;

namespace {

using Steady = std::chrono::steady_clock;

struct Args {
  int posts = 10000, rate = 500, baseline = 1000;
  std::string dir = "/tmp";
  std::string provider = "connectwise";
};

struct RunResult {
  double seconds = 0;
  int delivered = 0;
  std::uint64_t client_429 = 0, sim_429 = 0, requests = 0;
};

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "queue_bench: %s\n", what.c_str());
  std::exit(1);
}

// Enqueues `n` notes over 50 tickets, then drains them all against a fresh
// cwsim limited to `rate` requests/s (0: unlimited).
RunResult run(const Args& a, int n, int rate, const std::string& name) {
  cwsim::Options o;
  o.tickets = 50;
  o.quotes = 1;
  o.opportunities = 1;
  const bool autotask = a.provider == "autotask";
  if (rate > 0 && !autotask) o.psa_rate_limit = std::to_string(rate) + "/1s";
  if (autotask) {
    o.at_hourly_limit = 100000000;
    o.at_threshold_delay_ms = 0;
  }
  cwsim::Simulator sim(o);
  sim.start();
  if (rate > 0 && autotask) {
    sim.control("POST", "/_sim/rate-limit",
                {{"api", "autotask"}, {"rate", std::to_string(rate) + "/1s"}});
  }

  std::filesystem::path db_path = std::filesystem::path(a.dir) / ("queue_bench_" + name + ".db");
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db_path.string() + ext);
  auto db = storage::Database::open(db_path.string());
  if (!db.ok()) die(db.error().describe());
  if (auto s = storage::migrate(*db); !s.ok()) die(s.error().describe());
  storage::QueueStore store(*db);
  const Clock& clock = SystemClock::instance();
  for (int k = 0; k < n; ++k) {
    storage::NewPost p;
    p.tenant = "bench";
    p.kind = storage::PostKind::kNote;
    p.ticket_id = 1001 + k % 50;
    p.payload_json = R"({"text":"benchmark note )" + std::to_string(k) + R"("})";
    if (auto r = store.enqueue(p, clock.now()); !r.ok()) die(r.error().describe());
  }

  Tenant t;
  t.name = "bench";
  PsaConnection c;
  c.site = sim.base_url();
  c.company_id = o.company;
  c.public_key = o.public_key;
  c.private_key = Secret(o.private_key);
  c.client_id = o.client_id;
  // Our limiter mirrors theirs; unlimited runs get a limit far above reach.
  c.rate_limit = {rate > 0 ? rate : 1000000, std::chrono::seconds(1)};
  if (autotask) {
    c.provider = PsaProviderKind::kAutotask;
    AutotaskSettings at;
    at.username = o.at_username;
    at.integration_code = o.at_integration_code;
    at.zone_lookup_url = sim.base_url() + "/ATServicesRest/";
    c.site = at.zone_lookup_url;
    c.private_key = Secret(o.at_secret);
    c.autotask = std::move(at);
  }
  t.psa = c;
  Defaults d;
  auto http = make_poco_http_client();
  UpstreamRegistry hosts;
  StopWaiter waiter;
  SyncEnvironment env{*http, hosts, waiter, clock, default_random()};
  DrainOptions opts;
  opts.batch = 50;
  TenantQueue queue(d, t, env, store, opts);

  RunResult r;
  Steady::time_point t0 = Steady::now();
  for (;;) {
    auto s = queue.drainer().drain_once();
    if (!s.ok()) die(s.error().describe());
    r.delivered += s->succeeded;
    auto counts = store.counts();
    if (!counts.ok()) die(counts.error().describe());
    if (counts->pending == 0 && counts->in_flight == 0) break;
    if (counts->dead > 0) die("posts went dead");
    waiter.wait_for(std::chrono::milliseconds(20));  // a 429 scheduled a retry
  }
  r.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  for (const auto& h : hosts.snapshot(clock.now())) {
    r.client_429 += h.throttled;
    r.requests += h.requests;
  }
  auto log = sim.control("GET", "/_sim/requests").body;
  for (const auto& e : log["requests"]) r.sim_429 += e.value("status", 0) == 429;
  sim.stop();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db_path.string() + ext);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--posts") a.posts = std::atoi(v.c_str());
    else if (k == "--rate") a.rate = std::atoi(v.c_str());
    else if (k == "--baseline") a.baseline = std::atoi(v.c_str());
    else if (k == "--dir") a.dir = v;
    else if (k == "--provider" && (v == "connectwise" || v == "autotask")) a.provider = v;
    else die("unknown option " + k);
  }
  if (a.posts <= 0 || a.rate <= 0 || a.baseline <= 0) die("--posts, --rate, --baseline must be > 0");
  log::set_level(log::Level::kWarn);  // keep stdout to the numbers
  std::printf("provider: %s\n", a.provider.c_str());

  RunResult base = run(a, a.baseline, 0, "baseline");
  double base_rate = base.delivered / base.seconds;
  std::printf("baseline (no rate limit): %d posts in %.2f s = %.0f posts/s, %llu requests\n",
              base.delivered, base.seconds, base_rate,
              static_cast<unsigned long long>(base.requests));

  RunResult r = run(a, a.posts, a.rate, "limited");
  double ideal = static_cast<double>(a.posts) / a.rate;
  std::printf("limited to %d req/s: %d posts in %.2f s; ideal N/R = %.2f s; ratio %.3f\n", a.rate,
              r.delivered, r.seconds, ideal, r.seconds / ideal);
  std::printf("  achieved %.0f posts/s = %.1f%% of the limit, %.1f%% of the unthrottled baseline\n",
              r.delivered / r.seconds, 100.0 * r.delivered / r.seconds / a.rate,
              100.0 * (r.delivered / r.seconds) / base_rate);
  std::printf("  requests sent %llu; 429s seen by the client %llu, logged by cwsim %llu (target 0)\n",
              static_cast<unsigned long long>(r.requests),
              static_cast<unsigned long long>(r.client_429),
              static_cast<unsigned long long>(r.sim_429));
  std::printf("peak RSS: %.1f MiB\n", peak_rss_kb() / 1024.0);
  return 0;
}
