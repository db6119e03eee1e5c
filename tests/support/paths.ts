/** Locating the repository from a test, whether it runs from tests/ or from npm/tests/. */

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "deno.json")) && existsSync(join(dir, "tests", "native"))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the entra-auth repository root");
    dir = parent;
  }
}

/** The repository root. */
export const repoRoot: string = findRoot();

/** Resolves a path relative to the repository root. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}
