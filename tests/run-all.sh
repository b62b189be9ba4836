#!/usr/bin/env bash
# The one command that runs every check: formatting, lints, the whole test
# suite (with its real peers and a private Secret Service), and a build of the
# benchmarks so they cannot rot. It installs what it needs first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
installer/debian-deps.sh test
tests/peers.sh
export BATON_PEERS="$root/.peers"
export RUST_BACKTRACE=1
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== tests"
# A private D-Bus session with an unlocked gnome-keyring: the credential store
# is tested against a real Secret Service, never the user's own.
export HOME_FOR_KEYRING
HOME_FOR_KEYRING=$(mktemp -d)
dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME="$HOME_FOR_KEYRING" XDG_DATA_HOME="$HOME_FOR_KEYRING/.local/share"
  export CARGO_HOME="${CARGO_HOME:-'"${CARGO_HOME:-$HOME/.cargo}"'}" RUSTUP_HOME="${RUSTUP_HOME:-'"${RUSTUP_HOME:-$HOME/.rustup}"'}"
  echo -n baton-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --locked --all-targets
'
tests/package.sh
echo "== benchmarks build"
# The benchmarks are compiled (not run) in the test profile, so they cannot rot
# without a second, optimized build of everything; `cargo bench` runs them
# optimized when figures are wanted.
cargo build --locked --benches
echo "== fuzzing: every target for a few seconds"
# Builds the targets (cargo fuzz, stable toolchain) and runs each briefly;
# a crash fails the run. `tests/fuzz.sh --long` runs a campaign.
tests/fuzz.sh --seconds 3
