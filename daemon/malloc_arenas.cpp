#include "daemon/malloc_arenas.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cwsync::daemon {

void tune_malloc_for_one_shot() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr) {
    return;
  }
  mallopt(M_ARENA_MAX, 1);
  // glibc serves a block of 128 KiB or more with its own mmap, until one such
  // block is freed: then it raises that threshold to the block's size, and
  // later page-sized buffers (a page's flat fields, its body) come from the
  // heap, which then holds the freed space. Setting the threshold keeps it at
  // glibc's initial 128 KiB: a 30,000-quote sync peaked at 29.5 instead of
  // 36.2 MB, CPU within noise (docs/sync.md, "Efficiency").
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

}  // namespace cwsync::daemon
