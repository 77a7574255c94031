#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz  for N seconds each.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60, all)
#
#   1. installs the dependencies (clang-14 and libclang-rt-14-dev included);
#   2. configures and builds the opt-in `fuzz` preset (build/fuzz);
#   3. runs each fuzzer for SECONDS over a scratch copy of its seed corpus
#      tests/fuzz/corpus/<target>/ (the committed corpus is never modified),
#      one target per core at a time;
#   4. prints one summary line per target and exits 1 if any target crashed
#      (crash, leak, timeout, OOM or an invariant abort). The reproducer is
#      kept under the scratch directory's artifacts/; rerun it with
#      build/fuzz/tests/fuzz/<target> <file>, minimise it with -minimize_crash=1,
#      and add it to the corpus as a regression seed.
#
# Environment: CWSYNC_FUZZ_DIR (scratch dir, default: a new /tmp dir, kept on
# a crash), CWSYNC_BUILD_LOCK (a file to flock(1) around the build, for
# machines that share one compile slot), CWSYNC_FUZZ_SKIP_BUILD=1 (reuse
# build/fuzz as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
all_targets=(fuzz_retry_after fuzz_config fuzz_quote_mapper fuzz_quote_item_mapper fuzz_fast_page
             fuzz_opportunity_mapper fuzz_conditions fuzz_enqueue_args fuzz_post_row)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
case $seconds in ''|*[!0-9]*) echo "usage: $0 [seconds-per-target] [target...]" >&2; exit 2;; esac

locked() {
  if [ -n "${CWSYNC_BUILD_LOCK:-}" ]; then flock "$CWSYNC_BUILD_LOCK" "$@"; else "$@"; fi
}

if [ "${CWSYNC_FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  scripts/install-deps.sh
  locked cmake --preset fuzz >/dev/null
  locked cmake --build --preset fuzz -j"$(nproc)" >/dev/null
fi

scratch=${CWSYNC_FUZZ_DIR:-$(mktemp -d /tmp/cwsync-fuzz.XXXXXX)}
mkdir -p "$scratch"
# One target: explore for SECONDS, then write its summary line (and, on a
# crash, where to look) to $scratch/$t.summary and exit 1 if it crashed.
run_target() {
  local t=$1
  local bin=$root/build/fuzz/tests/fuzz/$t
  local corpus=$scratch/corpus/$t
  local artifacts=$scratch/artifacts/$t
  local log=$scratch/$t.log
  local summary=$scratch/$t.summary
  mkdir -p "$corpus" "$artifacts"
  cp -n "$root/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  local rc=0 started=$SECONDS
  # stdin from /dev/null: the config fuzzer opens files its input names.
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    </dev/null >"$log" 2>&1 || rc=$?
  local execs took crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$((SECONDS - started))
  crashes=$(find "$artifacts" -type f | wc -l)
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  printf 'fuzz %-24s executions: %s, time: %ss, corpus: %s, crashes: %s\n' \
    "$t" "${execs:-?}" "$took" "$(find "$corpus" -type f | wc -l)" "$crashes" >"$summary"
  if [ "$crashes" -ne 0 ]; then
    { grep -m3 -E 'ERROR: |SUMMARY: |runtime error' "$log" | sed 's/^/    /' || true
      echo "    log: $log, reproducer: $(find "$artifacts" -type f | head -1)"; } >>"$summary"
    return 1
  fi
}

for t in "${targets[@]}"; do
  [ -x "$root/build/fuzz/tests/fuzz/$t" ] || { echo "fuzz: no such target $t" >&2; exit 2; }
done

# Each libFuzzer process is single-threaded, so the targets run side by side,
# one per core (CWSYNC_FUZZ_JOBS overrides): CI's 15 s per target then costs
# 15 s per core's share of the targets instead of 15 s each.
jobs=${CWSYNC_FUZZ_JOBS:-$(nproc)}
crashed=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || crashed=1
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || crashed=1
  running=$((running - 1))
done
for t in "${targets[@]}"; do cat "$scratch/$t.summary"; done

if [ "$crashed" -ne 0 ]; then
  echo "fuzz: FAILED (scratch kept: $scratch)"
  exit 1
fi
[ -z "${CWSYNC_FUZZ_DIR:-}" ] && rm -rf "$scratch"
exit 0
