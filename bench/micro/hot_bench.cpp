// hot_bench: one micro-benchmark per function a full quote sync spends its
// CPU in (docs/sync.md, "Efficiency"), on pages cwsim's own generator makes:
// 1000 quotes with the fields cwsync asks for, and their line items (about
// 3000). Where a function was rewritten for speed, the old way is kept here
// as a `*_before` reference, so one run shows both: split_page (nlohmann DOM)
// is what the CPQ pages used before parse_fast_page (simdjson), and is still
// the path of the PSA pages.
// Prints numbers, never asserts.
//
//   hot_bench [--benchmark_filter=REGEX]
#include <chrono>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "base/log.h"
#include "quote_fields.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "store.h"
#include "sync/cpq/cpq_puller.h"
#include "sync/cpq/quote_mapper.h"
#include "sync/http/fast_page.h"
#include "sync/http/http_url.h"
#include "sync/http/json_page.h"

namespace {

using namespace cwsync;

constexpr int kQuotes = 1000;
const std::string kItemsUrl = "http://127.0.0.1:8080/api/quoteItems";

struct Pages {
  std::string quotes;  // a JSON array, as GET /api/quotes?includeFields=... answers
  std::string items;   // a JSON array of the page's line items
  std::vector<std::string> quote_ids;
};

const Pages& pages() {
  static const Pages p = [] {
    cwsim::Store store;
    cwsim::DataSpec spec;
    spec.quotes = kQuotes;
    spec.now = 1'795'000'000'000;  // a fixed day in 2026: the same data every run
    store.generate(spec);
    std::vector<const cwsim::QuoteField*> fields;
    for (const std::string& name : quote_include_fields()) {
      if (const auto* f = cwsim::find_quote_field(name)) fields.push_back(f);
    }
    Pages out;
    out.quotes = "[";
    nlohmann::json items = nlohmann::json::array();
    for (const cwsim::Quote& q : store.quotes) {
      if (!store.quote_visible(q, false) || out.quote_ids.size() == kQuotes) continue;
      if (!out.quote_ids.empty()) out.quotes += ",";
      out.quotes += cwsim::serialize_quote(store, q, fields);
      out.quote_ids.push_back(q.id);
      for (auto& item : store.quote_items(q)) items.push_back(std::move(item));
    }
    out.quotes += "]";
    out.items = items.dump();
    return out;
  }();
  return p;
}

// A body with the spare capacity the HTTP client gives every body, so
// parse_fast_page parses it in place.
std::string padded(const std::string& body) {
  std::string out = body;
  reserve_json_padding(out);
  return out;
}

void BM_split_quote_page(benchmark::State& state) {
  const std::string& body = pages().quotes;
  for (auto _ : state) benchmark::DoNotOptimize(split_page(body, "quotes page"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_split_quote_page)->Unit(benchmark::kMillisecond);

void BM_map_quotes(benchmark::State& state) {
  auto page = split_page(pages().quotes, "quotes page");
  for (auto _ : state) {
    for (const PageElement& e : page->elements) benchmark::DoNotOptimize(map_quote(e.value, e.raw));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * page->elements.size()));
}
BENCHMARK(BM_map_quotes)->Unit(benchmark::kMillisecond);

void BM_split_item_page(benchmark::State& state) {
  const std::string& body = pages().items;
  for (auto _ : state) benchmark::DoNotOptimize(split_page(body, "items page"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_split_item_page)->Unit(benchmark::kMillisecond);

void BM_map_items(benchmark::State& state) {
  auto page = split_page(pages().items, "items page");
  for (auto _ : state) {
    for (const PageElement& e : page->elements) {
      benchmark::DoNotOptimize(map_quote_item(e.value, e.raw));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * page->elements.size()));
}
BENCHMARK(BM_map_items)->Unit(benchmark::kMillisecond);

// The CPQ path: simdjson On-Demand into flat fields (sync/http/fast_page.h).
void BM_fast_quote_page(benchmark::State& state) {
  const std::string body = padded(pages().quotes);
  for (auto _ : state) benchmark::DoNotOptimize(parse_fast_page(body, "quotes page"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_fast_quote_page)->Unit(benchmark::kMillisecond);

void BM_fast_map_quotes(benchmark::State& state) {
  const std::string body = padded(pages().quotes);
  auto page = parse_fast_page(body, "quotes page");
  for (auto _ : state) {
    for (std::size_t k = 0; k < page->size(); ++k) {
      benchmark::DoNotOptimize(map_quote(page->fields(k), page->raw(k)));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * page->size()));
}
BENCHMARK(BM_fast_map_quotes)->Unit(benchmark::kMillisecond);

void BM_fast_item_page(benchmark::State& state) {
  const std::string body = padded(pages().items);
  for (auto _ : state) benchmark::DoNotOptimize(parse_fast_page(body, "items page"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_fast_item_page)->Unit(benchmark::kMillisecond);

void BM_fast_map_items(benchmark::State& state) {
  const std::string body = padded(pages().items);
  auto page = parse_fast_page(body, "items page");
  for (auto _ : state) {
    for (std::size_t k = 0; k < page->size(); ++k) {
      benchmark::DoNotOptimize(map_quote_item(page->fields(k), page->raw(k)));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * page->size()));
}
BENCHMARK(BM_fast_map_items)->Unit(benchmark::kMillisecond);

// The item batches of one page of quote ids.
void BM_item_conditions(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(item_conditions(kItemsUrl, pages().quote_ids));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pages().quote_ids.size()));
}
BENCHMARK(BM_item_conditions)->Unit(benchmark::kMicrosecond);

// Before: the whole growing condition was encoded again for every id.
void BM_item_conditions_before(benchmark::State& state) {
  constexpr std::size_t kPagingReserve = 40;
  for (auto _ : state) {
    std::vector<std::string> out;
    UrlBuilder probe(kItemsUrl);
    std::string current;
    for (const std::string& id : pages().quote_ids) {
      std::string quoted = "\"" + id + "\"";
      std::string candidate = current.empty() ? quoted : current + "," + quoted;
      if (!current.empty() && !probe.fits_with("conditions", "idQuote in (" + candidate + ")",
                                               kMaxUrlLength - kPagingReserve)) {
        out.push_back("idQuote in (" + current + ")");
        candidate = quoted;
      }
      current = std::move(candidate);
    }
    out.push_back("idQuote in (" + current + ")");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pages().quote_ids.size()));
}
BENCHMARK(BM_item_conditions_before)->Unit(benchmark::kMicrosecond);

// One page's transaction as a quotes-source tenant writes it: 1000 quotes,
// their items (replace_items) and the derived pipeline rows, then commit
// (item sweep, search index, WAL commit). Every iteration rewrites the same
// rows, as a re-sync does.
void BM_write_quote_page(benchmark::State& state) {
  log::set_level(log::Level::kWarn);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cwsync-hot-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto db = storage::Database::open((dir / "cache.db").string());
    if (!db || !storage::migrate(*db)) {
      state.SkipWithError("cannot create the cache file");
      return;
    }
    auto quote_page = split_page(pages().quotes, "quotes page");
    auto item_page = split_page(pages().items, "items page");
    std::vector<storage::QuoteRow> quotes;
    for (const PageElement& e : quote_page->elements) quotes.push_back(*map_quote(e.value, e.raw));
    std::unordered_map<std::string, std::vector<storage::QuoteItemRow>> items;
    for (const PageElement& e : item_page->elements) {
      auto item = *map_quote_item(e.value, e.raw);
      items[item.quote_id].push_back(std::move(item));
    }
    storage::CacheStore cache(*db);
    auto now = std::chrono::system_clock::now();
    for (auto _ : state) {
      auto page = cache.begin_page("bench", now);
      for (const storage::QuoteRow& q : quotes) {
        (void)page->upsert_quote(q);
        (void)page->replace_items(q.id, items[q.id]);
        (void)page->upsert_opportunity(quote_opportunity(q));
      }
      if (!page->commit().ok()) state.SkipWithError("commit failed");
      now += std::chrono::seconds(1);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * quotes.size()));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_write_quote_page)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
