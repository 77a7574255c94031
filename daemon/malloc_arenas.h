// Process-wide malloc settings for the one-shot commands.
#pragma once

namespace cwsync::daemon {

// glibc gives threads that allocate at the same time their own malloc arenas
// (up to 8 per core), and what is freed into one arena is reused only by
// that arena. `sync --once` starts short-lived helper threads for every page
// (the next page's early fetch, the item requests); the buffers they leave
// spread one page's worth of freed memory over several arenas. With one
// arena a 30,000-quote sync peaked at 26.1 instead of 29.9 MB at the same CPU
// (docs/sync.md, "Efficiency"). The daemon keeps glibc's default: its pull
// workers parse pages in parallel, where one arena's lock was not measured.
// It also pins glibc's mmap threshold at its initial 128 KiB (see the .cpp).
// Call before any thread starts. Leaves the setting alone when the operator
// chose one (MALLOC_ARENA_MAX, GLIBC_TUNABLES). No-op without glibc.
void tune_malloc_for_one_shot();

}  // namespace cwsync::daemon
