#!/usr/bin/env bash
# Silent token lookup from a warm in-memory cache of 10, 1,000 and 10,000 access tokens:
# ours in Deno, Bun and Node (compiled, npm/bench/silent/) against msal-node's
# acquireTokenSilent on the same cache contents, in one run. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --npm-only >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
results=()
results+=("$(node_modules/.bin/deno run --quiet -A bench/silent/silent_bench.ts)")
results+=("$(node_modules/.bin/bun bench/silent/silent_bench.ts)")
results+=("$(node npm/bench/silent/silent_bench.js)")
printf '%s\n' "${results[@]}" | node -e '
const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
const msal = rows.find((r) => r.runtime === "node").msal;
const sizes = Object.keys(msal).map(Number);
const us = (ns) => (ns / 1000).toFixed(2).padStart(10);
console.log("Silent lookup from a warm in-memory cache, median microseconds per call.");
console.log("ours = PublicClientApplication.acquireTokenSilent; msal-node = its acquireTokenSilent (Node);");
console.log("both offline, on the same cache contents.");
console.log("");
console.log("tokens".padStart(8) + rows.map((r) => ("ours " + r.runtime).padStart(12)).join("") +
  "msal-node".padStart(12) + "   msal-node / ours");
for (const n of sizes) {
  console.log(String(n).padStart(8) + rows.map((r) => us(r.ours[n]).padStart(12)).join("") +
    us(msal[n]).padStart(12) + "   " + rows.map((r) => `${r.runtime} ${(msal[n] / r.ours[n]).toFixed(0)}x`).join(", "));
}
const first = sizes[0], last = sizes[sizes.length - 1];
console.log("");
console.log("the cache alone (findAccessToken + findIdToken + result), random / the same 8 repeated:");
for (const n of sizes) {
  console.log(String(n).padStart(8) + rows.map((r) => (us(r.lookups[n]).trim() + " / " + us(r.oursHot[n]).trim()).padStart(18)).join(""));
}
console.log("");
console.log(`growth ${first} -> ${last} tokens: ` + rows.map((r) => `ours ${r.runtime} ${(r.ours[last] / r.ours[first]).toFixed(2)}x` +
  ` (repeated ${(r.oursHot[last] / r.oursHot[first]).toFixed(2)}x)`).join(", ") +
  `, msal-node ${(msal[last] / msal[first]).toFixed(1)}x`);'
