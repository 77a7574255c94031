#!/usr/bin/env bash
# Installs everything cwsync needs to build, test and run on Debian 12.
# Idempotent: when every package is present it prints nothing and exits 0.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  ccache                 # rebuilds after a branch switch, and CI on a machine that built before, reuse objects
  libpoco-dev            # HTTP/TLS client and server (Net, NetSSL)
  libssl-dev             # the fault matrix's self-signed TLS endpoint (also pulled in by libpoco-dev)
  libsqlitecpp-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev
  libsimdjson-dev        # CPQ list pages: parse+map 4x cheaper than nlohmann's DOM (README, dependency table)
  libsystemd-dev         # sd_notify
  libcli11-dev           # subcommand CLI parsing
  libgtest-dev libgmock-dev libbenchmark-dev
  systemd                # systemd-analyze verify/security in CI
  jq                     # the demo pretty-prints JSON logs
  curl                   # the demo arms the simulator's faults
  bsdextrautils          # column(1): the demo's log table
  clang-14 libclang-rt-14-dev  # libFuzzer + sanitizers: the opt-in fuzz preset (scripts/fuzz.sh)
)

# Node.js and npm run the public npm Autotask client against cwsim
# (tests/cwsim/autotask_client). A machine that already has `node` and `npm`
# (often from NodeSource, whose nodejs bundles npm and conflicts with Debian's
# npm package) keeps them; otherwise Debian's packages provide them.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
