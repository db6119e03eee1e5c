/**
 * Builds the npm package into npm/ (the job dnt would do): ESM + .d.ts compiled by the pinned
 * tsc, a package.json with an exports map, README and LICENSE. The test suite is compiled
 * alongside into npm/tests/ (not part of the published files) so that `node --test` runs it
 * against the built package.
 *
 * Run: node_modules/.bin/deno run -A scripts/build_npm.ts
 */

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";

const root = join(import.meta.dirname ?? ".", "..");
const out = join(root, "npm");
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const dev = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

rmSync(out, { recursive: true, force: true });
try {
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
} catch {
  console.error("build_npm: tsc failed");
  process.exit(1);
}

// tsc rewrites .ts specifiers in JavaScript but not in declarations: fix the .d.ts files so
// that consumers on any TypeScript version resolve them.
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
for (const file of walk(out).filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/(from\s+["']|import\(["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
}

// The published JavaScript carries no comments: the documentation lives in the .d.ts files
// (which editors show), and the package stays small. esbuild re-prints each module as it is
// (no bundling, same imports); the compiled tests, benchmarks and examples are left alone.
const published = walk(out).filter((f) =>
  f.endsWith(".js") && !/^(tests|bench|examples)\//.test(relative(out, f))
);
try {
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
    ...published,
    `--outdir=${out}`,
    `--outbase=${out}`,
    "--allow-overwrite",
    "--format=esm",
    "--log-level=warning",
  ], { stdio: "inherit" });
} catch {
  console.error("build_npm: esbuild (stripping comments) failed");
  process.exit(1);
}

// The command line's entry as one file holding the token fast path (src/cli/token_from_cache.ts
// and the cache reader): Node and Bun then load one module instead of about thirty before
// answering from the cache (Node about 13 ms sooner, Bun about 3 ms). What it loads only on
// demand stays a module of its own, shared with the rest of the package: the full command line
// (main.js), the keyring cache (persistence) and the exit codes (describeFailure must see the
// same error classes as the persistent cache that threw).
try {
  const bin = join(out, "src", "cli", "bin.js");
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
    bin,
    "--bundle",
    `--outfile=${bin}`,
    "--allow-overwrite",
    "--platform=node",
    "--format=esm",
    "--log-level=warning",
    ...[
      "./main.js",
      "./exit_codes.js",
      "../persistence/persistent_cache.js",
      "../persistence/errors.js",
      "../cache/plugin.js",
    ].map((path) => `--external:${path}`),
  ], { stdio: "inherit" });
} catch {
  console.error("build_npm: esbuild (bundling the command line's entry) failed");
  process.exit(1);
}

const pkg = {
  name: "entra-auth",
  version: deno.version,
  description:
    "Sign in to Microsoft Entra ID from Deno, Bun and Node, through the OS authentication broker (MSALRuntime via FFI) or by itself.",
  license: deno.license,
  type: "module",
  main: "./mod.js",
  types: "./mod.d.ts",
  // The same entry points as deno.json's "exports".
  exports: {
    ...Object.fromEntries(
      Object.entries(deno.exports as Record<string, string>).map(([key, path]) => [
        key,
        { types: path.replace(/\.ts$/, ".d.ts"), default: path.replace(/\.ts$/, ".js") },
      ]),
    ),
    "./package.json": "./package.json",
  },
  // The command line (src/cli/), and the broker emulator's launcher for apps' own tests
  // (Linux: bwrap, dbus, gnome-keyring).
  bin: {
    "entra-auth": "src/cli/bin.js",
    "entra-auth-with-broker": "bin/entra-auth-with-broker",
  },
  files: [
    "mod.js",
    "mod.d.ts",
    "src/",
    "ffi/",
    "bin/",
    "scripts/broker_emulator.js",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
  ],
  engines: { node: ">=20" },
  sideEffects: false,
  // koffi is used only on Node, and only to reach native libraries (the broker).
  optionalDependencies: { koffi: dev.devDependencies.koffi },
  keywords: ["entra", "azure-ad", "msal", "oauth", "broker", "deno", "bun", "ffi"],
};
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
for (const file of ["README.md", "CHANGELOG.md", "LICENSE"]) {
  copyFileSync(join(root, file), join(out, file));
}
mkdirSync(join(out, "bin"), { recursive: true });
copyFileSync(join(root, "scripts", "with-broker.sh"), join(out, "bin", "entra-auth-with-broker"));
chmodSync(join(out, "bin", "entra-auth-with-broker"), 0o755);
console.log(`build_npm: wrote ${out} (entra-auth ${pkg.version})`);
