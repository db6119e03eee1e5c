#!/usr/bin/env bash
# Cache size: loading the persistent cache and committing one token at 1,000 and 100,000
# access tokens; ours on Deno, Bun and Node against msal-node with its file plug-in, in one
# run (inside a private keyring session, ours with keyring encryption too).
# Usage: bash bench/cache/run.sh [runs]    (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --npm-only >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
scripts/with-broker.sh --no-emulator -- node npm/bench/cache/measure.js "${1:-3}"
