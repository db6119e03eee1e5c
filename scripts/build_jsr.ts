/**
 * Stages the JSR package in `.build/jsr/` (or `--out <dir>`): what deno.json's `publish.include`
 * lists, as it is, except the command line's entry: the staged `src/cli/bin.ts` (the `./cli`
 * export) imports `bin.bundle.js`, the real `src/cli/bin.ts` bundled and minified by esbuild,
 * with its chunks beside it.
 *
 * Why: Deno loads a TypeScript module through its emit cache with an inline source map; the
 * token fast path (`entra-auth token` from the cache) is some 30 modules, and Deno spent more
 * time loading them than running them. Bundled, `entra-auth token` starts within a few
 * milliseconds of `deno eval ''` (`bash bench/cli/run.sh`). The library's own exports stay
 * the sources.
 *
 * What stays outside the bundle, loaded from the staged sources beside it only when needed,
 * exactly as in the npm build (`scripts/build_npm.ts`): the full command line (`main.ts`), the
 * exit codes, and the keyring cache (its error classes must be the ones `describeFailure`
 * checks). `node:` modules are left to the runtime, and none is imported before the fast path
 * answers (Deno takes 15–20 ms to load the first).
 *
 * Publish from the stage: `deno run -A scripts/build_jsr.ts && cd .build/jsr && deno publish`.
 * `scripts/test.sh` runs `deno publish --dry-run` there; tests/packaging/jsr_package.test.ts
 * runs the staged command line against the sources.
 *
 * Run: node_modules/.bin/deno run -A scripts/build_jsr.ts [--out <dir>]
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import process from "node:process";

const root = resolve(import.meta.dirname ?? ".", "..");
const outAt = process.argv.indexOf("--out");
const out = outAt >= 0 ? resolve(process.argv[outAt + 1]) : join(root, ".build", "jsr");
const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const cli = join(out, "src", "cli");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const entry of config.publish.include as string[]) {
  const from = join(root, entry);
  if (isAbsolute(entry) || !existsSync(from)) {
    console.error(`build_jsr: publish.include names ${entry}, which is not in the repository`);
    process.exit(1);
  }
  cpSync(from, join(out, entry), { recursive: true });
}

// The entry with what the fast path may load (the node host, the keyring cache, the exit codes)
// in chunks beside it; the full command line is one more module, loaded only when it runs.
// Deno walks every module an entry can import, dynamically too, before it runs a line (about
// 0.1 ms each, even from its caches): the full command's hundred-odd modules, bundled into
// chunks, cost the fast path as much as the bundling saved.
esbuild(join(root, "src", "cli", "bin.ts"), [
  "--splitting",
  `--outdir=${cli}`,
  "--entry-names=[name].bundle",
  "--chunk-names=[name]-[hash].bundle",
  // JSR wants types for a JavaScript module; the entry exports nothing.
  `--banner:js=// @ts-self-types="./bin.bundle.d.ts"`,
  "--external:./main.ts",
]);
esbuild(join(root, "src", "cli", "main.ts"), [`--outfile=${join(cli, "main.bundle.js")}`]);
const entry = join(cli, "bin.bundle.js");
const parts = readFileSync(entry, "utf8").split(`import("./main.ts")`);
if (parts.length !== 2) {
  console.error(
    `build_jsr: the bundled entry must import ./main.ts once (found ${parts.length - 1})`,
  );
  process.exit(1);
}
writeFileSync(entry, parts.join(`import("./main.bundle.js")`));
writeFileSync(join(cli, "bin.bundle.d.ts"), "export {};\n");

// The staged entry: the same documentation, the bundle instead of the code.
const source = readFileSync(join(root, "src", "cli", "bin.ts"), "utf8");
const doc = /^(#![^\n]*\n)?(\/\*\*[\s\S]*?\*\/\n)/.exec(source);
if (!doc) {
  console.error("build_jsr: src/cli/bin.ts must open with its module documentation");
  process.exit(1);
}
writeFileSync(
  join(cli, "bin.ts"),
  `${
    doc[0]
  }\n// Staged by scripts/build_jsr.ts: src/cli/bin.ts, bundled.\nimport "./bin.bundle.js";\n`,
);

function esbuild(entryPoint: string, args: string[]): void {
  try {
    execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
      entryPoint,
      "--bundle",
      "--minify",
      "--format=esm",
      "--platform=neutral",
      "--legal-comments=none",
      "--log-level=warning",
      "--external:node:*",
      "--external:bun:*",
      "--external:koffi",
      ...args,
    ], { stdio: "inherit" });
  } catch {
    console.error(`build_jsr: esbuild ${entryPoint} failed`);
    process.exit(1);
  }
}

// deno publish type-checks the package against the dev dependencies' types (nodeModulesDir
// "manual"): the stage sees the repository's node_modules (not published: not included).
symlinkSync(join(root, "node_modules"), join(out, "node_modules"), "dir");
console.error(`build_jsr: ${out}`);
