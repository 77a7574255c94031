// search_bench: the full-text index `search` at scale. Writes N synthetic
// tickets (default 1,000,000, spread over 4 tenants) through
// CacheStore::PageWriter, so the triggers fill the index exactly as a pull
// does, into one database; then the same rows into a second database whose
// search triggers were dropped (the baseline: the same inserts without the
// index). Prints ingest cost and file size as ratios to the baseline, then
// query latency (p50/p99/max) of CacheStore::search, idle and while a writer
// renames tickets page by page on another connection.
//
//   search_bench [--rows 1000000] [--dir /tmp] [--queries 2000] [--page 1000]
//                [--writer-rate 1000]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "base/log.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "storage/migrations.h"

using namespace cwsync;
using namespace cwsync::storage;

namespace {

using Steady = std::chrono::steady_clock;

double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// SplitMix64: a fixed sequence for a fixed seed.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  // Skewed toward small indexes (about Zipf-like): most text uses few words.
  std::size_t skewed(std::size_t n) {
    const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;
    return std::min(n - 1, static_cast<std::size_t>(static_cast<double>(n) * u * u * u));
  }
};

// A vocabulary of pronounceable pseudo-words ("bakomi", "tesu", ...).
std::vector<std::string> vocabulary(std::size_t n, Rng& rng) {
  static const char* kSyllables[] = {"ba", "ko", "mi", "te", "su", "ra", "ne", "lo", "vi", "da",
                                     "pe", "zu", "fa", "gi", "ho", "ju", "ky", "wa", "xe", "yo"};
  std::vector<std::string> out;
  while (out.size() < n) {
    std::string w;
    const std::size_t parts = 2 + rng.below(3);
    for (std::size_t k = 0; k < parts; ++k) w += kSyllables[rng.below(20)];
    out.push_back(std::move(w));
  }
  return out;
}

struct Corpus {
  std::vector<std::string> words, companies, contacts;
};

TicketRow make_ticket(const Corpus& c, std::size_t i, int rename, Rng& rng) {
  TicketRow t;
  t.id = std::to_string(100000 + i);
  t.number = t.id;
  std::string summary;
  for (int k = 0; k < 5; ++k) summary += (k ? " " : "") + c.words[rng.skewed(c.words.size())];
  if (rename > 0) summary += " renamed" + std::to_string(rename);
  t.summary = summary;
  t.company = c.companies[rng.skewed(c.companies.size())];
  t.company_id = std::to_string(rng.below(20000));
  t.contact = c.contacts[rng.below(c.contacts.size())];
  t.status = "In Progress";
  t.board = "Help Desk";
  t.updated_at = TimePoint{} + std::chrono::seconds(1700000000 + static_cast<long>(i));
  t.raw_json = "{\"id\":" + t.id + ",\"summary\":\"" + summary + "\",\"pad\":\"" +
               std::string(200, 'x') + "\"}";
  return t;
}

std::string tenant_of(std::size_t i) { return "tenant" + std::to_string(i % 4); }

Database open_migrated(const std::string& path) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto db = Database::open(path);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.error().describe().c_str());
    std::exit(1);
  }
  if (auto s = migrate(*db); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().describe().c_str());
    std::exit(1);
  }
  return std::move(*db);
}

struct Ingest {
  double wall = 0, cpu = 0;
  std::uintmax_t bytes = 0;
};

