// Uniform randomness, injected wherever jitter is drawn (backoff, scheduler
// spread), so tests fix the sequence.
#pragma once

#include <functional>

namespace cwsync {

// Returns a double uniform in [0, 1).
using UniformRandom = std::function<double()>;

// Seeded from std::random_device; thread-safe (one engine per thread), so one
// instance may be shared by every worker.
UniformRandom default_random();
// A deterministic sequence for tests. Not thread-safe.
UniformRandom seeded_random(unsigned long long seed);

}  // namespace cwsync
