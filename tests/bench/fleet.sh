#!/usr/bin/env bash
# Fleet sweep, side by side: Get-PSSession over 1,000 lab computers with
# Baton and with pypsrp, on the same lab in the same run; then 10,000.
#
#   tests/bench/fleet.sh            # 1,000 computers, then 10,000
#   FLEET_SIZES="1000" tests/bench/fleet.sh
#   BATON_BIN=target/release/baton tests/bench/fleet.sh   # skip the build
#   FLEET_PROFILE=bench tests/bench/fleet.sh   # build without LTO (quicker)
#
# Needs the peers' virtualenv (tests/peers.sh) for pypsrp, and Linux (every
# computer listens on its own 127.1.x.y address: all of 127.0.0.0/8 is
# loopback there, no root needed).
#
# What it does, for each size N:
#   1. builds the release binary (`cargo build --release --locked --bin
#      baton`: the binary users get, thin LTO; or FLEET_PROFILE's), copied
#      aside so other builds cannot replace it mid-run;
#   2. starts `baton lab` as its own process on assets/lab/fleet.toml with
#      count = N: computers Fleet1…FleetN on 127.1.0.1 onwards, port 5985,
#      each holding the technician's two disconnected sessions, Idle
#      (nothing running) and Job (a command still running);
#   3. Baton: `baton -c 'Get-PSSession -ComputerName <N addresses>
#      -ThrottleLimit 32 -Credential Domain01\User01'` (the line through
#      `baton shell`'s standard input when it is too long for one argument),
#      under /usr/bin/time -v for wall time and peak RSS; its output must
#      list exactly 2N sessions, Idle and Job on every computer, all
#      Disconnected with Availability None, and nothing on stderr;
#   4. Baton again with the wire trace (BATON_LOG=baton::wire=trace), not
#      timed: its HTTP responses counted are its round trips;
#   5. pypsrp 0.9.1 with 32 threads (tests/bench/fleet_pypsrp.py:
#      RunspacePool.get_runspace_pools per computer, which enumerates the
#      shells, then each shell's commands), timed, its requests counted, its
#      finds checked (2N sessions, N commands); at 10,000 computers only
#      when FLEET_PYPSRP_10K=1 (it takes about two minutes);
#   6. prints one table.
#
# The floor of HTTP round trips per computer, for what Get-PSSession shows
# (each session's state, and the commands a Connect would attach to), over
# HTTP with NTLM and sealing: the two legs of NTLM's handshake (MS-WSMV
# 2.2.9.1.1.1: empty-bodied POSTs carry the tokens, the first answered 401
# with the challenge, the second 200; only then are bodies sealed), the
# Enumerate of shells (1: OptimizeEnumeration with MaxElements returns every
# item with EndOfSequence, no Pull), and an Enumerate of commands per shell,
# filtered by ShellId (2, as PowerShell's own Get-PSSession and pypsrp do;
# WS-Management has no selector for several shells at once): 5.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZES=${FLEET_SIZES:-"1000 10000"}
THROTTLE=32
USER='Domain01\User01'
export BATON_PASSWORD='Tech-P@ss1'
PY=$ROOT/.peers/venv/bin/python
WORK=$(mktemp -d /tmp/baton-fleet.XXXXXX)
LAB_PID=
cleanup() {
    if [ -n "$LAB_PID" ]; then kill "$LAB_PID" 2>/dev/null || true; wait "$LAB_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Keep Baton and the lab apart from the user's profiles, held sessions and history.
export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data HOME=$WORK/home
export BATON_HISTORY= BATON_HELD=$WORK/held.json
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$HOME"
unset BATON_LOG HTTP_PROXY HTTPS_PROXY http_proxy https_proxy

if [ -n "${BATON_BIN:-}" ]; then
    cp "$BATON_BIN" "$WORK/baton"
    BUILT="$BATON_BIN"
else
    # FLEET_PROFILE=bench: the bench profile (release without LTO), much
    # quicker to build; its binary lands in target/release too.
    PROFILE=${FLEET_PROFILE:-release}
    BUILT="cargo build --profile $PROFILE"
    echo "building: cargo build --profile $PROFILE --locked --bin baton" >&2
    cargo build --profile "$PROFILE" --locked --bin baton >&2
    cp target/release/baton "$WORK/baton"
fi
BIN=$WORK/baton
[ -x "$PY" ] || { echo "no peers' virtualenv: run tests/peers.sh" >&2; exit 1; }

# The field of /usr/bin/time -v's report named $1, from file $2.
field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }
# m:ss.ss or h:mm:ss to seconds.
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }

