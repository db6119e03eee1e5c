#!/usr/bin/env bash
# The command line's start-up: `entra-auth token` served from the persistent cache in a new
# process, on Deno, Bun, Node and the Bun single file, against each runtime's bare start and
# msal-node; then against `az account get-access-token` signed in to the Entra emulator (skipped,
# with the apt-get line, when the Azure CLI is not installed). See bench/cli/README.md.
# Usage: bash bench/cli/run.sh [runs]    (default 15)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --npm-only >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_npm.ts >/dev/null
node_modules/.bin/deno run --quiet -A scripts/build_jsr.ts 2>/dev/null
bash scripts/build_cli.sh >/dev/null
node npm/bench/cli/measure.js "${1:-15}"
node npm/bench/cli/az.js "${1:-15}"
