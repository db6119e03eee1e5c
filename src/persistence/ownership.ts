/**
 * Trust checks of existing files (POSIX): a cache file or lock file must belong to the user
 * running the process and must not be writable by group or others. A file planted by another
 * user in a shared folder, or one others could rewrite, is refused rather than merged.
 *
 * @module
 */

import { platform } from "node:os";
import process from "node:process";
import { type OwnedStats, untrustedFile } from "./trust.ts";

export type { OwnedStats } from "./trust.ts";

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
  const problem = untrustedFile(path, info, what, process.getuid());
  if (problem) throw problem;
}
