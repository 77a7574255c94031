// json_page_bench: parse + map of every body a full quote sync fetches (the
// dump ingest_bench.py writes), two ways in the same run (docs/sync.md, "Efficiency"):
//   dom  : split_page (nlohmann DOM + locator) then map_quote / map_quote_item
//   fast : parse_fast_page (simdjson On-Demand, flat fields) then the same mappers
// Each is timed alone (parse only) and with mapping, as process CPU
// (getrusage), best and median of ROUNDS rounds, interleaved. Before timing
// it checks that both ways give identical rows (raw_json included) and
// exits 1 if not. Bodies get simdjson's padding capacity first, as the HTTP
// client gives them (sync/http/http_poco.cpp). Prints numbers, never asserts
// timings.
//
//   json_page_bench DUMP [ROUNDS]     (DUMP: lines "Q <bytes>" / "I <bytes>",
//                                      each followed by that many bytes)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bodies_dump.h"
#include "row_equal.h"
#include "sync/cpq/quote_mapper.h"
#include "sync/http/fast_page.h"
#include "sync/http/json_page.h"

namespace {

using namespace cwsync;

using bench::cpu_seconds;
using Body = bench::DumpedBody;

struct Mapped {
  std::vector<storage::QuoteRow> quotes;
  std::vector<storage::QuoteItemRow> items;
};

// One body the way the daemon reads it; `keep` collects the rows (checking).
template <class Page>
std::size_t map_page(const Page& page, bool quotes, Mapped* keep);

template <>
std::size_t map_page(const SplitPage& page, bool quotes, Mapped* keep) {
  std::size_t n = 0;
  for (const PageElement& e : page.elements) {
    if (quotes) {
      auto q = map_quote(e.value, e.raw);
      n += q.ok();
      if (keep && q.ok()) keep->quotes.push_back(std::move(*q));
    } else {
      auto r = map_quote_item(e.value, e.raw);
      n += r.ok();
      if (keep && r.ok()) keep->items.push_back(std::move(*r));
    }
  }
  return n;
}

template <>
std::size_t map_page(const FastPage& page, bool quotes, Mapped* keep) {
  std::size_t n = 0;
  for (std::size_t k = 0; k < page.size(); ++k) {
    if (quotes) {
      auto q = map_quote(page.fields(k), page.raw(k));
      n += q.ok();
      if (keep && q.ok()) keep->quotes.push_back(std::move(*q));
    } else {
      auto r = map_quote_item(page.fields(k), page.raw(k));
      n += r.ok();
      if (keep && r.ok()) keep->items.push_back(std::move(*r));
    }
  }
  return n;
}

// Rows mapped (or, with map=false, elements parsed); 0 pages failing is
// checked by the caller through the count.
std::size_t run(const std::vector<Body>& bodies, bool fast, bool map, Mapped* keep = nullptr) {
  std::size_t n = 0;
  for (const Body& b : bodies) {
    if (fast) {
      auto page = parse_fast_page(b.text, "bench page");
      if (!page.ok()) continue;
      n += map ? map_page(*page, b.quotes, keep) : page->size();
    } else {
      auto page = split_page(b.text, "bench page");
      if (!page.ok()) continue;
      n += map ? map_page(*page, b.quotes, keep) : page->elements.size();
    }
  }
  return n;
}

template <class Row>
bool same_rows(const std::vector<Row>& a, const std::vector<Row>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (!cwsync_fuzz::same_row(a[k], b[k])) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: json_page_bench DUMP [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const std::vector<Body> bodies = bench::read_bodies_dump(argv[1]);
  std::size_t bytes = 0, quote_pages = 0;
  for (const Body& b : bodies) {
    bytes += b.text.size();
    quote_pages += b.quotes;
  }
  std::size_t dom_fallbacks = 0;
  for (const Body& b : bodies) {
    auto page = parse_fast_page(b.text, "bench page");
    dom_fallbacks += page.ok() && !page->used_simdjson();
  }
  std::printf("pages parse_fast_page handed to split_page: %zu\n", dom_fallbacks);
  {
    Mapped dom, fast;
    run(bodies, false, true, &dom);
    run(bodies, true, true, &fast);
    const bool same = same_rows(dom.quotes, fast.quotes) && same_rows(dom.items, fast.items);
    std::printf(
        "bodies: %zu (%zu quote pages), %.1f MB; rows: %zu quotes, %zu items; "
        "dom and fast rows identical: %s\n",
        bodies.size(), quote_pages, static_cast<double>(bytes) / 1e6, dom.quotes.size(),
        dom.items.size(), same ? "yes" : "NO");
    if (!same) return 1;
  }
  struct Case {
    const char* name;
    bool fast, map;
    std::vector<double> cpu;
  };
  std::vector<Case> cases = {{"dom parse (split_page)", false, false, {}},
                             {"fast parse (parse_fast_page)", true, false, {}},
                             {"dom parse + map", false, true, {}},
                             {"fast parse + map", true, true, {}}};
  for (int r = 0; r < rounds; ++r) {
    for (Case& c : cases) {
      const double t0 = cpu_seconds();
      volatile std::size_t n = run(bodies, c.fast, c.map);
      (void)n;
      c.cpu.push_back(cpu_seconds() - t0);
    }
  }
  for (Case& c : cases) {
    std::sort(c.cpu.begin(), c.cpu.end());
    std::printf("%-30s cpu best %.3f s  median %.3f s  (%d rounds)\n", c.name, c.cpu.front(),
                c.cpu[c.cpu.size() / 2], rounds);
  }
  const double before = cases[2].cpu[cases[2].cpu.size() / 2];
  const double after = cases[3].cpu[cases[3].cpu.size() / 2];
  std::printf("parse + map, median: dom %.3f s, fast %.3f s: saves %.3f s (%.0f%%)\n", before,
              after, before - after, 100.0 * (before - after) / before);
  return 0;
}
