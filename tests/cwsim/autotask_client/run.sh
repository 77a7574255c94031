#!/usr/bin/env bash
# CTest entry (tests/cwsim/CMakeLists.txt): installs the public npm client
# @apigrate/autotask-restapi from package-lock.json into a work directory in the
# build tree, starts cwsim on a free port and runs test.mjs against it.
# Usage: run.sh CWSIM_BINARY SOURCE_DIR WORK_DIR
# Exits 77 (CTest SKIP) when node or npm is missing, or when npm ci fails because
# the registry cannot be reached; any other failure is a failure.
set -euo pipefail

readonly SKIP=77
cwsim=$1 src=$2 work=$3

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: '$tool' is not installed; scripts/install-deps.sh installs nodejs and npm"
    exit $SKIP
  fi
done

mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/test.mjs" "$work/"
npm_opts=(--prefix "$work" --cache "$work/.npm-cache" --no-audit --no-fund --loglevel=error
          --fetch-timeout=30000 --fetch-retries=1)
# Reinstall only when the lock file changed since the last install.
if ! cmp -s "$src/package-lock.json" "$work/node_modules/.cwsim-installed-lock"; then
  if ! timeout 240 npm ci "${npm_opts[@]}"; then
    if ! timeout 30 npm ping --cache "$work/.npm-cache" >/dev/null 2>&1; then
      echo "SKIP: npm ci failed and the npm registry is unreachable; the client test needs it once"
      exit $SKIP
    fi
    echo "FAIL: npm ci failed although the registry answers"
    exit 1
  fi
  cp "$src/package-lock.json" "$work/node_modules/.cwsim-installed-lock"
fi

out="$work/cwsim.out"
: >"$out"
"$cwsim" --port 0 --seed 7 --tickets 5 --now 2026-11-01T00:00:00Z --at-threshold-delay-ms 0 >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do  # the first stdout line is the port (at most 10 s)
  [ -s "$out" ] && break
  sleep 0.1
done
port=$(head -1 "$out")
[ -n "$port" ] || { echo "FAIL: cwsim printed no port"; exit 1; }

CWSIM_PORT=$port CWSIM_TICKETS=5 timeout 60 node "$work/test.mjs"
