#!/usr/bin/env bash
# Renders the committed icons from assets/icons/baton.svg (run it after editing
# the drawing; packaging uses the committed files and needs no renderer).
# Needs Debian's librsvg2-bin (rsvg-convert), imagemagick (convert) and
# icnsutils (png2icns).
set -euo pipefail
cd "$(dirname "$0")/../assets/icons"
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" baton.svg -o "baton-$size.png"
done
# Windows: one .ico with the sizes Explorer and the Start menu ask for.
/usr/bin/convert baton-16.png baton-24.png baton-32.png baton-48.png baton-64.png baton-256.png baton.ico
# macOS: an .icns, used as it is by the .app bundle.
png2icns baton.icns baton-16.png baton-32.png baton-48.png baton-128.png baton-256.png baton-512.png >/dev/null
