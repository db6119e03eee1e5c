#!/usr/bin/env bash
# Mutation testing with StrykerJS, one module at a time (not run in CI: it is slow).
#
#   bash scripts/mutation.sh                 # every module, most security-critical first
#   bash scripts/mutation.sh loopback cache  # the named modules only
#   MUTATION_BUDGET_MIN=20 bash scripts/mutation.sh persistence_lock
#   MUTATION_MUTATE=src/persistence/lock.ts:200-378 bash scripts/mutation.sh persistence_lock
#                                            # a second pass on those lines only (.ranges.*)
#   MUTATION_TESTS="tests/x.test.ts" MUTATION_LABEL=fast bash scripts/mutation.sh cache
#                                            # other tests (reports .fast.*)
#
# Modules (scripts/stryker.conf.mjs): pkce validate token_endpoint loopback device_code
# loopback_rules authority_metadata client cache persistence_lock persistence_merge cache_store
# persistence_files persistence_keys persistence_takeover persistence cache_rest broker
# completion.
# Each run mutates the module's files in a sandbox (.tmp/stryker) and runs the narrowest Deno
# test files that guard them against every mutant. Reports: .tmp/mutation/<module>.html and
# .json. A run that exceeds its time budget (MUTATION_BUDGET_MIN, default 30) is stopped and
# reported as such (Stryker then writes no report: give the budget room, or split the module
# with MUTATION_MUTATE). The broker module's tests run against the compiled C test double of
# MSALRuntime and against the real MSALRuntime talking to the broker emulator, so each of its test
# runs is wrapped in scripts/with-broker.sh (set here unless MUTATION_WRAP is set; an empty
# MUTATION_WRAP= runs them unwrapped, the emulator's tests then skip). It is slow (about 30 s a
# mutant): run it in passes (docs/mutation-testing.md). Results, scores and the equivalent
# mutants: docs/mutation-testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(pkce validate token_endpoint loopback device_code loopback_rules authority_metadata client cache persistence_lock persistence_merge cache_store persistence_files persistence_keys persistence_takeover persistence cache_rest broker completion)
modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=("${ALL[@]}")
budget_min="${MUTATION_BUDGET_MIN:-30}"
stryker=node_modules/.bin/stryker
[ -x "$stryker" ] || { echo "StrykerJS is missing: run npm ci (it is a dev dependency)" >&2; exit 1; }
mkdir -p .tmp/mutation

status=0
for module in "${modules[@]}"; do
  label="${MUTATION_LABEL:-${MUTATION_MUTATE:+ranges}}"
  label="${label:-${MUTATION_TESTS:+tests}}"
  report=".tmp/mutation/$module${label:+.$label}"
  if [ "$module" = broker ] && [ -z "${MUTATION_WRAP+set}" ]; then
    # Its tests need a broker session (the emulator on a private bus): one per test run.
    wrap="$PWD/scripts/with-broker.sh -- "
  else
    wrap="${MUTATION_WRAP:-}"
  fi
  echo "== mutation testing: $module${MUTATION_MUTATE:+ ($MUTATION_MUTATE)} (budget ${budget_min} min)"
  rm -f "$report.json"
  set +e
  MUTATION_MODULE="$module" MUTATION_WRAP="$wrap" timeout --signal=INT --kill-after=30 \
    "$((budget_min * 60))" "$stryker" run scripts/stryker.conf.mjs 2>&1 \
    | tee "$report.log" | grep -vE "^\s+at |Mutation testing [0-9]+%" 
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 130 ]; then
    echo "== $module: stopped (time budget of ${budget_min} min spent, or interrupted)"
    echo "   progress when stopped: $(grep -E 'Mutation testing [0-9]+%' "$report.log" | tail -1)"
    status=1
  elif [ "$rc" -ne 0 ]; then
    echo "== $module: stryker exited with $rc (see $report.log)"
    status=1
  fi
  if [ -f "$report.json" ]; then
    node scripts/mutation_score.mjs "$report.json"
  fi
done
exit "$status"
