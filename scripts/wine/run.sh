#!/usr/bin/env bash
# Runs the suite's platform-neutral test files under the Windows builds of Deno, Bun and Node
# in Wine 10 (the trixie chroot made by scripts/wine/setup.sh), each runtime in turn.
# Usage: scripts/wine/run.sh [deno|bun|node ...]   (default: all three)
# Env: ENTRA_WINE_CACHE (default .cache/wine), ENTRA_WINE_FILES (test files, space-separated,
#      relative to the repository, .ts; Node runs their npm/ build), ENTRA_WINE_TIMEOUT
#      (seconds per runtime, default 600).
# Ends with one summary line per runtime ("windows-deno  12 passed, 0 failed"). Exit status:
# 0 all passed, 1 a test failed, 2 the Wine environment is missing (run setup.sh first).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=scripts/summary.sh
. scripts/summary.sh
CACHE=$(realpath -m "${ENTRA_WINE_CACHE:-$ROOT/.cache/wine}")
CHROOT=$CACHE/trixie
RT=$CACHE/runtimes
PREFIX=$CACHE/prefix
mkdir -p .tmp

runtimes=("$@")
((${#runtimes[@]})) || runtimes=(deno bun node)

# The test files that run under Windows. Tests that need Linux (D-Bus, libsecret, the broker
# emulator) skip themselves by an explicit platform check.
read -r -a files <<<"${ENTRA_WINE_FILES:-tests/ffi/ffi.test.ts tests/ffi/scratch_folder.test.ts tests/windows/dpapi.test.ts tests/windows/msalruntime.test.ts tests/windows/msalruntime_logs.test.ts}"

[[ -e $CHROOT/.entra-ready ]] || { echo "wine-run: no Wine environment in $CHROOT: run scripts/wine/setup.sh" >&2; exit 2; }
((EUID == 0)) || { echo "wine-run: needs root (chroot)" >&2; exit 2; }

bash tests/native/build-dlls.sh || { echo "wine-run: cannot build the test DLLs" >&2; exit 2; }

# Runs a command in the chroot with the repository (its node_modules too), the Wine cache,
# /proc, /dev and /tmp visible at their own paths, in a private mount namespace (mounts vanish
# with it). Wine sees the host's / as drive Z:. The repository may live anywhere (CI clones it
# outside /work): each path is bound at its own place, not a fixed /work.
in_chroot() {
  unshare -m bash -c '
    set -e
    c=$1 root=$2 cache=$3; shift 3
    mount -t proc proc "$c/proc"
    mount --rbind /dev "$c/dev"
    mkdir -p "$c/tmp" "$c$root"
    mount --bind "$root" "$c$root"
    case "$cache/" in
    "$root"/*) ;;
    *) mkdir -p "$c$cache" && mount --bind "$cache" "$c$cache" ;;
    esac
    mount --bind /tmp "$c/tmp"
    exec chroot "$c" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
      WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
      NO_COLOR=1 FORCE_COLOR=0 "$@"
  ' _ "$CHROOT" "$ROOT" "$CACHE" "$@"
}
export WINEPREFIX=$PREFIX

# The Windows path of a host path (Wine maps / to Z:).
winpath() { printf 'Z:%s' "${1//\//\\}"; }

if [[ ! -e $PREFIX/.entra-ready ]]; then
  echo "wine-run: creating the Wine prefix (once)" >&2
  in_chroot wineboot -i >"$CACHE/wineboot.log" 2>&1 || { echo "wine-run: wineboot failed (see $CACHE/wineboot.log)" >&2; exit 2; }
  touch "$PREFIX/.entra-ready"
fi
# Wine quirk: with no display (CI), Wine finds no graphics driver, explorer.exe (the desktop)
# fails to start, and the first GetForegroundWindow waits ~10 s for it. Wine's "null" driver
# gives a desktop and real window handles without a display.
if [[ ! -e $PREFIX/.entra-null-driver ]]; then
  in_chroot wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >>"$CACHE/wineboot.log" 2>&1 &&
    in_chroot wineserver -w >/dev/null 2>&1 &&
    touch "$PREFIX/.entra-null-driver" || { echo "wine-run: cannot select Wine's null graphics driver (see $CACHE/wineboot.log)" >&2; exit 2; }
fi

# koffi's Windows binary (npm: @koromix/koffi-win32-x64) is not in node_modules (shared with
# Linux): koffi also looks under process.resourcesPath (for Electron), which a preload sets.
koffi_preload=$CACHE/koffi-preload.cjs
cat >"$koffi_preload" <<JS
// Points koffi at its Windows binary in the Wine cache (see scripts/wine/run.sh).
process.resourcesPath = String.raw\`$(winpath "$RT/koffi-resources")\`;
JS

# Node runs the npm build: (re)built when missing or older than a source file.
if [[ " ${runtimes[*]} " == *" node "* ]] &&
  { [[ ! -e npm/package.json ]] || [[ -n $(find mod.ts src ffi tests -name '*.ts' -newer npm/package.json | head -1) ]]; }; then
  echo "wine-run: building npm/ for Node" >&2
  node_modules/.bin/deno run --quiet -A scripts/build_npm.ts || { echo "wine-run: npm build failed" >&2; exit 1; }
fi

declare -A passed failed secs
status=0
for rt in "${runtimes[@]}"; do
  log=.tmp/wine-$rt.log
  outer=$log
  rm -f "$log"
  case "$rt" in
  deno) cmd=(wine "$(winpath "$RT/deno/deno.exe")" test -A --no-check "${files[@]}") ;;
  bun) cmd=(wine "$(winpath "$RT/bun/bin/bun.exe")" test --timeout 60000 "${files[@]/#/./}") ;;
  node)
    nfiles=()
    for f in "${files[@]}"; do nfiles+=("$(winpath "$ROOT/npm/${f%.ts}.js")"); done
    # Wine bug (docs/windows.md): GetForegroundWindow called through koffi faults inside Wine's
    # syscall dispatcher and spins for good. Node therefore runs with a console window of its
    # own (`start /min`: a new console), so the console window handle is GetConsoleWindow()
    # and the foreground window is never asked for; Deno and Bun, started without a console
    # window, test that fallback. The console's output is not ours: a batch file sends Node's
    # output to the log and passes its exit status on.
    batch=$CACHE/node-run.cmd
    printf '@"%s" --test --test-reporter=spec %s > "%s" 2>&1\r\n@exit /b %%ERRORLEVEL%%\r\n' \
      "$(winpath "$RT/node/bin/node.exe")" "${nfiles[*]}" "$(winpath "$ROOT/$log")" >"$batch"
    # NODE_OPTIONS, not a flag: the fixtures' child processes need the preload too.
    cmd=(env NODE_OPTIONS="--require $(winpath "$koffi_preload")" wine start /wait /min cmd /c "$(winpath "$batch")")
    outer=.tmp/wine-node.wine.log
    ;;
  *) echo "wine-run: unknown runtime $rt" >&2; exit 1 ;;
  esac
  printf '\n== windows-%s: %s\n' "$rt" "${cmd[*]}"
  start=$(date +%s)
  # Wine quirk: Windows Node writes nothing useful to a pipe as stdout; a file works.
  # A run that hangs is a failure, not a stuck CI job: bounded, then Wine's processes are ended.
  in_chroot bash -c 'cd "$1" && shift && exec "$@" >"$0" 2>&1 </dev/null' "$ROOT/$outer" "$ROOT" \
    timeout --kill-after=10 "${ENTRA_WINE_TIMEOUT:-600}" "${cmd[@]}"
  rc=$?
  if [[ $outer != "$log" ]]; then cat "$outer" >>"$log" 2>/dev/null; rm -f "$outer"; fi
  ((rc == 124 || rc == 137)) && echo "wine-run: windows-$rt did not finish within ${ENTRA_WINE_TIMEOUT:-600} s" >>"$log"
  in_chroot wineserver -k >/dev/null 2>&1 || true
  # Wine quirk: Deno copies itself to node_compat_bin/node.exe for node-compatible child
  # processes, and each replace leaves its 97 MB temporary copy behind under Wine.
  rm -f "$PREFIX"/drive_c/users/*/AppData/Local/deno/node_compat_bin/*.tmp-*
  secs[$rt]=$(($(date +%s) - start))
  clean=$(sed 's/\x1b\[[0-9;]*m//g; s/\r$//' "$log")
  printf '%s\n' "$clean"
  count_results "$rt" "$clean"
  passed[$rt]=$passed_count
  failed[$rt]=$failed_count
  if ((rc != 0)) && ((failed[$rt] == 0)); then failed[$rt]=1; fi
  ((rc == 0)) || status=1
  ((passed[$rt] > 0)) || { echo "wine-run: windows-$rt ran no test" >&2; status=1; }
done

echo
for rt in "${runtimes[@]}"; do
  printf 'windows-%-5s %4d passed, %d failed (%ss)\n' "$rt" "${passed[$rt]}" "${failed[$rt]}" "${secs[$rt]}"
done
exit $status
