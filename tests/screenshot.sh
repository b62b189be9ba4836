#!/usr/bin/env bash
# Takes the README's screenshot of the real console window: the app runs under
# Xvfb on the built-in demo lab (`baton --demo`), lists every computer's
# sessions at start, and is clicked with xdotool through the banner's "Try
# the hand-over" walkthrough: connect to ITTask on Srv1 as the technician,
# read its output, then "Hand it over…" (the dialog with its choices and the
# note to give the next person); the screen is captured with ImageMagick.
#
#   tests/screenshot.sh [OUTPUT.png]     (default: assets/screenshot.png)
#
# The user's profiles, activity file and runtime directory are never touched:
# BATON_PROFILES, BATON_ACTIVITY, BATON_HELD and XDG_RUNTIME_DIR point into a temporary
# directory removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/assets/screenshot.png}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

"$root/installer/debian-deps.sh" test

cd "$root"
echo "== building baton"
cargo build --locked --bin baton
bin="${CARGO_TARGET_DIR:-$root/target}/debug/baton"
[ -x "$bin" ] || { echo "screenshot: $bin was not built" >&2; exit 1; }

tmp=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill "$app_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$app_pid" 2>/dev/null || true
  fi
  if [ -n "$xvfb_pid" ] && kill -0 "$xvfb_pid" 2>/dev/null; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A free display number.
display=""
for n in $(seq 99 140); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
    display=":$n"
    break
  fi
done
[ -n "$display" ] || { echo "screenshot: no free X display number in :99..:140" >&2; exit 1; }

echo "== Xvfb on $display"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
for _ in $(seq 1 100); do
  # The server is ready once its socket exists (xdpyinfo may not be installed).
  [ -S "/tmp/.X11-unix/X${display#:}" ] && { sleep 0.3; break; }
  xdpyinfo >/dev/null 2>&1 && break
  kill -0 "$xvfb_pid" 2>/dev/null || { echo "screenshot: Xvfb did not start:" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
  sleep 0.1
done

mkdir -m 700 "$tmp/runtime"
export XDG_RUNTIME_DIR="$tmp/runtime"
export BATON_PROFILES="$tmp/profiles.toml"
export BATON_ACTIVITY="$tmp/activity.jsonl"
export BATON_HELD="$tmp/held.json"
# X11 only (no compositor here), software GL.
unset WAYLAND_DISPLAY
export LIBGL_ALWAYS_SOFTWARE=1

echo "== starting baton --demo"
"$bin" --demo >"$tmp/baton.log" 2>&1 &
app_pid=$!

# Wait for the window "Baton".
win=""
for _ in $(seq 1 300); do
  win=$(xdotool search --name '^Baton$' 2>/dev/null | head -n1 || true)
  [ -n "$win" ] && break
  if ! kill -0 "$app_pid" 2>/dev/null; then
    echo "screenshot: baton exited before its window appeared; its output:" >&2
    cat "$tmp/baton.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$win" ]; then
  echo "screenshot: the Baton window never appeared on $display within 30 s; baton's output:" >&2
  cat "$tmp/baton.log" >&2
  exit 1
fi
echo "window $win"

# No window manager: put the 1280x800 window at the screen's origin so the
# coordinates below are the window's own.
xdotool windowmove "$win" 0 0 || true
xdotool windowsize "$win" 1280 800 || true
sleep 1

click() {
  xdotool mousemove --sync "$1" "$2" click 1
  sleep "${3:-0.6}"
}

# The initial refresh lists every computer's sessions over loopback NTLM:
# give it time to fill the tree.
sleep 4
# The banner's "Try the hand-over" walks the seed scenario: connect to
# ITTask on Srv1 as the technician, read the output that piled up, then
# Hand it over… (the dialog with its choices and the note to give).
click 915 57 1         # Try the hand-over (in the lab accounts banner)
click 480 164 4        # 1. Connect as Domain01\User01
click 438 187 1        # 2. Read its output (switches to the Output tab)
# Let the output that piled up in the disconnected session stream in.
sleep "${BATON_SHOT_WAIT:-18}"
click 435 210 1        # 3. Hand it over…
xdotool mousemove --sync 1270 700
sleep 1
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "screenshot written to $out"
