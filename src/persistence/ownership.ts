/**
 * Trust checks of existing files (POSIX): a cache file or lock file must belong to the user
 * running the process and must not be writable by group or others. A file planted by another
 * user in a shared folder, or one others could rewrite, is refused rather than merged.
 *
 * @module
 */

import { platform } from "node:os";
import process from "node:process";
import { PersistentCacheError } from "./errors.ts";

/** The parts of `fs.Stats` checked. */
export interface OwnedStats {
  uid: number | bigint;
  mode: number | bigint;
}

/**
 * Throws unless the file belongs to this user and only its owner may write it. No-op on
 * Windows (no POSIX owner or mode bits there).
 *
 * @param path the file, for the message
 * @param info its `stat`
 * @param what what the file is, for the message (`token cache`, `lock file`)
 * @throws PersistentCacheError `insecure_file`
 * @example
 * ```ts
 * import { statSync } from "node:fs";
 * import { checkOwnership } from "./ownership.ts";
 * checkOwnership("/tmp/cache.json", statSync("/tmp/cache.json"), "token cache");
 * ```
 */
export function checkOwnership(path: string, info: OwnedStats, what: string): void {
  if (platform() === "win32" || typeof process.getuid !== "function") return;
  const uid = process.getuid();
  const owner = Number(info.uid);
  const mode = Number(info.mode);
  if (owner !== uid) {
    throw new PersistentCacheError(
      "insecure_file",
      `The ${what} ${path} belongs to another user (uid ${owner}, this process runs as uid `
        + `${uid}); it is not trusted. Remove it (or have its owner remove it), or choose a `
        + "cache path in a folder only you can write.",
      { path },
    );
  }
  if ((mode & 0o022) !== 0) {
    throw new PersistentCacheError(
      "insecure_file",
      `The ${what} ${path} is writable by others (mode ${(mode & 0o777).toString(8)}); it is `
        + `not trusted. Check where it came from, then \`chmod 600 ${path}\` or remove it.`,
      { path },
    );
  }
}
