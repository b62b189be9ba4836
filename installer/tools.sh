#!/usr/bin/env bash
# Installs a packaging tool, pinned, into the git-ignored .tools/ folder (once;
# again only when the pin changes), and prints the path of its executable.
#   installer/tools.sh deb        cargo-deb: the Debian package (Linux; what CI tests)
#   installer/tools.sh wix        cargo-wix: the MSI from installer/windows/main.wxs (Windows)
#   installer/tools.sh packager   cargo-packager: the .app and .dmg (macOS)
# Each is built from crates.io with --locked, so its own dependencies are the
# ones its release was tested with.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  deb) crate=cargo-deb version=3.8.0 ;;
  wix) crate=cargo-wix version=0.3.9 ;;
  packager) crate=cargo-packager version=0.11.8 ;;
  *) echo "usage: $0 deb|wix|packager" >&2; exit 2 ;;
esac
tools="$root/.tools/$crate-$version"
exe="$tools/bin/$crate"
[ -x "$exe.exe" ] && exe="$exe.exe"
if [ ! -x "$exe" ]; then
  echo "installing $crate $version into ${tools#"$root"/} (once)" >&2
  # Its own target folder, so the project's shared one keeps only the project.
  CARGO_TARGET_DIR="$tools/build" cargo install --locked --quiet --root "$tools" "$crate" --version "$version" >&2
  rm -rf "$tools/build"
  exe="$tools/bin/$crate"
  [ -x "$exe.exe" ] && exe="$exe.exe"
fi
echo "$exe"
