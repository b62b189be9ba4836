#!/usr/bin/env bash
# Start-up of the console's real window under Xvfb, step by step, for each
# renderer: prints figures, asserts nothing about speed.
#
#   tests/bench/startup.sh [RUNS]        (default 7 runs per renderer)
#
# Each run starts `baton --demo --renderer R` (the built-in demo lab, as on a
# first run) with BATON_STARTUP_TIMES=1, so the console prints when each of
# its steps ended, counted from the moment this script started the process
# (BATON_STARTUP_T0): main entered (exec, loading), arguments parsed,
# profiles loaded, demo lab started, keyring probed, worker started, window
# and context (the window with its GL or wgpu context), console built, first
# frame begins (egui's pass with its fonts), first frame laid out. The script
# adds when X reports the window visible (xdotool --onlyvisible, polled) and
# the resident memory 3 s later (idle RSS, /proc/PID/status; and the part of
# it that is the process's own, RssAnon: the rest is files mapped, such as the
# binary and Mesa's libLLVM, shared with other processes), then ends the
# console with SIGTERM and checks it exits 0. The table shows each step's
# median over the runs, in milliseconds.
#
# Environment: BATON_BIN (default: builds and uses target/release/baton),
# RENDERERS (default "glow wgpu"; "default" passes no --renderer, for a
# binary that has none), IDLE_SECS (default 3), KEYRING (default 1:
# the runs happen in a private D-Bus session with an unlocked gnome-keyring,
# as on a desktop, so the keyring probe talks to a real Secret Service; 0:
# no D-Bus session, the probe fails at once).
# Needs Xvfb and xdotool (installer/debian-deps.sh test installs them, with
# dbus and gnome-keyring).
# The user's profiles, activity file, held list and runtime directory are
# never touched: they point into a temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-7}
keyring=${KEYRING:-1}
if [ "$keyring" = 1 ] && [ -z "${STARTUP_IN_DBUS:-}" ]; then
  keyring_home=$(mktemp -d)
  trap 'rm -rf "$keyring_home"' EXIT
  STARTUP_IN_DBUS=1 KEYRING_HOME="$keyring_home" dbus-run-session -- bash "$0" "$@"
  exit
fi
if [ -n "${STARTUP_IN_DBUS:-}" ]; then
  export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export HOME="$KEYRING_HOME" XDG_DATA_HOME="$KEYRING_HOME/.local/share"
  echo -n baton-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  keyring_note="a private D-Bus session with an unlocked gnome-keyring"
else
  unset DBUS_SESSION_BUS_ADDRESS
  keyring_note="no D-Bus session (no keyring)"
fi
renderers=${RENDERERS:-glow wgpu}
idle=${IDLE_SECS:-3}

if [ -z "${BATON_BIN:-}" ]; then
  (cd "$root" && cargo build --release --locked --bin baton >&2)
  BATON_BIN="${CARGO_TARGET_DIR:-$root/target}/release/baton"
fi
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "startup: $tool is missing (installer/debian-deps.sh test)" >&2; exit 1; }
done

