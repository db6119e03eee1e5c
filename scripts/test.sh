#!/usr/bin/env bash
# The whole check, as CI runs it: setup, format, lint, type checks, the npm build, then the
# one test suite under Deno, Bun and Node (on the built npm package).
# Usage: scripts/test.sh [deno|bun|node|windows ...]   (default: all; windows = the Windows
# builds of the three runtimes under Wine, docs/windows.md; ENTRA_SKIP_WINE=1 leaves it out)
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/summary.sh
. scripts/summary.sh
export PATH="$PWD/node_modules/.bin:$PATH"
unset RUST_BACKTRACE
mkdir -p .tmp

runtimes=("$@")
((${#runtimes[@]})) || runtimes=(deno bun node windows)
# "windows" is not a runtime of the loop below: it runs after the Linux suites.
wine=0
for i in "${!runtimes[@]}"; do
  [[ ${runtimes[$i]} == windows ]] && { wine=1; unset 'runtimes[i]'; }
done
runtimes=("${runtimes[@]}")

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "test.sh: $*" >&2; exit 1; }

step "setup"
bash scripts/setup.sh || fail "setup failed"

step "format (dprint check)"
dprint check || fail "dprint check failed: run node_modules/.bin/dprint fmt"

step "lint (deno lint)"
deno lint || fail "deno lint failed"

step "type check (tsc, deno check)"
tsc -p tsconfig.json || fail "tsc failed"
deno check --quiet mod.ts src ffi tests scripts bench examples || fail "deno check failed"

step "docs and JSR (deno doc --lint, deno publish --dry-run)"
# Every public symbol documented, no reference to an unexported type, no slow types; the
# dry run needs no network. --allow-dirty: it also runs on a working tree with changes.
# Every entry point of deno.json's "exports" is linted.
mapfile -t entries < <(node -p 'Object.values(require("./deno.json").exports).join("\n")')
deno doc --lint "${entries[@]}" >.tmp/doc-lint.log 2>&1 || { cat .tmp/doc-lint.log; fail "deno doc --lint failed"; }
# The package is published from its stage (the command line's entry bundled: build_jsr.ts).
deno run --quiet -A scripts/build_jsr.ts >.tmp/build_jsr.log 2>&1 ||
  { cat .tmp/build_jsr.log; fail "JSR stage (build_jsr.ts) failed"; }
(cd .build/jsr && deno publish --dry-run --allow-dirty --quiet) >.tmp/publish.log 2>&1 ||
  { cat .tmp/publish.log; fail "deno publish --dry-run (.build/jsr) failed"; }

step "npm build"
deno run --quiet -A scripts/build_npm.ts || fail "npm build failed"

# Each runtime runs the suite; its summary is parsed into passed/failed counts.
declare -A passed failed names
status=0
for rt in "${runtimes[@]}"; do
  log=".tmp/test-$rt.log"
  case "$rt" in
  # Each runtime runs inside its own isolated broker session (private D-Bus bus, fresh
  # keyring, the broker emulator, a private /dev/shm): see scripts/with-broker.sh.
  deno) cmd=(scripts/with-broker.sh -- deno test -A --no-check tests/) ;;
  bun) cmd=(scripts/with-broker.sh -- bun test --timeout 60000) ;;
  # --enable-source-maps: a failure's stack trace names the TypeScript source (npm/ has maps).
  node) cmd=(scripts/with-broker.sh -- node --enable-source-maps --test --test-reporter=spec npm/tests/) ;;
  *) fail "unknown runtime $rt" ;;
  esac
  step "tests under $rt: ${cmd[*]}"
  "${cmd[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  count_results "$rt" "$clean"
  passed[$rt]=$passed_count
  failed[$rt]=$failed_count
  names[$rt]=$(failed_names "$rt" "$clean")
  if ((rc != 0)) && ((failed[$rt] == 0)); then failed[$rt]=1; fi
  ((rc == 0)) || status=1
  ((passed[$rt] > 0)) || { echo "test.sh: $rt ran no test" >&2; status=1; }
done

# ---- Windows under Wine (scripts/wine/, docs/windows.md) --------------------------------
# Skippable (ENTRA_SKIP_WINE=1); an environment that cannot be built here is reported and
# skipped, but a test failing under Wine fails the run.
wine_note=""
wine_lines=""
if ((wine)); then
  if [[ ${ENTRA_SKIP_WINE:-} == 1 ]]; then
    wine_note="windows: skipped (ENTRA_SKIP_WINE=1)"
  else
    step "Windows under Wine: set-up (scripts/wine/setup.sh, cached)"
    bash scripts/wine/setup.sh 2>&1 | tee .tmp/wine-setup.log
    if ((PIPESTATUS[0] != 0)); then
      wine_note="windows: skipped, the Wine environment cannot be built: $(tail -1 .tmp/wine-setup.log)"
    else
      step "tests under Windows (Wine): scripts/wine/run.sh"
      bash scripts/wine/run.sh 2>&1 | tee .tmp/wine.log
      rc=${PIPESTATUS[0]}
      wine_lines=$(grep -E '^windows-' .tmp/wine.log)
      if ((rc == 2)); then
        wine_note="windows: skipped, the Wine environment is unusable: $(grep 'wine-run:' .tmp/wine.log | tail -1)"
      elif ((rc != 0)); then
        status=1
      fi
    fi
  fi
fi

step "summary"
total_p=0
total_f=0
for rt in "${runtimes[@]}"; do
  printf '%-5s %4d passed, %d failed\n' "$rt" "${passed[$rt]}" "${failed[$rt]}"
  [[ -z ${names[$rt]} ]] || sed 's/^/        ✖ /' <<<"${names[$rt]}"
  total_p=$((total_p + passed[$rt]))
  total_f=$((total_f + failed[$rt]))
done
if [[ -n $wine_lines ]]; then
  echo "$wine_lines"
  while read -r _ p _ f _; do
    total_p=$((total_p + p))
    total_f=$((total_f + f))
  done <<<"$wine_lines"
fi
[[ -z $wine_note ]] || echo "$wine_note"
echo "tests: $total_p passed, $total_f failed"
exit $status
