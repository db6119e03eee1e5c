#!/usr/bin/env bash
# Installs what entra-auth's demo and tests need on a fresh machine:
# - npm packages (npm ci: deno, bun, dprint, tsc, koffi, @azure/msal-node-runtime, …);
# - Debian packages (when run as root; otherwise prints the exact apt-get line):
#   the libraries libmsalruntime.so loads, D-Bus, gnome-keyring and bubblewrap for the
#   private broker session, and a C compiler for the native test library.
# Usage: scripts/setup.sh [--npm-only | --demo]   (--demo: only what the demo needs)
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libwebkit2gtk-4.1-0 libjavascriptcoregtk-4.1-0 libgtk-3-0 libsoup-3.0-0 libsecret-1-0
  libx11-6 dbus dbus-x11 gnome-keyring libglib2.0-bin bubblewrap gcc libc6-dev chromium xvfb
  curl python3-msal python3-dbus debootstrap gcc-mingw-w64-x86-64
)

# npm ci when node_modules does not match package-lock.json (a stamp records the last install).
stamp=node_modules/.entra-auth-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -x node_modules/.bin/deno || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

[[ "${1:-}" == "--npm-only" ]] && exit 0
if [[ "${1:-}" == "--demo" ]]; then
  # MSALRuntime's libraries and the private broker session; no browser, compiler or X server.
  DEBIAN_PACKAGES=(
    libwebkit2gtk-4.1-0 libjavascriptcoregtk-4.1-0 libgtk-3-0 libsoup-3.0-0 libsecret-1-0
    libx11-6 dbus dbus-x11 gnome-keyring bubblewrap
  )
fi
command -v dpkg-query >/dev/null || exit 0

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  echo "setup: $line"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: these Debian packages are missing; install them as root:" >&2
  echo "  sudo apt-get update && sudo $line" >&2
  exit 1
fi
