#!/usr/bin/env bash
# Builds the Debian package, unpacks it into a scratch root and checks what a
# user gets: the files, `baton --version` run from there, the desktop entry,
# the AppStream metadata and the manual pages. Also checks the Windows (WiX)
# and macOS packaging inputs that cannot be built on Linux.
#
# It packages the binary the test suite has just built (dev profile) instead of
# an optimized one: a release build costs CI about 8 more minutes on 2 cores,
# and the packaging (paths, metadata, stripping, dependencies) is the same for
# both. Releases use `cargo deb` as the README says, which builds --release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

checks=0
pass() { checks=$((checks + 1)); }
fail() { echo "package.sh: FAILED: $*" >&2; exit 1; }

cargo_deb=$(installer/tools.sh deb)
start=$SECONDS

# The suite's binary, brought up to date with the sources: the same build as
# run-all.sh's `cargo test` (a no-op after it). Not `cargo build`: without the
# dev-dependencies some crates resolve other features and would be rebuilt.
cargo test --locked --all-targets --no-run --quiet
read -r target version < <(cargo metadata --locked --format-version 1 --no-deps | python3 -c '
import json, sys
meta = json.load(sys.stdin)
baton = next(p for p in meta["packages"] if p["name"] == "baton")
print(meta["target_directory"], baton["version"])')
[ -n "$version" ] || fail "cargo metadata gave no version"
[ -x "$target/debug/baton" ] || fail "no $target/debug/baton"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# cargo-deb takes binaries from <target>/release/ (its `target/release/` asset
# prefix); a scratch target folder holding a copy of the debug binary lets it
# package that one without building, and leaves the real target folder alone.
mkdir -p "$scratch/target/release"
cp "$target/debug/baton" "$scratch/target/release/baton"
echo "== package: cargo deb (debug binary, stripped)"
CARGO_TARGET_DIR="$scratch/target" "$cargo_deb" --locked --no-build --strip --fast --quiet \
  --output "$scratch/baton.deb" >/dev/null
deb="$scratch/baton.deb"
[ -s "$deb" ] || fail "cargo deb wrote no package"
pass

# Control data.
info=$(dpkg-deb --info "$deb")
grep -qx " Package: baton" <<<"$info" || fail "package name: $info"
grep -qx " Version: $version-1" <<<"$info" || fail "package version is not $version-1: $info"
grep -q "^ Depends: .*libc6" <<<"$info" || fail "no libc6 dependency: $info"
for lib in libx11-6 libxkbcommon-x11-0 libegl1 libgl1-mesa-dri; do
  grep -q "^ Depends: .*$lib" <<<"$info" || fail "no $lib dependency (loaded at run time): $info"
done
grep -q "^ Recommends: .*libgssapi-krb5-2" <<<"$info" || fail "no libgssapi-krb5-2 recommendation (current-user sign-in): $info"
pass

# The file list.
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
expected=(
  ./usr/bin/baton
  ./usr/share/applications/baton.desktop
  ./usr/share/metainfo/org.batonconsole.Baton.metainfo.xml
  ./usr/share/doc/baton/copyright
  ./usr/share/icons/hicolor/scalable/apps/baton.svg
)
for size in 16 24 32 48 64 128 256 512; do
  expected+=("./usr/share/icons/hicolor/${size}x${size}/apps/baton.png")
done
for page in installer/linux/man/*.1; do
  expected+=("./usr/share/man/man1/$(basename "$page").gz")
done
for path in "${expected[@]}"; do
  grep -qx -- "$path" <<<"$contents" || fail "$path is not in the package"
done
pass

# Unpack into a scratch root, as dpkg would install it.
dest="$scratch/root"
dpkg-deb --extract "$deb" "$dest"
out=$("$dest/usr/bin/baton" --version)
[ "$out" = "baton $version" ] || fail "baton --version printed '$out', not 'baton $version'"
pass
[ "$(stat -c %a "$dest/usr/bin/baton")" = 755 ] || fail "usr/bin/baton is not mode 755"
grep -q "^Files: \*" "$dest/usr/share/doc/baton/copyright" || fail "copyright is not in Debian's format"
pass

# The desktop entry: valid, and pointing at what the package installs.
desktop="$dest/usr/share/applications/baton.desktop"
report=$(desktop-file-validate "$desktop" 2>&1) || fail "desktop-file-validate: $report"
if grep -qi "error" <<<"$report"; then fail "desktop-file-validate: $report"; fi
grep -qx "Exec=baton" "$desktop" || fail "Exec is not baton"
grep -qx "Icon=baton" "$desktop" || fail "Icon is not baton"
grep -qx "Categories=System;Network;RemoteAccess;" "$desktop" || fail "Categories"
pass

# AppStream: valid offline; its launchable and screenshot exist.
metainfo="$dest/usr/share/metainfo/org.batonconsole.Baton.metainfo.xml"
report=$(appstreamcli validate --no-net --no-color "$metainfo" 2>&1) || fail "appstreamcli validate: $report"
grep -q "<launchable type=\"desktop-id\">baton.desktop</launchable>" "$metainfo" || fail "launchable"
shot=$(sed -n 's|.*<image>https://.*/\(assets/[^<]*\)</image>.*|\1|p' "$metainfo")
[ "$shot" = assets/screenshot.png ] && [ -s "$shot" ] || fail "the metainfo screenshot is not assets/screenshot.png"
grep -q "<release version=\"$version\"" "$metainfo" || fail "no <release> for $version in the metainfo"
pass

# Manual pages: mandoc finds nothing to warn about, and baton(1) covers the CLI.
for page in "$dest"/usr/share/man/man1/*.1.gz; do
  report=$(mandoc -T lint -W warning "$page" 2>&1) || fail "mandoc -T lint: $report"
done
text=$(mandoc -T ascii "$dest/usr/share/man/man1/baton.1.gz" | sed 's/.\x08//g')
for word in "--json" "--demo" "--version" "-c <LINE>" "baton-shell(1)" "baton-lab(1)" \
  "baton-profile(1)" "baton-credential(1)"; do
  grep -qF -- "$word" <<<"$text" || fail "baton(1) does not mention $word"
done
pass

# Windows: the WiX source is well-formed and what it includes exists.
xmllint --noout installer/windows/main.wxs || fail "installer/windows/main.wxs is not well-formed"
grep -q 'include = \["installer/windows/main.wxs"\]' Cargo.toml || fail "[package.metadata.wix] does not include main.wxs"
[ "$(head -c 4 assets/icons/baton.ico | od -An -tx1 | tr -d ' ')" = 00000100 ] || fail "assets/icons/baton.ico is not an icon"
grep -q 'assets\\icons\\baton.ico' installer/windows/main.wxs || fail "main.wxs does not use assets/icons/baton.ico"
grep -q 'Target="\[Bin\]batonw.exe"' installer/windows/main.wxs || fail "the Start menu shortcut does not start batonw.exe (a console window would open beside the GUI)"
grep -q 'Name="batonw.exe"' installer/windows/main.wxs || fail "main.wxs does not install batonw.exe"
pass

# macOS: cargo-packager's bundle uses the committed .icns.
[ "$(head -c 4 assets/icons/baton.icns)" = icns ] || fail "assets/icons/baton.icns is not an icns file"
grep -q '^icons = \["assets/icons/baton.icns"\]' Cargo.toml || fail "[package.metadata.packager] does not use baton.icns"
pass

echo "== package: all $checks checks passed ($(du -h "$deb" | cut -f1) .deb, $((SECONDS - start)) s)"