tmp=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -9 "$app_pid" 2>/dev/null || true
  fi
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Xvfb picks a free display itself and writes its number (-displayfd).
Xvfb -displayfd 3 -noreset -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
display=""
for _ in $(seq 1 200); do
  [ -s "$tmp/display" ] && { display=":$(head -n1 "$tmp/display")"; break; }
  kill -0 "$xvfb_pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$display" ] || { echo "startup: Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
export DISPLAY="$display"
unset WAYLAND_DISPLAY
export LIBGL_ALWAYS_SOFTWARE=1

now_ns() { date +%s%N; }

one_run() { # renderer run-number -> appends "step<TAB>ms" lines to $tmp/$1.tsv
  local r=$1 dir="$tmp/run-$1-$2" t0 visible="" rss code
  local flag=(--renderer "$r")
  [ "$r" = default ] && flag=()
  mkdir -p -m 700 "$dir/runtime"
  t0=$(now_ns)
  XDG_RUNTIME_DIR="$dir/runtime" BATON_PROFILES="$dir/profiles.toml" \
    BATON_ACTIVITY="$dir/activity.jsonl" BATON_HELD="$dir/held.json" \
    BATON_STARTUP_TIMES=1 BATON_STARTUP_T0="$t0" \
    "$BATON_BIN" --demo "${flag[@]}" >"$dir/out.log" 2>"$dir/err.log" &
  app_pid=$!
  for _ in $(seq 1 3000); do
    if xdotool search --onlyvisible --name '^Baton$' >/dev/null 2>&1; then
      visible=$(( ($(now_ns) - t0) / 1000 ))
      break
    fi
    kill -0 "$app_pid" 2>/dev/null || break
  done
  if [ -z "$visible" ]; then
    echo "startup: $r run $2: no visible window; baton's output:" >&2
    cat "$dir/err.log" >&2
    exit 1
  fi
  sleep "$idle"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$app_pid/status")
  anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$app_pid/status")
  kill -TERM "$app_pid"
  code=0
  wait "$app_pid" || code=$?
  app_pid=""
  if [ "$code" -ne 0 ]; then
    echo "startup: $r run $2: exit code $code after SIGTERM; baton's output:" >&2
    cat "$dir/err.log" >&2
    exit 1
  fi
  sed -n 's/^baton startup: \(renderer .*\)$/\1/p' "$dir/err.log" | head -n1 >"$tmp/$r.renderer"
  sed -n 's/^baton startup: \(.*[^ ]\) \+\([0-9.]\+\) ms$/\1\t\2/p' "$dir/err.log" >>"$tmp/$r.tsv"
  printf 'window visible (X)\t%s.%03d\n' $((visible / 1000)) $((visible % 1000)) >>"$tmp/$r.tsv"
  printf 'idle RSS (MB)\t%s\n' "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" >>"$tmp/$r.tsv"
  printf '  of which anonymous (MB)\t%s\n' "$(awk -v k="$anon" 'BEGIN { printf "%.1f", k / 1024 }')" >>"$tmp/$r.tsv"
}

for r in $renderers; do
  for i in $(seq 1 "$runs"); do one_run "$r" "$i"; done
done

# Median of each step, in the order the steps first appear.
median_table() {
  awk -F'\t' '
    { if (!($1 in n)) order[++k] = $1; v[$1, ++n[$1]] = $2 }
    END {
      for (i = 1; i <= k; i++) {
        s = order[i]; m = n[s]
        for (a = 1; a <= m; a++) x[a] = v[s, a] + 0
        for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (x[b] < x[a]) { t = x[a]; x[a] = x[b]; x[b] = t }
        med = (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
        printf "%s\t%.1f\n", s, med
      }
    }' "$1"
}

echo "baton start-up under Xvfb ($runs runs per renderer, medians; ms since exec unless noted)"
echo "binary: $BATON_BIN ($(stat -c %s "$BATON_BIN") bytes); keyring: $keyring_note"
for r in $renderers; do
  echo "$r: $(cat "$tmp/$r.renderer")"
  median_table "$tmp/$r.tsv" >"$tmp/$r.med"
done
first=$(echo "$renderers" | awk '{print $1}')
{
  printf 'step'
  for r in $renderers; do printf '\t%s' "$r"; done
  printf '\n'
  cut -f1 "$tmp/$first.med" | while IFS= read -r step; do
    printf '%s' "$step"
    for r in $renderers; do
      printf '\t%s' "$(awk -F'\t' -v s="$step" '$1 == s { print $2 }' "$tmp/$r.med")"
    done
    printf '\n'
  done
} | awk -F'\t' '{ printf "%-26s", $1; for (i = 2; i <= NF; i++) printf "%12s", $i; printf "\n" }'
