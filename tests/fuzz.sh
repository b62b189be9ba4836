#!/usr/bin/env bash
# Coverage-guided fuzzing of every input surface (src/fuzzing): builds the
# targets under tests/fuzz with cargo fuzz (libFuzzer) on the stable
# toolchain, runs each, and prints per target: executions, executions per
# second, corpus size and crashes.
#
#   tests/fuzz.sh                  every target for 3 s (what the test command runs)
#   tests/fuzz.sh --seconds 60 wsman_client psrp_fragments
#   tests/fuzz.sh --long [--minutes M] [--jobs J]
#                                  a campaign: every target for M minutes
#                                  (default 3), J at a time (default: the
#                                  number of cores); its totals are appended
#                                  to the README's table of campaigns
#
# Stable Rust: libFuzzer's coverage comes from LLVM's SanitizerCoverage
# pass, which stable rustc runs (-Cpasses=sancov-module); only the address
# sanitizer needs nightly, so targets are built with `--sanitizer none`.
# Rust's own checks (bounds, overflow with -Cdebug-assertions, which cargo
# fuzz turns on) and each surface's invariants are what a crash means.
#
# A crash exits non-zero after every target has run, naming the input saved
# under tests/fuzz/artifacts/<target>/ and printing it in base64 (so a CI
# log is enough to reproduce it): minimise it, move it to
# tests/data/fuzz/<target>/ (the suite replays it) and fix the code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/tests/fuzz"
cd "$root"

seconds=3
long=0
minutes=3
jobs=$(nproc 2>/dev/null || echo 2)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --long) long=1; shift ;;
    --minutes) minutes="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ "$long" = 1 ]; then
  seconds=$((minutes * 60))
fi

# The fuzzer driver, pinned.
cargo_fuzz_version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q " $cargo_fuzz_version\$"; then
  echo "== installing cargo-fuzz $cargo_fuzz_version"
  cargo install --locked --quiet cargo-fuzz --version "$cargo_fuzz_version"
fi
# libFuzzer itself is C++, built by the libfuzzer-sys crate.
if ! command -v c++ >/dev/null; then
  echo "fuzz.sh: a C++ compiler is needed to build libFuzzer (Debian: apt-get install g++)" >&2
  exit 1
fi

if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$fuzz/Cargo.toml" | grep -v '^baton-fuzz$')
fi

# The commit the targets are built from (a campaign names it).
commit=$(git -C "$root" rev-parse --short HEAD)
dirty=$(git -C "$root" status --porcelain -- src tests/fuzz | grep -q . && echo " (with uncommitted changes)" || true)

echo "== building ${#targets[@]} fuzz targets (release, debug assertions, no sanitizer)"
cargo fuzz build --fuzz-dir "$fuzz" --sanitizer none --release --debug-assertions 2>&1 |
  grep -E '^(error|warning: unused)|Finished' || true
bin="$fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "fuzz.sh: the target $t was not built" >&2; exit 1; }
done

# The dictionary of a surface: <name>.dict, else the one of its family
# (the part of the name before the first underscore).
dict_of() {
  if [ -f "$fuzz/dict/$1.dict" ]; then echo "$fuzz/dict/$1.dict"; else echo "$fuzz/dict/${1%%_*}.dict"; fi
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() {
  local t="$1" corpus="$fuzz/corpus/$1" artifacts="$fuzz/artifacts/$1"
  mkdir -p "$corpus" "$artifacts"
  # Seeds and saved crash inputs join the corpus; -reload picks up what
  # another run of the same target adds.
  "$bin/$t" "$corpus" "$fuzz/seeds/$t" \
    -dict="$(dict_of "$t")" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    >"$logs/$t.log" 2>&1 || true
}
export -f run_one dict_of
export bin fuzz seconds logs

started=$(date +%s)
echo "== running each target for $seconds s, $jobs at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
elapsed=$(($(date +%s) - started))

printf '\n%-22s %14s %10s %8s %8s\n' target executions exec/s corpus crashes
total=0
crashed=0
rows=""
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  execs=${execs:-0}
  rate=${rate:-0}
  corpus=$(find "$fuzz/corpus/$t" -type f | wc -l)
  crashes=0
  if grep -qE '^==[0-9]+== ERROR: libFuzzer|^SUMMARY: libFuzzer|panicked at|deadly signal' "$log"; then
    crashes=1
  fi
  printf '%-22s %14s %10s %8s %8s\n' "$t" "$execs" "$rate" "$corpus" "$crashes"
  rows+="| \`$t\` | $execs | $rate | $corpus | $crashes |"$'\n'
  total=$((total + execs))
  if [ "$crashes" != 0 ]; then
    crashed=$((crashed + 1))
    echo "---- $t: what libFuzzer said"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written|deadly signal' "$log" | head -20
    for f in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
      echo "---- the input ($f), base64:"
      base64 -w 100 "$f" | head -50
    done
  fi
done
printf '%-22s %14s\n' total "$total"
echo "== $total executions in ${elapsed} s over ${#targets[@]} targets; targets that crashed: $crashed"

if [ "$long" = 1 ]; then
  section=$(mktemp)
  {
    echo
    echo "#### $(date -u +%F): commit \`$commit\`$dirty, $total executions, $crashed crashed"
    echo
    echo "$(nproc) cores, $jobs targets at a time, $minutes min per target, ${elapsed} s in all."
    echo
    echo "| target | executions | exec/s | corpus | crashes |"
    echo "|---|---|---|---|---|"
    printf '%s' "$rows"
    echo "| **total** | **$total** | | | **$crashed** |"
  } >"$section"
  marker='<!-- fuzz.sh --long appends campaigns above this line -->'
  if grep -qF "$marker" "$root/README.md"; then
    python3 - "$root/README.md" "$section" "$marker" <<'EOF'
import sys
readme, section, marker = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(readme, encoding="utf-8").read()
add = open(section, encoding="utf-8").read()
text = text.replace(marker, add.lstrip("\n") + "\n" + marker, 1)
open(readme + ".tmp", "w", encoding="utf-8").write(text)
import os
os.replace(readme + ".tmp", readme)
EOF
    echo "== the campaign's totals are in README.md"
  else
    echo "fuzz.sh: README.md has no line '$marker'; the campaign was not recorded" >&2
  fi
  rm -f "$section"
fi
[ "$crashed" = 0 ]
