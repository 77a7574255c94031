#!/usr/bin/env bash
# The README's test command: install deps, configure, build, run every test.
#   scripts/test.sh            default preset (RelWithDebInfo, -Werror)
#   scripts/test.sh asan       ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"
ctest --preset "$preset" -j"$(nproc)"