// Writes `rows` tickets in pages of `page` rows per tenant transaction.
Ingest ingest(Database& db, const Corpus& c, std::size_t rows, std::size_t page) {
  CacheStore cache(db);
  Rng rng{42};
  const auto w0 = Steady::now();
  const double c0 = cpu_now();
  const TimePoint now = cwsync::SystemClock::instance().now();
  for (std::size_t start = 0; start < rows; start += page * 4) {
    for (int t = 0; t < 4; ++t) {
      auto w = cache.begin_page(tenant_of(static_cast<std::size_t>(t)), now);
      if (!w.ok()) std::exit(1);
      for (std::size_t i = start + static_cast<std::size_t>(t); i < std::min(rows, start + page * 4);
           i += 4) {
        if (!w->upsert_ticket(make_ticket(c, i, 0, rng)).ok()) std::exit(1);
      }
      if (!w->commit().ok()) std::exit(1);
    }
  }
  Ingest r;
  r.wall = std::chrono::duration<double>(Steady::now() - w0).count();
  r.cpu = cpu_now() - c0;
  db.handle().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  r.bytes = std::filesystem::file_size(db.path());
  return r;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// `n` queries of four shapes against one tenant each; prints p50/p99/max.
void run_queries(CacheStore& reader, const Corpus& c, std::size_t n, Rng& qr, const char* label) {
  std::vector<double> all, common, prefix, two;
  std::size_t hits_total = 0, unranked = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::string text;
    std::vector<double>* bucket = &all;
    switch (k % 4) {
      case 0: text = c.words[qr.below(c.words.size())]; break;                 // any word
      case 1: text = c.words[qr.below(20)]; bucket = &common; break;           // frequent word
      case 2: text = c.words[qr.below(c.words.size())].substr(0, 3) + "*"; bucket = &prefix; break;
      default:
        text = c.words[qr.skewed(c.words.size())] + " " + c.companies[qr.skewed(c.companies.size())];
        bucket = &two;
    }
    auto match = fts_query_from_text(text);
    const auto t0 = Steady::now();
    auto hits = reader.search(*match, tenant_of(k), std::nullopt, 20);
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
    if (!hits.ok()) {
      std::fprintf(stderr, "query failed: %s\n", hits.error().describe().c_str());
      continue;
    }
    hits_total += hits->size();
    unranked += !hits->empty() && !hits->front().ranked ? 1 : 0;
    if (bucket != &all) bucket->push_back(ms);
    all.push_back(ms);
  }
  auto line = [](const char* what, const std::vector<double>& v) {
    std::printf("  %-26s n=%-5zu p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms\n", what, v.size(),
                percentile(v, 0.5), percentile(v, 0.99), percentile(v, 1.0));
  };
  std::printf("queries %s (LIMIT 20, one tenant; %zu of %zu had too many matches to rank):\n",
              label, unranked, all.size());
  line("all", all);
  line("frequent word", common);
  line("3-letter prefix*", prefix);
  line("word + company name", two);
  std::printf("  average hits per query: %.1f\n",
              static_cast<double>(hits_total) / static_cast<double>(std::max<std::size_t>(1, all.size())));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 1000000, queries = 2000, page = 1000;
  double writer_rate = 1000;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--queries")) queries = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--page")) page = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--writer-rate")) writer_rate = std::strtod(argv[i + 1], nullptr);
  }
  log::init(log::Format::kText, log::Level::kWarn);
  Rng rng{7};
  Corpus c;
  c.words = vocabulary(20000, rng);
  c.companies = vocabulary(5000, rng);
  c.contacts = vocabulary(3000, rng);
  for (auto& name : c.companies) name += " Ltd";

  const std::string base_path = dir + "/search_bench_baseline.db";
  const std::string fts_path = dir + "/search_bench_fts.db";
  Ingest base, fts;
  {
    Database db = open_migrated(base_path);
    for (const char* t : {"psa_tickets_search_insert", "psa_tickets_search_update",
                          "psa_tickets_search_delete"}) {
      db.handle().exec(std::string("DROP TRIGGER ") + t);
    }
    base = ingest(db, c, rows, page);
  }
  Database db = open_migrated(fts_path);
  fts = ingest(db, c, rows, page);
  std::printf("rows: %zu tickets in 4 tenants, pages of %zu\n", rows, page);
  std::printf("ingest without index: %.1f s wall, %.1f s cpu (%.0f rows/s), file %.0f MB\n",
              base.wall, base.cpu, static_cast<double>(rows) / base.wall,
              static_cast<double>(base.bytes) / 1e6);
  std::printf("ingest with index:    %.1f s wall, %.1f s cpu (%.0f rows/s), file %.0f MB\n",
              fts.wall, fts.cpu, static_cast<double>(rows) / fts.wall,
              static_cast<double>(fts.bytes) / 1e6);
  std::printf("ratios: ingest cpu %.2fx, wall %.2fx; file size %.2fx\n", fts.cpu / base.cpu,
              fts.wall / base.wall, static_cast<double>(fts.bytes) / static_cast<double>(base.bytes));

  auto reader_db = Database::open(fts_path);
  if (!reader_db.ok()) return 1;
  CacheStore reader(*reader_db);
  Rng qr{5};
  run_queries(reader, c, queries / 2, qr, "idle (no writer)");

  // The same queries while this connection renames tenant0's tickets in
  // pages of 200 at `writer_rate` rows/s (a PSA pull at its default budget
  // cannot deliver more than 1000 rows/s to one tenant).
  std::atomic<bool> stop{false};
  std::atomic<long> renamed{0};
  std::thread writer([&] {
    CacheStore cache(db);
    Rng wr{99};
    int round = 1;
    auto next = Steady::now();
    while (!stop) {
      const std::size_t first = wr.below(rows / 4) * 4;  // tenant0's rows
      auto w = cache.begin_page("tenant0", cwsync::SystemClock::instance().now());
      if (!w.ok()) continue;
      for (std::size_t k = 0; k < 200 && first + k * 4 < rows; ++k) {
        (void)w->upsert_ticket(make_ticket(c, first + k * 4, round, wr));
      }
      if (w->commit().ok()) renamed += 200;
      ++round;
      next += std::chrono::microseconds(static_cast<long>(200e6 / writer_rate));
      std::this_thread::sleep_until(next);  // pacing the load, not test logic
    }
  });
  const auto q0 = Steady::now();
  run_queries(reader, c, queries - queries / 2, qr, "under the writer");
  const double span = std::chrono::duration<double>(Steady::now() - q0).count();
  stop = true;
  writer.join();
  std::printf("  the writer renamed %ld tickets in %.1f s (%.0f rows/s); WAL at the end %.0f MB\n",
              renamed.load(), span, static_cast<double>(renamed.load()) / span,
              static_cast<double>(std::filesystem::file_size(fts_path + "-wal")) / 1e6);
  for (const std::string& p : {base_path, fts_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  }
  return 0;
}