start_lab() { # N
    sed "s/^count = 1000$/count = $1/" assets/lab/fleet.toml > "$WORK/fleet.toml"
    grep -q "^count = $1$" "$WORK/fleet.toml"
    local t0=$SECONDS
    "$BIN" lab --config "$WORK/fleet.toml" --no-profiles > "$WORK/lab.out" 2> "$WORK/lab.err" &
    LAB_PID=$!
    local started
    started=$(date +%s.%N)
    until grep -q "Press Ctrl+C to stop" "$WORK/lab.out"; do
        if ! kill -0 "$LAB_PID" 2>/dev/null; then cat "$WORK/lab.err" >&2; echo "the lab did not start" >&2; exit 1; fi
        sleep 0.1
    done
    LAB_START=$(echo "$(date +%s.%N) - $started" | bc)
    if [ -s "$WORK/lab.err" ]; then cat "$WORK/lab.err" >&2; echo "the lab said something on stderr" >&2; exit 1; fi
    # Every computer on its own address (no fallback to 127.0.0.1).
    grep -E '^Fleet[0-9]+ http://' "$WORK/lab.out" | sed -E 's|^(Fleet[0-9]+) http://([0-9.]+):([0-9]+)/wsman$|\1 \2 \3|' > "$WORK/computers"
    [ "$(wc -l < "$WORK/computers")" -eq "$1" ]
    awk '{ print $2, $3 }' "$WORK/computers" > "$WORK/hosts"
    : "$t0"
}

stop_lab() {
    kill "$LAB_PID"; wait "$LAB_PID" 2>/dev/null || true; LAB_PID=
}

