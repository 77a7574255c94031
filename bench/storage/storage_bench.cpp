// storage_bench: raw upsert throughput of the cache, the ceiling the sync
// benchmark compares against. Writes N quote rows (about 1 KB of raw_json
// each) in pages of P rows through CacheStore::PageWriter (insert pass, then
// an update pass over the same ids), and a baseline of plain INSERTs of the
// same bytes into a bare table in the same file system, same run.
//
//   storage_bench [--rows 100000] [--page 1000] [--dir /tmp]
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/log.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "storage/migrations.h"

using namespace cwsync;
using namespace cwsync::storage;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Process CPU seconds: a steadier number than wall time on a shared machine.
double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Timing {
  double wall = 0, cpu = 0;
};

QuoteRow make_quote(int i, int pass, TimePoint base) {
  QuoteRow q;
  q.id = "00000000-0000-4000-8000-" + std::to_string(100000000000LL + i);
  q.quote_number = 10000 + i;
  q.quote_version = 1;
  q.name = "Quote " + std::to_string(i);
  q.quote_status = "Open";
  q.account_name = "Customer " + std::to_string(i % 500);
  q.quote_total = 1000.0 + i + pass;
  q.subtotal = 900.0 + i;
  q.modify_date = base + std::chrono::seconds(i);
  q.crm_opportunity_id = std::to_string(i % 2000);
  q.raw_json = "{\"id\":\"" + q.id + "\",\"pass\":" + std::to_string(pass) +
               ",\"notes\":\"" + std::string(1000, 'x') + "\"}";
  return q;
}

struct Args {
  int rows = 100000;
  int page = 1000;
  std::string dir = std::filesystem::temp_directory_path().string();
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) a.rows = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--page")) a.page = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir")) a.dir = argv[i + 1];
  }
  if (a.rows < 1) a.rows = 1;
  if (a.page < 1) a.page = 1;
  return a;
}

Timing upsert_pass(CacheStore& cache, const Args& a, int pass, TimePoint base) {
  const auto start = Clock::now();
  const double cpu0 = cpu_now();
  for (int first = 0; first < a.rows; first += a.page) {
    auto page = cache.begin_page("bench", SysClock::now());
    if (!page) throw std::runtime_error(page.error().describe());
    const int last = std::min(a.rows, first + a.page);
    for (int i = first; i < last; ++i) {
      if (auto st = page->upsert_quote(make_quote(i, pass, base)); !st) {
        throw std::runtime_error(st.error().describe());
      }
    }
    auto q = make_quote(last - 1, pass, base);
    if (auto st = page->advance_cursor(Entity::kQuotes, {*q.modify_date, q.id}); !st) {
      throw std::runtime_error(st.error().describe());
    }
    if (auto stats = page->commit(); !stats) throw std::runtime_error(stats.error().describe());
  }
  return {seconds_since(start), cpu_now() - cpu0};
}

Timing baseline_pass(Database& db, const Args& a, TimePoint base) {
  auto& h = db.handle();
  h.exec("CREATE TABLE bare (id TEXT PRIMARY KEY, raw_json TEXT, total REAL)");
  const auto start = Clock::now();
  const double cpu0 = cpu_now();
  for (int first = 0; first < a.rows; first += a.page) {
    h.exec("BEGIN IMMEDIATE");
    SQLite::Statement st(h, "INSERT INTO bare (id, raw_json, total) VALUES (?, ?, ?)");
    for (int i = first; i < std::min(a.rows, first + a.page); ++i) {
      const QuoteRow q = make_quote(i, 0, base);
      st.bind(1, q.id);
      st.bind(2, q.raw_json);
      st.bind(3, *q.quote_total);
      st.exec();
      st.reset();
    }
    h.exec("COMMIT");
  }
  return {seconds_since(start), cpu_now() - cpu0};
}

void report(const char* what, double rows, const Timing& t, const Timing& base) {
  std::printf("%-26s %9.0f rows/s wall (%6.2f s)  %9.0f rows/cpu-s  ratio %.2f\n", what,
              rows / t.wall, t.wall, rows / t.cpu, base.cpu / t.cpu);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  log::set_level(log::Level::kWarn);  // keep stdout to the numbers
  std::string tmpl = (std::filesystem::path(a.dir) / "cwsync-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path dir(tmpl);
  int rc = 0;
  try {
    auto db = Database::open((dir / "cache.db").string());
    if (!db) throw std::runtime_error(db.error().describe());
    if (auto st = migrate(*db); !st) throw std::runtime_error(st.error().describe());
    CacheStore cache(*db);
    const TimePoint base = SysClock::now();
    const Timing base_t = baseline_pass(*db, a, base);
    const Timing insert_t = upsert_pass(cache, a, 1, base);
    const Timing update_t = upsert_pass(cache, a, 2, base);
    const double n = a.rows;
    std::printf("storage_bench rows=%d page=%d (ratio: CPU time vs the baseline)\n", a.rows,
                a.page);
    report("baseline plain INSERT", n, base_t, base_t);
    report("upsert_quote (new rows)", n, insert_t, base_t);
    report("upsert_quote (update)", n, update_t, base_t);
    std::printf("database size %.1f MiB\n",
                static_cast<double>(std::filesystem::file_size(dir / "cache.db") +
                                    std::filesystem::file_size(dir / "cache.db-wal")) /
                    (1024.0 * 1024.0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "storage_bench: %s\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
