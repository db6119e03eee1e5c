/**
 * A temporary folder for work whose result outlives it (Bun's TinyCC trampolines are compiled
 * from a source file written there, and live in memory once compiled).
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Removes a folder and everything in it (injectable for tests). */
export type RemoveFolder = (path: string) => void;

const removeFolder: RemoveFolder = (path) => rmSync(path, { recursive: true, force: true });

/**
 * Runs `work` with a fresh temporary folder, then removes the folder. Removing it is best
 * effort: a failure there (Windows, or Wine, refusing to delete a file still open somewhere)
 * leaves the folder behind but never replaces `work`'s result or its error.
 *
 * @param prefix the folder name's prefix, e.g. `"entra-auth-bun-"`
 * @param work what to do in the folder (its path is passed)
 * @param remove how to remove the folder (default: recursive `rmSync`)
 * @returns what `work` returns
 * @throws whatever `work` throws
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { join } from "node:path";
 * import { withScratchFolder } from "./scratch_folder.ts";
 *
 * const length = withScratchFolder("entra-auth-example-", (dir) => {
 *   writeFileSync(join(dir, "x.txt"), "hello");
 *   return 5;
 * });
 * console.log(length);
 * ```
 */
export function withScratchFolder<T>(
  prefix: string,
  work: (dir: string) => T,
  remove: RemoveFolder = removeFolder,
): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return work(dir);
  } finally {
    try {
      remove(dir);
    } catch {
      // Left behind in the temporary folder: the system's cleaning of it removes it later.
    }
  }
}