# Runs Baton's Get-PSSession over the lab's computers; $1 names the output files.
run_baton() {
    local names line
    names=$(awk '{ print $1 }' "$WORK/hosts" | paste -sd, -)
    line="Get-PSSession -ComputerName $names -ThrottleLimit $THROTTLE -Credential $USER"
    if [ ${#line} -lt 100000 ]; then
        /usr/bin/time -v "$BIN" -c "$line" > "$WORK/$1.out" 2> "$WORK/$1.err"
    else
        printf '%s\n' "$line" > "$WORK/line.ps1"
        /usr/bin/time -v "$BIN" shell < "$WORK/line.ps1" > "$WORK/$1.out" 2> "$WORK/$1.err"
    fi
}

# Checks Baton's listing of N computers: 2N rows, Idle and Job on each, all
# Disconnected / None; prints nothing, fails loudly.
check_baton() { # N name
    local n=$1 out=$WORK/$2.out err=$WORK/$2.err
    # stderr holds only /usr/bin/time's report (it starts with "Command being timed").
    if [ "$(sed -n '1{/Command being timed/!p}' "$err")" != "" ]; then
        sed -n '1,20p' "$err" >&2; echo "Baton wrote errors" >&2; exit 1
    fi
    awk -v n="$n" '
        NF == 0 || $1 == "Id" || $1 ~ /^-+$/ { next }
        { rows++; if ($4 != "Disconnected" || $5 != "Microsoft.PowerShell" || $6 != "None") bad++
          if ($2 == "Idle") idle[$3]++; else if ($2 == "Job") job[$3]++; else bad++ }
        END {
          for (c in idle) if (idle[c] == 1 && job[c] == 1) ok++
          if (rows != 2 * n || bad || ok != n) { printf "Baton listed %d rows (%d wrong, %d computers right) for %d computers\n", rows, bad, ok, n > "/dev/stderr"; exit 1 }
        }' "$out"
}

declare -A RESULT
for N in $SIZES; do
    echo "== $N computers: starting the lab" >&2
    start_lab "$N"
    RESULT[$N,lab_start]=$LAB_START

    echo "== $N computers: Baton" >&2
    run_baton "baton-$N"
    check_baton "$N" "baton-$N"
    RESULT[$N,baton_s]=$(field "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$WORK/baton-$N.err" | seconds)
    RESULT[$N,baton_rss]=$(( $(field "Maximum resident set size (kbytes)" "$WORK/baton-$N.err") / 1024 ))

    echo "== $N computers: Baton with the wire trace (round trips, not timed)" >&2
    BATON_LOG=baton::wire=trace run_baton "trace-$N"
    RESULT[$N,baton_rt]=$(grep -cE '< [0-9]{3} from https?://' "$WORK/trace-$N.err" || true)

    if [ "$N" -le 1000 ] || [ "${FLEET_PYPSRP_10K:-0}" = 1 ]; then
        echo "== $N computers: pypsrp, $THROTTLE threads" >&2
        "$PY" tests/bench/fleet_pypsrp.py "$WORK/hosts" "$USER" "$BATON_PASSWORD" "$THROTTLE" > "$WORK/pypsrp-$N.json"
        read -r py_s py_req py_sessions py_commands py_fail < <("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["seconds"], r["http_requests"], r["sessions"], r["commands"], r["failures"])
if r["failures"]: print(r["first_failures"], file=sys.stderr)' "$WORK/pypsrp-$N.json")
        if [ "$py_fail" != 0 ] || [ "$py_sessions" != $((2 * N)) ] || [ "$py_commands" != "$N" ]; then
            cat "$WORK/pypsrp-$N.json" >&2; echo "pypsrp did not find every session" >&2; exit 1
        fi
        RESULT[$N,py_s]=$py_s
        RESULT[$N,py_rt]=$py_req
    fi
    RESULT[$N,lab_rss_end]=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$LAB_PID/status")
    stop_lab
done

echo
echo "Fleet sweep: Get-PSSession -ComputerName <N computers> -ThrottleLimit $THROTTLE; each computer holds 2 disconnected sessions (one running a command)"
echo "machine: $(nproc) cores; Baton: $BUILT; pypsrp 0.9.1 with $THROTTLE threads; same lab process for both"
printf '%-10s %-10s %-10s %-10s %-8s %-34s %-15s %-12s\n' computers lab-start Baton pypsrp ratio "round trips/computer B/py/floor" "Baton peak RSS" "lab peak RSS"
for N in $SIZES; do
    py_s=${RESULT[$N,py_s]:-}
    if [ -n "$py_s" ]; then
        ratio=$(echo "scale=1; $py_s / ${RESULT[$N,baton_s]}" | bc)x
        py_rt=$(echo "scale=2; ${RESULT[$N,py_rt]} / $N" | bc)
        py_s=${py_s}s
    else
        ratio=-; py_rt=-; py_s=-
    fi
    printf '%-10s %-10s %-10s %-10s %-8s %-34s %-15s %-12s\n' "$N" "$(printf '%.2f' "${RESULT[$N,lab_start]}")s" \
        "${RESULT[$N,baton_s]}s" "$py_s" "$ratio" \
        "$(echo "scale=2; ${RESULT[$N,baton_rt]} / $N" | bc) / $py_rt / 5" "${RESULT[$N,baton_rss]} MB" "${RESULT[$N,lab_rss_end]} MB"
done
echo "goals at 1,000: ratio >= 20x, Baton's peak RSS < 60 MB. Output checked: 2 sessions per computer (Idle and Job), all Disconnected / None (Baton); 2N sessions and N commands found (pypsrp)."
