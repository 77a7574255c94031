#!/usr/bin/env bash
# The README's first command: the whole pipeline on this machine, against the
# bundled ConnectWise simulator (cwsim) on 127.0.0.1. Nothing leaves the host.
#
#   1. installs the dependencies and builds cwsync and cwsim;
#   2. starts cwsim with a seeded dataset and a few scripted faults;
#   3. starts `cwsync run` with a temporary config and database;
#   4. enqueues PSA posts, one of which hits an "applied, then the response was
#      lost" fault, so you can watch it deduplicate instead of double-posting;
#   5. waits for the first sync and for the queue to drain;
#   6. prints status, pipeline, backlog and the demo ticket's post history;
#   7. stops everything with SIGTERM and tells you where the database is.
#
# Environment: CWSYNC_DEMO_DIR (default: a new /tmp dir), CWSYNC_DEMO_TIMEOUT
# (seconds to wait for sync + drain, default 60), CWSYNC_BUILD_DIR (default
# build/default; the demo test points it at an existing build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
timeout_s=${CWSYNC_DEMO_TIMEOUT:-60}
build=${CWSYNC_BUILD_DIR:-build/default}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "${CWSYNC_BUILD_DIR:-}" ]; then
  say "Installing dependencies and building (first run takes a few minutes)"
  scripts/install-deps.sh
  cmake --preset default >/dev/null
  cmake --build --preset default -j"$(nproc)" --target cwsync cwsim
fi
case $build in /*) ;; *) build=$root/$build ;; esac
cwsync_bin=$build/daemon/cwsync
cwsim_bin=$build/tools/cwsim/cwsim

work=${CWSYNC_DEMO_DIR:-$(mktemp -d /tmp/cwsync-demo.XXXXXX)}
mkdir -p "$work"
db=$work/cache.db
rm -f "$db" "$db-wal" "$db-shm"

sim_pid=""
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

say "Starting cwsim (seed 7: 300 quotes, 120 opportunities, 10 tickets)"
"$cwsim_bin" --seed 7 --quotes 300 --opportunities 120 --tickets 10 \
  >"$work/cwsim.out" 2>"$work/cwsim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/cwsim.out" ] && break
  sleep 0.1
done
port=$(head -1 "$work/cwsim.out")
[ -n "$port" ] || { echo "cwsim did not start:" >&2; cat "$work/cwsim.err" >&2; exit 1; }
sim=http://127.0.0.1:$port
echo "cwsim listening on $sim"

fault() { curl -fsS -X POST "$sim/_sim/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
# The first quotes page is throttled (429, Retry-After 1 s); the first
# opportunities page fails with a 503; the first note POST to ticket 1001 is
# stored by PSA but its response never arrives.
fault '{"kind":"status","status":429,"retry_after":1,"api":"cpq","path":"/api/quotes","count":1}'
fault '{"kind":"status","status":503,"api":"psa","path":"*/sales/opportunities","count":1}'
fault '{"kind":"applied_then_lost","api":"psa","method":"POST","path":"*/service/tickets/1001/notes","count":1}'
echo "faults armed: 429 on quotes, 503 on opportunities, applied-then-lost on a note"

# The simulator's default keys. A real tenant keeps its private key out of the
# config file: here it comes from the environment (private_key_env).
export CWSYNC_DEMO_PRIVATE_KEY=cwsim-private
export CWSYNC_DEMO_AUTOTASK_SECRET=cwsim-secret
cat >"$work/cwsync.yaml" <<EOF
# Written by scripts/demo.sh; see docs/config.md for every key.
database: $db
log: { level: info, format: json }
defaults:
  intervals: { quotes: 30s, opportunities: 30s, reconcile: 10m, queue: 1s }
  backoff: { base: 200ms, cap: 2s }
  # A lost POST is checked read_timeout + queue.settle after cwsync gave up
  # (2 min with the production defaults); a local simulator answers at once.
  http: { connect_timeout: 2s, read_timeout: 5s }
tenants:
  - name: demo
    queue: { settle: 2s }
    opportunities: psa
    cpq:
      base_url: $sim
      access_key: cwsim
      public_key: cwsim-public
      private_key_env: CWSYNC_DEMO_PRIVATE_KEY
    psa:
      site: $sim
      company_id: cwsim
      public_key: cwsim-public
      private_key_env: CWSYNC_DEMO_PRIVATE_KEY
      client_id: 00000000-0000-0000-0000-000000000000
  # An Autotask PSA tenant: the same simulator answers as Autotask too. The
  # zone is looked up at zone_lookup_url (Autotask's own in production).
  - name: contoso
    queue: { settle: 2s }
    psa:
      provider: autotask
      username: apiuser@msp.example.com
      secret_env: CWSYNC_DEMO_AUTOTASK_SECRET
      integration_code: CWSIMINTEGRATIONCODE
      zone_lookup_url: $sim/ATServicesRest/
