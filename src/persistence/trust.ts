/**
 * The trust rule for existing files (POSIX), with the user id passed in: a cache file or
 * lock file must belong to the user running the process and must not be writable by group
 * or others. `ownership.ts` applies it with the process's user id; the command line's token
 * fast path with its own, without loading `node:` modules.
 *
 * @module
 */

import { PersistentCacheError } from "./errors.ts";

/** The parts of `fs.Stats` checked. */
export interface OwnedStats {
  uid: number | bigint;
  mode: number | bigint;
}

/**
 * Why a file is not trusted, or undefined when it is.
 *
 * @param path the file, for the message
 * @param info its `stat`
 * @param what what the file is, for the message (`token cache`, `lock file`)
 * @param uid the user id of this process
 * @returns PersistentCacheError `insecure_file`, or undefined
 * @example
 * ```ts
 * import { untrustedFile } from "./trust.ts";
 * console.log(untrustedFile("/tmp/c.json", { uid: 1000, mode: 0o100666 }, "token cache", 1000)?.reason);
 * // insecure_file
 * ```
 */
export function untrustedFile(
  path: string,
  info: OwnedStats,
  what: string,
  uid: number,
): PersistentCacheError | undefined {
  const owner = Number(info.uid);
  const mode = Number(info.mode);
  if (owner !== uid) {
    return new PersistentCacheError(
      "insecure_file",
      `The ${what} ${path} belongs to another user (uid ${owner}, this process runs as uid `
        + `${uid}); it is not trusted. Remove it (or have its owner remove it), or choose a `
        + "cache path in a folder only you can write.",
      { path },
    );
  }
  if ((mode & 0o022) !== 0) {
    return new PersistentCacheError(
      "insecure_file",
      `The ${what} ${path} is writable by others (mode ${(mode & 0o777).toString(8)}); it is `
        + `not trusted. Check where it came from, then \`chmod 600 ${path}\` or remove it.`,
      { path },
    );
  }
  return undefined;
}
