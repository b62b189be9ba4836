#!/usr/bin/env bash
# Installs the Debian packages Baton needs on this machine, and nothing twice.
#   installer/debian-deps.sh run    packages to open the window (X11/Wayland/GL are loaded at run time)
#   installer/debian-deps.sh test   packages the test suite uses as well (Xvfb, a Secret Service, D-Bus,
#                                   the validators tests/package.sh runs on the .deb, an MIT Kerberos KDC
#                                   the headers python-gssapi builds against, and g++ for libFuzzer)
set -euo pipefail
mode=${1:-run}
pkgs=(libx11-6 libxcursor1 libx11-xcb1 libxi6 libxkbcommon-x11-0 libegl1 libegl-mesa0 libgl1-mesa-dri)
if [ "$mode" = test ]; then
  pkgs+=(xvfb xauth gnome-keyring dbus dbus-x11 imagemagick xdotool tinyproxy-bin)
  # tests/renderer.rs: wgpu draws under Xvfb through Mesa's software Vulkan driver (lavapipe).
  pkgs+=(libvulkan1 mesa-vulkan-drivers)
  pkgs+=(desktop-file-utils appstream mandoc libxml2-utils dpkg-dev binutils)
  # tests/kerberos.rs: a throwaway realm (kdb5_util, kadmin.local, krb5kdc) and
  # the pyspnego acceptor over python-gssapi (built from source: gcc, headers);
  # kinit fills the ticket cache the current-user sign-in reads.
  pkgs+=(krb5-kdc krb5-admin-server krb5-user libkrb5-dev gcc python3-dev)
  # tests/fuzz.sh: libFuzzer is C++, built by the libfuzzer-sys crate.
  pkgs+=(g++)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
