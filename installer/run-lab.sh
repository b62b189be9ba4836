#!/usr/bin/env bash
# Runs the console on the built-in lab endpoint, installing the run-time
# packages a fresh Debian machine lacks for a window.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/installer/debian-deps.sh" run
cd "$root"
exec cargo run --release --locked -- "$@"
