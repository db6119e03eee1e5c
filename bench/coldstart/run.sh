#!/usr/bin/env bash
# Cold start: a new process that loads the persistent cache and returns a valid token silently.
# Ours on Deno, Bun and Node (compiled, npm/bench/coldstart/) against msal-node on Node with
# its plain file cache plug-in, on the same cache contents, in one run. Inside a private
# keyring session (scripts/with-broker.sh) ours with keyring encryption is timed as well.
# Usage: bash bench/coldstart/run.sh [runs]    (default 15)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --npm-only >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
scripts/with-broker.sh --no-emulator -- node npm/bench/coldstart/measure.js "${1:-15}"
