#!/usr/bin/env bash
# Extra CI checks (called by .ci/run after the test presets):
#   1. systemd-analyze verify + security on systemd/cwsync.service
#      (exposure must be <= 2.0);
#   2. cpack -G DEB builds cwsync_<version>_amd64.deb with the expected files;
#   3. dpkg -i installs it (root only), the installed binary runs, and the
#      installed unit verifies; then the package is removed again.
# Each check that cannot run on this machine (no systemd-analyze, systemd too
# old for --offline, not root) prints SKIP with the reason instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."

unit=systemd/cwsync.service
build=${CWSYNC_BUILD_DIR:-build/default}
max_exposure=2.0
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
skip() { echo "SKIP: $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 127; fi
}

# ---- systemd-analyze ---------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1 && [ "${CI:-}" = true ]; then
  echo "== installing systemd for systemd-analyze"
  as_root apt-get install -y -qq --no-install-recommends systemd >/dev/null || true
fi

if command -v systemd-analyze >/dev/null 2>&1; then
  echo "== systemd-analyze security --offline=yes $unit"
  if out=$(systemd-analyze security --offline=yes "$unit" 2>&1); then
    exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$exposure" ]; then
      fail "could not read the exposure level:"$'\n'"$out"
    elif awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
      echo "exposure $exposure <= $max_exposure: OK"
    else
      printf '%s\n' "$out" | grep '✗' >&2 || true
      fail "exposure $exposure > $max_exposure"
    fi
  else
    skip "systemd-analyze security --offline needs systemd >= 250: $(printf '%s' "$out" | tail -1)"
  fi

  echo "== systemd-analyze verify $unit"
  # verify checks that ExecStart exists; point it at the built binary.
  bin="$PWD/$build/daemon/cwsync"
  [ -x "$bin" ] || bin=/bin/true
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s#/usr/bin/cwsync#$bin#" "$unit" > "$tmp/cwsync.service"
  if vout=$(systemd-analyze verify "$tmp/cwsync.service" 2>&1); then
    echo "verify: OK"
  elif printf '%s' "$vout" | grep -qiE 'system has not been booted with systemd|failed to (connect|create bus|initialize manager)|Failed to setup manager|Operation not permitted'; then
    skip "systemd-analyze verify cannot run here: $(printf '%s' "$vout" | head -1)"
  else
    fail "systemd-analyze verify:"$'\n'"$vout"
  fi
else
  skip "systemd-analyze not installed"
fi

# ---- .deb ------------------------------------------------------------------------
echo "== cpack -G DEB"
if [ ! -x "$build/daemon/cwsync" ]; then
  cmake --preset default >/dev/null
  cmake --build --preset default -j"$(nproc)" --target cwsync
fi
(cd "$build" && cpack -G DEB >/dev/null)
version=$(sed -n 's/^project(cwsync VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
deb="$build/cwsync_${version}_$(dpkg --print-architecture)".deb
if [ ! -f "$deb" ]; then
  fail "expected $deb"
else
  echo "built $deb"
  contents=$(dpkg-deb -c "$deb")
  for f in ./usr/bin/cwsync ./lib/systemd/system/cwsync.service \
           ./usr/lib/sysusers.d/cwsync.conf ./usr/lib/tmpfiles.d/cwsync.conf \
           ./etc/cwsync/cwsync.yaml.example ./etc/cwsync/cwsync.env.example; do
    printf '%s\n' "$contents" | grep -q " $f\$" || fail "$deb lacks $f"
  done
  if printf '%s\n' "$contents" | grep -q cwsim; then fail "$deb must not contain cwsim"; fi
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  printf '%s' "$depends" | grep -q libc6 || fail "Depends lacks shlibdeps output"

  echo "== dpkg -i $deb"
  if as_root true 2>/dev/null; then
    if as_root dpkg -i "$deb"; then
      /usr/bin/cwsync --version || fail "installed cwsync does not run"
      getent passwd cwsync >/dev/null || fail "postinst did not create user cwsync"
      if command -v systemd-analyze >/dev/null 2>&1 && [ -f /lib/systemd/system/cwsync.service ]; then
        vout=$(systemd-analyze verify /lib/systemd/system/cwsync.service 2>&1) \
          || printf '%s' "$vout" | grep -qiE 'not been booted with systemd|failed to (connect|create bus)' \
          || fail "installed unit does not verify: $vout"
      fi
      as_root dpkg -r cwsync >/dev/null || fail "dpkg -r cwsync"
    else
      fail "dpkg -i $deb"
    fi
  else
    skip "dpkg -i needs root (or passwordless sudo)"
  fi
fi

exit $failed
