#!/usr/bin/env bash
# Contract check: every log event the code can emit is documented in
# docs/logging.md, and every documented event still exists in the code.
# Usage: check_log_events.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
cd "$src"

# log::at(LEVEL, "name") is an event whose level is chosen at run time.
emitted=$(grep -rhoE 'log::((trace|debug|info|warn|error)\(|at\([^,()]+, )"[a-z0-9_]+"' \
            config storage sync daemon --include='*.cpp' --include='*.h' |
          sed -E 's/.*"([a-z0-9_]+)"$/\1/' | sort -u)
# Only the tables under "## Event names" list events; the field tables above do not.
documented=$(sed -n '/^## Event names/,$p' docs/logging.md | grep -oE '^\| `[a-z0-9_]+` \|' | sed -E 's/^\| `//; s/` \|$//' | sort -u)

if [ -z "$emitted" ]; then echo "found no log events in the code: the pattern is broken" >&2; exit 1; fi
missing=$(comm -23 <(printf '%s\n' "$emitted") <(printf '%s\n' "$documented"))
stale=$(comm -13 <(printf '%s\n' "$emitted") <(printf '%s\n' "$documented"))
status=0
if [ -n "$missing" ]; then
  echo "events emitted by the code but not documented in docs/logging.md:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
if [ -n "$stale" ]; then
  echo "events documented in docs/logging.md that the code never emits:" >&2
  printf '  %s\n' $stale >&2
  status=1
fi
[ $status = 0 ] && echo "$(printf '%s\n' "$emitted" | wc -l) log events, all documented"
exit $status
