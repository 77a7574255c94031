// retention_bench: how big sync_runs (and psa_activity_log) get, and what
// pruning them costs (docs/operations.md, "Database size over months").
//
// 1. Row size: one simulated day of a daemon's idle runs at --tenants
//    (quotes and opportunities every 5 min, each reconciled once a day), rows
//    shaped as CacheStore writes them; bytes per row from the file size.
// 2. Months: --days simulated days at --small-tenants, one file pruned daily
//    at --retention days, one never pruned; their sizes at the end.
// 3. Prune cost: --prune-rows old sync_runs rows (and as many activity-log
//    rows of delivered posts) deleted in batches of --batch; rows/s, the
//    longest batch, and the longest wait of a concurrent queue writer.
//
//   retention_bench [--tenants 1000] [--small-tenants 100] [--days 60]
//                   [--retention 30] [--prune-rows 1000000] [--batch 2000] [--dir /tmp]
//                   [--parts 123]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/clock.h"
#include "base/log.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/queue_store.h"
#include "storage/retention_store.h"

using namespace cwsync;
using namespace cwsync::storage;
namespace fs = std::filesystem;

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::hours;
using std::chrono::minutes;

double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Database open_fresh(const fs::path& path) {
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  auto db = Database::open(path.string());
  if (!db.ok()) { std::fprintf(stderr, "%s\n", db.error().describe().c_str()); std::exit(1); }
  if (auto st = migrate(*db); !st.ok()) std::exit(1);
  return std::move(*db);
}

// The main file's size once the WAL is folded in.
double file_mb(Database& db, const fs::path& path) {
  db.handle().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return static_cast<double>(fs::file_size(path)) / 1e6;
}

std::int64_t count(Database& db, const char* table) {
  return db.handle().execAndGet(std::string("SELECT COUNT(*) FROM ") + table).getInt64();
}

// Inserts one day of idle runs starting at `day` for `tenants` tenants, as
// the daemon writes them (an idle incremental run: 1 call, 0 pages).
std::int64_t insert_day(Database& db, int tenants, TimePoint day) {
  auto txn = WriteTransaction::begin(db);
  SQLite::Statement ins(db.handle(),
      "INSERT INTO sync_runs (tenant, entity, kind, started_at, finished_at, status, pages, "
      "api_calls, upserted, deleted) VALUES (?, ?, ?, ?, ?, 'ok', 0, ?, 0, 0)");
  std::int64_t n = 0;
  char tenant[32];
  for (int slot = 0; slot < 288; ++slot) {
    const TimePoint t = day + minutes(5) * slot;
    const std::string start = format_iso8601(t), end = format_iso8601(t + std::chrono::seconds(1));
    for (int i = 0; i < tenants; ++i) {
      std::snprintf(tenant, sizeof tenant, "tenant-%04d", i);
      for (const char* entity : {"quotes", "opportunities"}) {
        const bool reconcile = slot == 144;
        ins.bind(1, tenant);
        ins.bind(2, entity);
        ins.bind(3, reconcile ? "reconcile" : "incremental");
        ins.bind(4, start);
        ins.bind(5, end);
        ins.bind(6, reconcile ? 2 : 1);
        ins.exec();
        ins.reset();
        ++n;
      }
    }
  }
  if (auto st = txn->commit(); !st.ok()) std::exit(1);
  return n;
}

// Old delivered posts with a typical history (enqueued, claimed, attempt,
// succeeded): 4 rows each.
void insert_delivered_posts(Database& db, std::int64_t posts, TimePoint at) {
  auto txn = WriteTransaction::begin(db);
  const std::string when = format_iso8601(at);
  SQLite::Statement p(db.handle(),
      "INSERT INTO psa_posts (tenant, kind, ticket_id, payload, status, created_at, updated_at) "
      "VALUES ('tenant-0001', 'note', ?, '{\"text\":\"Rebooted the server; ticket can close\","
      "\"type\":\"internal\"}', 'succeeded', ?2, ?2)");
  SQLite::Statement a(db.handle(),
      "INSERT INTO psa_activity_log (post_id, tenant, ticket_id, event, attempt, http_status, "
      "duration_ms, message, at) VALUES (?, 'tenant-0001', ?, ?, 1, ?, ?, ?, ?)");
  for (std::int64_t i = 0; i < posts; ++i) {
    p.bind(1, static_cast<int64_t>(1000 + i));
    p.bind(2, when);
    p.exec();
    p.reset();
    const std::int64_t id = db.handle().getLastInsertRowid();
    const char* events[] = {"claimed", "attempt", "succeeded"};
    for (const char* e : events) {
      a.bind(1, static_cast<int64_t>(id));
      a.bind(2, static_cast<int64_t>(1000 + i));
      a.bind(3, e);
      if (std::strcmp(e, "claimed") == 0) { a.bind(4); a.bind(5); } else { a.bind(4, 201); a.bind(5, 180); }
      a.bind(6, std::strcmp(e, "succeeded") == 0 ? "note 88123" : "");
      a.bind(7, when);
      a.exec();
      a.reset();
    }
  }
  if (auto st = txn->commit(); !st.ok()) std::exit(1);
}

