#!/usr/bin/env bash
# Every performance figure of the README's Performance section, in one run,
# each next to its peer's figure from the same run: prints figures, asserts
# nothing about speed. About 10 minutes on 2 cores after the build.
#
#   tests/bench/all.sh                  # everything
#   FLEET_SIZES=1000 tests/bench/all.sh # without the 10,000-computer point
#
# 1. `cargo bench --bench protocol`: PSRP + CLIXML decode beside a bare
#    quick-xml scan of the same bytes and psrpcore 0.3.1 on the same fragments;
# 2. `cargo bench --bench handover`: round trips, connections and handshakes
#    of receiving a handed-over command (the CLI two ways, the console,
#    pypsrp 0.9.1), counted on the wire;
# 3. `cargo bench --bench ui`: the tree and Fleet table with 10,000 sessions,
#    the Output pane while 1,000,000 lines and then 1 GB arrive;
# 4. tests/bench/fleet.sh: Get-PSSession over 1,000 (and 10,000) lab
#    computers with Baton and with pypsrp on 32 threads;
# 5. tests/bench/big_output.sh: `baton -c` receiving 1,000,000 lines and 1 GB;
# 6. tests/bench/startup.sh: the real window's start-up under Xvfb, step by
#    step, with glow and with wgpu.
# The scripts share one binary built with the bench profile (the release
# profile without link-time optimization: minutes quicker to build, and
# within noise of the package's binary for these figures).
# Needs the peers (tests/peers.sh) and the test packages
# (installer/debian-deps.sh test).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export BATON_PEERS="${BATON_PEERS:-$root/.peers}"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --profile bench --locked --bin baton
bin=$(mktemp -d)/baton
cp "${CARGO_TARGET_DIR:-$root/target}/release/baton" "$bin"
trap 'rm -rf "$(dirname "$bin")"' EXIT
for b in protocol handover ui; do
  echo
  echo "== cargo bench --bench $b"
  cargo bench --locked --bench "$b"
done
echo
echo "== tests/bench/fleet.sh"
BATON_BIN="$bin" tests/bench/fleet.sh
echo
echo "== tests/bench/big_output.sh"
BATON_BIN="$bin" tests/bench/big_output.sh
echo
echo "== tests/bench/startup.sh"
BATON_BIN="$bin" tests/bench/startup.sh