EOF
cw() { "$cwsync_bin" --config "$work/cwsync.yaml" "$@"; }

say "Checking the config (secrets are masked)"
cw check-config | sed -n '1,3p;/tenants/,$p'

say "Creating the database"
cw migrate 2>/dev/null

say "Enqueueing PSA posts, as the troubleshooting app would after a failed write"
printf 'Rebooted the firewall; VPN tunnels are back up.\n' >"$work/note.txt"
printf 'Remote session: firmware update and reboot.\n' >"$work/time.txt"
cw enqueue note --tenant demo --ticket 1001 --type resolution --text-file "$work/note.txt" 2>/dev/null
cw enqueue status --tenant demo --ticket 1002 --status Closed 2>/dev/null
cw enqueue time --tenant demo --ticket 1001 --start 2026-11-23T09:00:00Z \
  --end 2026-11-23T09:40:00Z --rounding 15m --notes-file "$work/time.txt" 2>/dev/null
# The same posts to the Autotask tenant: enqueue picks its provider.
cw enqueue note --tenant contoso --ticket 1001 --type internal --text-file "$work/note.txt" 2>/dev/null
cw enqueue status --tenant contoso --ticket 1002 --status Complete 2>/dev/null
cw enqueue time --tenant contoso --ticket 1001 --start 2026-11-23T09:00:00Z \
  --end 2026-11-23T09:40:00Z --rounding 15m --notes-file "$work/time.txt" \
  --member cgomez@msp.example.com 2>/dev/null
cw queue list

say "Starting the daemon: cwsync run (JSON log lines, highlights below)"
# Not through cw(): a backgrounded shell function is a subshell, and the
# SIGTERM below must reach cwsync itself.
"$cwsync_bin" --config "$work/cwsync.yaml" run >"$work/cwsync.log" 2>&1 &
daemon_pid=$!

# Done when every entity has synced (demo: quotes and opportunities; contoso:
# opportunities) and no post is pending or in flight.
settled() {
  cw status --json 2>/dev/null | jq -e '
    all(.tenants[];
        ([.entities[] | select(.last_sync_at != null)] | length)
          >= (if .tenant == "demo" then 2 else 1 end)
        and .queue.pending == 0 and .queue.in_flight == 0)' >/dev/null
}
deadline=$((SECONDS + timeout_s))
until settled; do
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    echo "cwsync run exited early; its log:" >&2; cat "$work/cwsync.log" >&2; exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "timed out after ${timeout_s}s waiting for sync + drain; log: $work/cwsync.log" >&2
    exit 1
  fi
  sleep 0.5
done

jq -r 'select(.event | test("^(sync_finished|http_retry|http_throttled|post_.*|psa_codebase|daemon_ready)$"))
       | [.ts[11:23], .event, (.tenant // ""), (.entity // (if .post_id then "post \(.post_id)" else "" end)),
          (.http_status // "" | tostring), (.msg // "")] | @tsv' "$work/cwsync.log" |
  column -t -s $'\t' | cut -c1-150

say "cwsync status"
cw status
say "cwsync pipeline"
cw pipeline
say "cwsync backlog --limit 5"
cw backlog --limit 5
say "cwsync history --ticket 1001 (the note was applied once, even though its first response was lost)"
cw history --ticket 1001

say "What PSA holds for ticket 1001 (from the simulator's store)"
curl -fsS "$sim/_sim/store/notes?ticket=1001" |
  jq -r '.notes[] | "note \(.id): \(.text | gsub("\n"; " / "))"'
say "What Autotask holds for ticket 1001"
curl -fsS "$sim/_sim/store/autotask-notes?ticket=1001" |
  jq -r '.notes[] | "autotask note \(.id): \(.description | gsub("\n"; " / "))"'

# Keep the simulator's ground truth beside the cache, for comparing by hand
# (and for tests/demo, which checks the pipeline numbers against it).
curl -fsS "$sim/_sim/store/opportunities" >"$work/upstream-opportunities.json"
curl -fsS "$sim/_sim/store/quotes" >"$work/upstream-quotes.json"

say "Stopping: SIGTERM to cwsync"
kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=""
echo "cwsync run exited with $rc"
kill "$sim_pid" 2>/dev/null || true
wait "$sim_pid" 2>/dev/null || true
sim_pid=""

say "The cache is yours to query"
echo "database: $db"
echo "  sqlite3 $db 'SELECT * FROM cpq_pipeline;'"
echo "  sqlite3 $db 'SELECT * FROM psa_post_history WHERE ticket_id = 1001;'"
echo "daemon log: $work/cwsync.log   (jq -c . $work/cwsync.log | less)"
exit "$rc"
