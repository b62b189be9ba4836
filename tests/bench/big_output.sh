#!/usr/bin/env bash
# Big outputs through the command line: prints figures, asserts nothing
# about speed.
#
#   tests/bench/big_output.sh            # builds baton with --profile bench first
#   BATON_BIN=path/to/baton tests/bench/big_output.sh
#
# Starts `baton lab --ephemeral-ports` as a process of its own, then runs the
# built binary twice against it, its standard output to /dev/null:
#   - Invoke-Command of a script block that writes 1,000,000 lines;
#   - Invoke-Command of one that writes 1 GB in 100 strings of 10,000,000
#     characters.
# For each it prints the wall time and the peak resident memory (VmHWM) of the
# baton process (GNU time's maximum resident set size), how many lines
# arrived (a second run counts them on a pipe), and the lab's resident
# memory after the run, for information (the lab keeps a command's output
# until it is received, as Windows does).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${BATON_BIN:-}" ]]; then
    # The bench profile (release without LTO) builds what `cargo bench` built.
    cargo build --locked --profile bench --bin baton >&2
    BATON_BIN=target/release/baton
fi
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; }

work=$(mktemp -d)
lab_pid=
cleanup() {
    if [[ -n $lab_pid ]]; then
        kill "$lab_pid" 2>/dev/null || true
        wait "$lab_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# A copy: a build running meanwhile may replace the one in target/.
cp "$BATON_BIN" "$work/baton"
BATON_BIN=$work/baton

export BATON_PROFILES=$work/profiles.toml
export BATON_HELD=$work/held.json
export BATON_HISTORY=
export HOME=$work
export XDG_DATA_HOME=$work/data
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent
export BATON_PASSWORD='Tech-P@ss1'

"$BATON_BIN" lab --ephemeral-ports >"$work/lab.out" 2>"$work/lab.err" </dev/null &
lab_pid=$!
for _ in $(seq 1 100); do
    grep -q '^Press Ctrl+C' "$work/lab.out" 2>/dev/null && break
    sleep 0.1
done
grep -q '^Srv1 ' "$work/lab.out" || { echo "the lab did not start:" >&2; cat "$work/lab.err" >&2; exit 1; }

lab_rss() {
    awk '/^VmRSS:/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$lab_pid/status"
}

run() {
    local what=$1 block=$2
    local line="Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 -ScriptBlock { $block }"
    "$TIME" -f '%e %M' -o "$work/time" "$BATON_BIN" -c "$line" >/dev/null 2>"$work/err" || {
        echo "$what: baton failed:" >&2
        cat "$work/err" >&2
        return 1
    }
    read -r secs kib <"$work/time"
    local lines
    lines=$("$BATON_BIN" -c "$line" 2>/dev/null | wc -l)
    printf '%-26s %8.2f s   baton peak RSS %6.1f MiB   %9d lines printed   lab RSS after: %s\n' \
        "$what" "$secs" "$(echo "$kib / 1024" | bc -l)" "$lines" "$(lab_rss)"
}

echo "baton -c, output to /dev/null ($("$BATON_BIN" --version 2>/dev/null | head -1))"
echo "lab RSS at start: $(lab_rss)"
run "1,000,000 lines" 'foreach ($i in 1..1000000) { "Line $i of 1000000" }'
run "1 GB in 10 MB strings" 'foreach ($i in 1..100) { "x" * 10000000 }'
