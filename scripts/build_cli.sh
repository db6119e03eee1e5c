#!/usr/bin/env bash
# Single-file builds of the `entra-auth` command line, into .build/:
# - entra-auth-bun: `bun build --compile` (the Bun runtime and the code in one executable).
#   `--splitting` keeps what the command loads on demand (the full command line, the broker,
#   the network flows) in chunks of their own inside the executable: without it the whole
#   graph is evaluated at start, and a token from the cache took 35-40 ms of CPU instead of 16.
# `deno compile` is not offered: it downloads its runtime (denort) from Deno's servers, which
# neither npm nor Debian provides, so it cannot run where only those registries are reachable.
# Usage: bash scripts/build_cli.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
node_modules/.bin/bun build --compile --splitting src/cli/bin.ts --outfile .build/entra-auth-bun
echo "build_cli: .build/entra-auth-bun"
