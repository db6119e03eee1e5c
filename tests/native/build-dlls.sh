#!/usr/bin/env bash
# Builds the C test libraries of tests/native/ as Windows DLLs with mingw-w64
# (x86_64-w64-mingw32-gcc), for the suite under Wine (scripts/wine/run.sh). Run on the Linux
# host: the Windows runtimes inside Wine cannot compile. Output: tests/native/build/win64/,
# with the same layout tests/support/native.ts expects on Windows:
#   fftest.dll              the FFI test library (winpthreads linked statically)
#   ftneeds.dll             needs ftdep.dll, which is kept out of the loader's search path
#   deps/ftdep.dll          (so loading ftneeds.dll fails with Windows error 126)
#   msalruntime_double.dll  the MSALRuntime ABI test double
# Rebuilds a DLL only when a source is newer.
set -euo pipefail
cd "$(dirname "$0")"
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
command -v "$CC" >/dev/null || { echo "build-dlls: $CC not found (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }
out=build/win64
mkdir -p "$out/deps"
FLAGS=(-O2 -shared -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic)

build() { # build <output> <sources...> [-- extra flags]
  local target=$out/$1
  shift
  local sources=() extra=()
  while (($#)) && [[ $1 != -- ]]; do sources+=("$1"); shift; done
  (($#)) && { shift; extra=("$@"); }
  local s
  if [[ -e $target ]]; then
    local stale=0
    for s in "${sources[@]}"; do [[ $s -nt $target ]] && stale=1; done
    ((stale)) || return 0
  fi
  # Built under its own name (a DLL records it, and its importers name it), then moved.
  local tmp
  tmp=$(mktemp -d "$out/.build.XXXXXX")
  "$CC" -o "$tmp/${target##*/}" "${sources[@]}" "${extra[@]}" "${FLAGS[@]}"
  mv "$tmp/${target##*/}" "$target"
  rmdir "$tmp"
}

build fftest.dll fftest.c
build deps/ftdep.dll ftdep.c
build ftneeds.dll ftneeds.c -- "-L$out/deps" -l:ftdep.dll
if [[ -e msalruntime_double.c ]]; then
  build msalruntime_double.dll msalruntime_double.c
fi
