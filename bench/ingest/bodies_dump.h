// The dump of every body a full quote sync fetches, as ingest_bench.py
// writes it: lines "Q <bytes>" (a quote page) or "I <bytes>" (an item batch
// of the quote page before it), each followed by that many bytes of body.
// Read by ingest_floor and bench/sync/json_page_bench.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

#include "sync/http/fast_page.h"

namespace cwsync::bench {

struct DumpedBody {
  bool quotes = false;  // a quote page ("Q"), else an item batch ("I")
  std::string text;     // with parse_fast_page's padding capacity, as the HTTP client gives it
};

inline std::vector<DumpedBody> read_bodies_dump(const char* path) {
  std::vector<DumpedBody> out;
  std::ifstream in(path, std::ios::binary);
  std::string tag;
  std::size_t n = 0;
  while (in >> tag >> n) {
    in.get();  // the newline after the length
    DumpedBody b{tag == "Q", std::string(n, '\0')};
    in.read(b.text.data(), static_cast<std::streamsize>(n));
    reserve_json_padding(b.text);
    out.push_back(std::move(b));
  }
  return out;
}

// This process's CPU so far (user + sys), in seconds.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace cwsync::bench
