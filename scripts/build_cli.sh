#!/usr/bin/env bash
# Single-file builds of the `entra-auth` command line, into .build/:
# - entra-auth-bun: `bun build --compile` (the Bun runtime and the code in one executable).
# `deno compile` is not offered: it downloads its runtime (denort) from Deno's servers, which
# neither npm nor Debian provides, so it cannot run where only those registries are reachable.
# Usage: bash scripts/build_cli.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
node_modules/.bin/bun build --compile src/cli/bin.ts --outfile .build/entra-auth-bun
echo "build_cli: .build/entra-auth-bun"
