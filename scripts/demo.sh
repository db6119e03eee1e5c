#!/usr/bin/env bash
# The main job: sign in through the real MSALRuntime against the bundled broker emulator,
# with no tenant and no network. Installs what it needs (npm packages; Debian packages when
# run as root, otherwise prints the apt-get line).
# Usage: scripts/demo.sh [deno|bun|node]   (default: deno)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
runtime="${1:-deno}"
case "$runtime" in
deno) cmd=(node_modules/.bin/deno run --quiet -A scripts/demo.ts) ;;
bun) cmd=(node_modules/.bin/bun scripts/demo.ts) ;;
node)
  # Node 20 runs no TypeScript: bundle the demo with esbuild (as an app's build would; koffi
  # stays outside the bundle and is found in node_modules at run time).
  mkdir -p .tmp
  node_modules/.bin/esbuild scripts/demo.ts --bundle --platform=node --format=esm \
    --log-level=warning --outfile=.tmp/demo-node.mjs
  cmd=(node .tmp/demo-node.mjs)
  ;;
*) echo "demo.sh: runtime must be deno, bun or node" >&2; exit 2 ;;
esac
exec scripts/with-broker.sh -- "${cmd[@]}"