struct PruneStats {
  std::int64_t rows = 0;
  int batches = 0;
  double total_ms = 0, longest_ms = 0, writer_wait_ms = 0;
  double p50_ms = 0, p99_ms = 0, writer_p99_ms = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

// Prunes with `fn` while another connection enqueues a post every 5 ms and
// records its longest wait for the write lock.
template <typename F>
PruneStats prune_measured(const fs::path& path, F&& fn, int batch) {
  std::atomic<bool> done{false};
  std::atomic<double> worst{0};
  std::vector<double> waits, batches;
  std::thread writer([&] {
    auto other = Database::open(path.string());
    QueueStore q(*other);
    NewPost post;
    post.tenant = "tenant-0002";
    post.kind = PostKind::kNote;
    post.payload_json = R"({"text":"hello","type":"internal"})";
    for (int i = 0; !done; ++i) {
      post.ticket_id = 1 + i;
      const auto t0 = Steady::now();
      (void)q.enqueue(post, SysClock::now());
      const double w = ms_between(t0, Steady::now());
      worst = std::max(worst.load(), w);
      waits.push_back(w);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  PruneStats s;
  PruneOptions opts;
  opts.batch_rows = batch;
  auto last = Steady::now();
  opts.between_batches = [&] {
    const auto now = Steady::now();
    s.longest_ms = std::max(s.longest_ms, ms_between(last, now));
    batches.push_back(ms_between(last, now));
    // The job's pause: as long as the batch, 5 to 200 ms.
    std::this_thread::sleep_for(std::clamp(now - last, Steady::duration(std::chrono::milliseconds(5)),
                                           Steady::duration(std::chrono::milliseconds(200))));
    last = Steady::now();
    return true;
  };
  const auto t0 = Steady::now();
  last = t0;
  auto r = fn(opts);
  const auto t1 = Steady::now();
  s.longest_ms = std::max(s.longest_ms, ms_between(last, t1));
  done = true;
  writer.join();
  if (!r.ok()) { std::fprintf(stderr, "%s\n", r.error().describe().c_str()); std::exit(1); }
  s.rows = r->rows;
  s.batches = r->batches;
  s.total_ms = ms_between(t0, t1);
  s.writer_wait_ms = worst;
  s.p50_ms = percentile(batches, 0.5);
  s.p99_ms = percentile(batches, 0.99);
  s.writer_p99_ms = percentile(waits, 0.99);
  return s;
}

void print(const char* what, const PruneStats& s) {
  std::fflush(stdout);
  std::printf("%-18s %8lld rows in %5d batches, %5.1f s (%6.0f rows/s incl. pauses); "
              "batch p50 %5.1f ms, p99 %5.1f ms, max %6.1f ms; concurrent enqueue p99 %5.1f ms, "
              "max %6.1f ms\n",
              what, static_cast<long long>(s.rows), s.batches, s.total_ms / 1000,
              s.rows / (s.total_ms / 1000), s.p50_ms, s.p99_ms, s.longest_ms, s.writer_p99_ms,
              s.writer_wait_ms);
}

}  // namespace

int main(int argc, char** argv) {
  int tenants = 1000, small = 100, days = 60, retention = 30, batch = kDefaultPruneBatch;
  std::int64_t prune_rows = 1000000;
  fs::path dir = fs::temp_directory_path();
  std::string parts = "123";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--tenants") tenants = std::atoi(argv[i + 1]);
    else if (k == "--small-tenants") small = std::atoi(argv[i + 1]);
    else if (k == "--days") days = std::atoi(argv[i + 1]);
    else if (k == "--retention") retention = std::atoi(argv[i + 1]);
    else if (k == "--prune-rows") prune_rows = std::atoll(argv[i + 1]);
    else if (k == "--batch") batch = std::atoi(argv[i + 1]);
    else if (k == "--dir") dir = argv[i + 1];
    else if (k == "--parts") parts = argv[i + 1];
  }
  log::init(log::Format::kText, log::Level::kWarn);
  const TimePoint start = *parse_iso8601("2026-01-01T00:00:00Z");

  // 1. One day at `tenants`.
  if (parts.find('1') != std::string::npos) {
    const fs::path path = dir / "retention-bench-day.db";
    Database db = open_fresh(path);
    const double empty = file_mb(db, path);
    const std::int64_t n = insert_day(db, tenants, start);
    const double full = file_mb(db, path);
    std::printf("sync_runs at %d tenants: %lld rows/day, %.1f bytes/row with its index "
                "(%.1f MB/day, %.0f MB at 30 days, %.1f GB/year unpruned)\n",
                tenants, static_cast<long long>(n), (full - empty) * 1e6 / n, full - empty,
                (full - empty) * 30, (full - empty) * 365 / 1000);
    fs::remove(path);
  }

  // 2. Months at `small` tenants, pruned daily or never.
  if (parts.find('2') != std::string::npos) {
    const fs::path kept = dir / "retention-bench-pruned.db", all = dir / "retention-bench-all.db";
    Database a = open_fresh(kept), b = open_fresh(all);
    RetentionStore store(a);
    double longest_day = 0;
    for (int d = 0; d < days; ++d) {
      const TimePoint day = start + hours(24) * d;
      insert_day(a, small, day);
      insert_day(b, small, day);
      const auto t0 = Steady::now();
      (void)store.prune_sync_runs(day + hours(24) - hours(24) * retention);
      longest_day = std::max(longest_day, ms_between(t0, Steady::now()));
    }
    std::printf("%d days at %d tenants: pruned at %dd %.1f MB (%lld rows), never pruned %.1f MB "
                "(%lld rows); a day's prune %.0f ms at most\n",
                days, small, retention, file_mb(a, kept), static_cast<long long>(count(a, "sync_runs")),
                file_mb(b, all), static_cast<long long>(count(b, "sync_runs")), longest_day);
    fs::remove(kept);
    fs::remove(all);
  }

  // 3. Prune cost on a backlog.
  if (parts.find('3') != std::string::npos) {
    const fs::path path = dir / "retention-bench-prune.db";
    Database db = open_fresh(path);
    const int per_day = tenants * 2 * 288;
    int day = 0;
    for (std::int64_t n = 0; n < prune_rows; ++day) n += insert_day(db, tenants, start + hours(24) * day);
    insert_day(db, tenants, start + hours(24) * (day + 40));  // recent: stays
    insert_delivered_posts(db, prune_rows / 4, start);
    std::printf("backlog: %lld sync_runs rows (%d per day), %lld activity-log rows; %.0f MB\n",
                static_cast<long long>(count(db, "sync_runs")), per_day,
                static_cast<long long>(count(db, "psa_activity_log")), file_mb(db, path));
    RetentionStore store(db);
    const TimePoint cutoff = start + hours(24) * (day + 10);
    // The baseline: the same enqueues for 10 s with no pruning.
    print("(no pruning, 10 s)", prune_measured(path, [&](const PruneOptions&) -> Result<PruneCount> {
            std::this_thread::sleep_for(std::chrono::seconds(10));
            return PruneCount{}; }, batch));
    print("sync_runs", prune_measured(path, [&](const PruneOptions& o) {
            return store.prune_sync_runs(cutoff, o); }, batch));
    print("psa_activity_log", prune_measured(path, [&](const PruneOptions& o) {
            return store.prune_activity_log(cutoff, o); }, batch));
    const auto t0 = Steady::now();
    (void)store.prune_sync_runs(cutoff);
    (void)store.prune_activity_log(cutoff);
    std::printf("an hourly pass with nothing left to prune: %.1f ms (%lld runs kept)\n",
                ms_between(t0, Steady::now()), static_cast<long long>(count(db, "sync_runs")));
    std::printf("file after pruning: %.0f MB (freed pages are reused, the file does not shrink)\n",
                file_mb(db, path));
    fs::remove(path);
  }
  return 0;
}
