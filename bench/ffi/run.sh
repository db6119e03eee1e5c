#!/usr/bin/env bash
# FFI overhead: runs bench/ffi/ffi_bench.ts in Deno, Bun and Node (compiled) in one run and
# prints per-call costs and the ratios between runtimes. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --npm-only >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
results=()
results+=("$(node_modules/.bin/deno run --quiet -A bench/ffi/ffi_bench.ts)")
results+=("$(node_modules/.bin/bun bench/ffi/ffi_bench.ts)")
results+=("$(node npm/bench/ffi/ffi_bench.js)")
printf '%s\n' "${results[@]}" | node -e '
const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
const metrics = [
  ["trivialCallNs", "trivial C call (ns)"],
  ["handleCreateReleaseNs", "create+release handle, T** out (ns)"],
  ["callbackRoundTripNs", "callback round trip via pthread (ns)"],
];
const pad = (s, n) => String(s).padStart(n);
console.log("metric".padEnd(40) + rows.map((r) => pad(r.runtime, 12)).join("") + "   ratios (x / deno)");
for (const [key, label] of metrics) {
  const deno = rows.find((r) => r.runtime === "deno")[key];
  console.log(label.padEnd(40) + rows.map((r) => pad(r[key].toFixed(1), 12)).join("") + "   " +
    rows.map((r) => `${r.runtime} ${(r[key] / deno).toFixed(2)}x`).join(", "));
}'
