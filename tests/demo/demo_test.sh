#!/usr/bin/env bash
# Runs scripts/demo.sh against an existing build and checks what it claims:
#   - it exits 0 (the daemon stopped cleanly on SIGTERM);
#   - the pipeline numbers cwsync reports equal the simulator's ground truth
#     (open opportunities and their value: the sum of the latest versions of
#     the quotes linked to each one);
#   - every post was delivered exactly once (the applied-then-lost note too);
#   - the private key appears nowhere: not in the output, the log, the DB.
# Usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
work=$(mktemp -d /tmp/cwsync-demo-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$work/demo.out
if ! CWSYNC_BUILD_DIR=$build CWSYNC_DEMO_DIR=$work/demo CWSYNC_DEMO_TIMEOUT=45 \
     timeout 120 "$src/scripts/demo.sh" >"$out" 2>&1; then
  cat "$out" >&2
  fail "scripts/demo.sh failed"
fi
d=$work/demo
cw() { "$build/daemon/cwsync" --config "$d/cwsync.yaml" "$@" 2>/dev/null; }
export CWSYNC_DEMO_PRIVATE_KEY=cwsim-private
export CWSYNC_DEMO_AUTOTASK_SECRET=cwsim-secret

grep -q 'cwsync run exited with 0' "$out" || fail "the daemon did not exit 0 on SIGTERM"
grep -q "database: $d/cache.db" "$out" || fail "the demo did not print the database path"

# Ground truth from the simulator's own store.
truth=$(jq -n --slurpfile o "$d/upstream-opportunities.json" --slurpfile q "$d/upstream-quotes.json" '
  ($q[0].quotes | map(select(._sim.latest and ._sim.visible and .crmOpportunityId != null))
     | group_by(.crmOpportunityId)
     | map({key: .[0].crmOpportunityId, value: (map(.quoteTotal // 0) | add)}) | from_entries) as $value
  | $o[0].opportunities | map(select(.status.name as $s | ["Open", "Pending Approval"] | index($s)))
  | {open: length, open_value: (map($value[.id | tostring] // 0) | add // 0)}')
got=$(cw pipeline --json | jq '.tenants[] | select(.tenant == "demo") | {open: .open_opportunities, open_value: .open_value}')
echo "ground truth: $(jq -c . <<<"$truth")  cwsync: $(jq -c . <<<"$got")"
[ "$(jq .open <<<"$truth")" = "$(jq .open <<<"$got")" ] || fail "open opportunities differ"
jq -e --argjson t "$truth" '(.open_value - $t.open_value) | fabs < 0.01' <<<"$got" >/dev/null ||
  fail "open pipeline value differs"

# Every post succeeded; the note hit applied-then-lost and was deduplicated.
cw queue list --tenant demo --json | jq -e 'map(.status) | length == 3 and all(. == "succeeded")' >/dev/null ||
  fail "not every post succeeded: $(cw queue list --json)"
# The Autotask tenant's posts went to Autotask, once each.
cw queue list --tenant contoso --json |
  jq -e 'length == 3 and all(.status == "succeeded" and .provider == "autotask")' >/dev/null ||
  fail "not every Autotask post succeeded: $(cw queue list --tenant contoso --json)"
[ "$(grep -cE '^autotask note [0-9]+: Rebooted the firewall' "$out")" = 1 ] ||
  fail "Autotask ticket 1001 does not hold exactly one copy of the note"
note_id=$(cw queue list --tenant demo --json | jq '.[] | select(.kind == "note" and .ticket_id == 1001) | .id')
[ -n "$note_id" ] || fail "the demo note is not in the queue"
cw queue show "$note_id" --json | jq -e '[.. | objects | select(.event? == "deduplicated")] | length == 1' >/dev/null ||
  fail "no deduplicated event for the applied-then-lost note: $(cw queue show "$note_id" --json)"
[ "$(grep -cE '^note [0-9]+: Rebooted the firewall' "$out")" = 1 ] ||
  fail "ticket 1001 does not hold exactly one copy of the note"

# The secret never leaks.
for f in "$out" "$d/cwsync.log" "$d/cache.db" "$d/cache.db-wal"; do
  [ -e "$f" ] || continue
  if grep -aq cwsim-private "$f"; then fail "the private key leaked into $f"; fi
  if grep -aq cwsim-secret "$f"; then fail "the Autotask secret leaked into $f"; fi
done
echo "demo ok"
