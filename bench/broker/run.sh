#!/usr/bin/env bash
# The broker round trip for a silent token: entra-auth's binding and public API in Deno, Bun
# and Node, and Microsoft's N-API addon (@azure/msal-node-runtime) in Node, over the same
# libmsalruntime.so, against ONE broker emulator session (scripts/with-broker.sh), each side
# in its own process. Prints a table: median and p90 per call for (1) the broker round trip
# and (2) the cached silent path, the ratio to the addon, and RSS over the cached calls.
# A benchmark, not a test. Run `bash scripts/setup.sh` once first.
#
# Usage: bench/broker/run.sh [--rounds N] [--log] [--profile] [--round-trip renew|scope]
#                            [--no-build] [--only REGEX] [--keep FILE]
#   --rounds N     run every side N times (interleaved); the table shows the median run
#   --log          register a no-op MSALRuntime log callback on every side
#   --profile      then run each side once more, instrumented, and print where each call's
#                  time goes (BENCH_BROKER_PROFILE_CACHED, _ROUND_TRIPS: 2000, 50 calls)
#   --round-trip   renew (default: AccessTokenToRenew, same scope) or scope (a new scope per call)
#   --no-build     reuse npm/ as built (otherwise: deno run -A scripts/build_npm.ts)
#   --only REGEX   run only the sides whose label ("deno ours binding", …) matches
#   --keep FILE    also write the JSON lines to FILE
# Counts: BENCH_BROKER_ROUND_TRIPS (200), BENCH_BROKER_CACHED (10000), BENCH_BROKER_WARMUP (20),
# BENCH_BROKER_SAMPLE_EVERY (1000). Each process is stopped after BENCH_BROKER_TIMEOUT s (300).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ "${1:-}" == "--inner" ]]; then
  # Inside scripts/with-broker.sh: run each side in its own process, one JSON line each.
  shift
  results="$1" rounds="$2" only="$3" profile="$4"
  shift 4
  flags=("$@")
  gc_v8=(--v8-flags=--expose-gc)
  sides=(
    "node addon binding|node --expose-gc npm/bench/broker/addon.js --api binding"
    "deno ours binding|node_modules/.bin/deno run --quiet -A ${gc_v8[*]} bench/broker/ours.ts --api binding"
    "bun ours binding|node_modules/.bin/bun bench/broker/ours.ts --api binding"
    "node ours binding|node --expose-gc npm/bench/broker/ours.js --api binding"
    "node addon pca|node --expose-gc npm/bench/broker/addon.js --api pca"
    "deno ours pca|node_modules/.bin/deno run --quiet -A ${gc_v8[*]} bench/broker/ours.ts --api pca"
    "bun ours pca|node_modules/.bin/bun bench/broker/ours.ts --api pca"
    "node ours pca|node --expose-gc npm/bench/broker/ours.js --api pca"
  )
  status=0
  # The profiled pass (instrumented, slower) comes after the timed rounds.
  for ((round = 1; round <= rounds + profile; round++)); do
    extra=() counts=()
    if ((round > rounds)); then
      extra=(--profile)
      counts=(env "BENCH_BROKER_CACHED=${BENCH_BROKER_PROFILE_CACHED:-2000}"
        "BENCH_BROKER_ROUND_TRIPS=${BENCH_BROKER_PROFILE_ROUND_TRIPS:-50}")
    fi
    for entry in "${sides[@]}"; do
      label="${entry%%|*}"
      [[ -z "$only" || "$label" =~ $only ]] || continue
      read -r -a cmd <<<"${entry#*|}"
      echo "bench/broker: run $round/$((rounds + profile)): $label ${flags[*]} ${extra[*]}" >&2
      line="$(timeout --kill-after=10 "${BENCH_BROKER_TIMEOUT:-300}" "${counts[@]}" "${cmd[@]}" "${flags[@]}" \
        "${extra[@]}" | tail -n 1)" || {
        echo "bench/broker: $label failed (exit $?)" >&2
        status=1
        continue
      }
      printf '%s\n' "$line" >>"$results"
    done
  done
  # The memory baseline: the library alone, from C (no JavaScript), same session.
  if [[ -z "$only" || "native" =~ $only ]] && [[ -x .build/bench/native_baseline ]]; then
    echo "bench/broker: native C baseline" >&2
    .build/bench/native_baseline node_modules/@azure/msal-node-runtime/dist/linux/ubuntu/x64/libmsalruntime.so \
      "${BENCH_BROKER_CACHED:-10000}" >"$results.native" || status=1
  fi
  exit "$status"
fi

rounds=1 only="" build=1 keep="" flags=() profile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --log) flags+=(--log); shift ;;
    --profile) profile=1; shift ;;
    --round-trip) flags+=(--round-trip "$2"); shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

for tool in node_modules/.bin/deno node_modules/.bin/bun node_modules/@azure/msal-node-runtime; do
  [[ -e "$tool" ]] || { echo "bench/broker: $tool is missing: run bash scripts/setup.sh" >&2; exit 1; }
done
if [[ $build == 1 ]]; then
  node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
fi
if [[ "$(uname -s)" == Linux ]] && command -v cc >/dev/null; then
  mkdir -p .build/bench
  cc -O2 -o .build/bench/native_baseline bench/broker/native_baseline.c -ldl -pthread
fi

results="$(mktemp "${TMPDIR:-/tmp}/entra-bench-broker.XXXXXX")"
trap 'rm -f "$results" "$results.native"' EXIT
status=0
scripts/with-broker.sh -- bash "$0" --inner "$results" "$rounds" "$only" "$profile" "${flags[@]}" ||
  status=$?
[[ -n "$keep" ]] && cp "$results" "$keep"
node_modules/.bin/deno run --quiet bench/broker/table.ts <"$results"
if [[ -s "$results.native" ]]; then
  node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`memory baseline, MSALRuntime alone from C (every handle released), ${r.calls} cached calls: ` +
  `RSS ${r.rssStartMb} -> ${r.rssEndMb} MB (growth ${(r.rssEndMb - r.rssStartMb).toFixed(1)} MB)`);' "$results.native"
fi
exit "$status"
