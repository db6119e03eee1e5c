/**
 * Whether the compiled build in npm/ is current: tests that start Node processes run the
 * compiled copy (Node 20 cannot run TypeScript), so a build older than the sources would test
 * old code and pass for the wrong reason. A source file newer than its compiled `.js` (or one
 * with no compiled copy) makes the build stale.
 *
 * @module
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { repoPath, repoRoot } from "./paths.ts";

/** The sources a compiled Node fixture may run: the library and the test fixtures' helpers. */
const SOURCES = ["mod.ts", "src", "ffi", "tests/fixtures", "tests/support", "tests/persistence"];

function tsFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return path.endsWith(".ts") ? [path] : [];
  return readdirSync(path).flatMap((name) => tsFiles(join(path, name)));
}

/**
 * Why the npm/ build is stale, or undefined when every source has a compiled copy at least as
 * new as itself.
 *
 * @returns a message naming the first out-of-date source and the command that rebuilds
 * @example
 * ```ts
 * import { npmBuildStaleness } from "./npm_build.ts";
 * const stale = npmBuildStaleness();
 * if (stale) throw new Error(stale);
 * ```
 */
export function npmBuildStaleness(): string | undefined {
  const rebuild = "rebuild it first: node_modules/.bin/deno run -A scripts/build_npm.ts";
  if (!existsSync(repoPath("npm", "package.json"))) return `npm/ is not built: ${rebuild}`;
  for (const source of SOURCES.flatMap((s) => tsFiles(repoPath(s)))) {
    if (source.endsWith(".d.ts")) continue;
    const rel = relative(repoRoot, source);
    const compiled = repoPath("npm", rel.replace(/\.ts$/, ".js"));
    if (!existsSync(compiled)) {
      return `npm/ is stale: ${rel} has no compiled copy (${compiled}); ${rebuild}`;
    }
    if (statSync(source).mtimeMs > statSync(compiled).mtimeMs) {
      return `npm/ is stale: ${rel} changed after it was compiled; the Node processes of `
        + `this test would run the old code. ${rebuild}`;
    }
  }
  return undefined;
}
