#!/usr/bin/env bash
# Type-checks and lints Baton for the platforms this Linux machine cannot run:
# clippy with -D warnings over the library and the executables, compiled for
#   windows  x86_64-pc-windows-gnu (ring's C code built by mingw: apt-get install gcc-mingw-w64-x86-64)
#   macos    x86_64-apple-darwin   (type-checked only: ring's C and assembly need Apple's SDK, so a
#                                   stand-in compiler answers as gcc and writes empty objects; nothing
#                                   is linked, so nothing from this run can be started)
# Each target needs `rustup target add <triple>` once. Not part of the test command: the
# targets are not installed on a fresh machine, and each check takes minutes on 2 cores.
#
#   tests/cross-check.sh [windows] [macos]      (default: both)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(windows macos)

stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
cat > "$stub/cc" <<'EOF'
#!/bin/sh
case " $* " in *" -E "*) exec gcc "$@" ;; esac
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -Fo*) out="${1#-Fo}"; shift ;;
    *) shift ;;
  esac
done
[ -z "$out" ] || gcc -c -x c /dev/null -o "$out"
EOF
chmod +x "$stub/cc"

status=0
for t in "${targets[@]}"; do
  case "$t" in
    windows) triple=x86_64-pc-windows-gnu; env=() ;;
    macos) triple=x86_64-apple-darwin; env=(CC_x86_64_apple_darwin="$stub/cc" AR_x86_64_apple_darwin=ar) ;;
    *) echo "cross-check: unknown platform '$t' (windows or macos)" >&2; exit 2 ;;
  esac
  if ! rustup target list --installed | grep -qx "$triple"; then
    echo "cross-check: the Rust target $triple is not installed: rustup target add $triple" >&2
    status=1
    continue
  fi
  echo "== clippy for $t ($triple)"
  if env "${env[@]}" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/cross" \
      cargo clippy --locked --target "$triple" --bins --lib -- -D warnings; then
    echo "== $t: clippy passed"
  else
    echo "== $t: clippy FAILED" >&2
    status=1
  fi
done
exit $status
