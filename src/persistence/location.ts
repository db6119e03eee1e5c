/**
 * Where the persistent cache lives by default: the per-user cache folder each OS reserves for
 * it (Linux `$XDG_CACHE_HOME` or `~/.cache`, macOS `~/Library/Caches`, Windows
 * `%LOCALAPPDATA%`), in an `entra-auth` folder.
 *
 * @module
 */

import { realpath } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { cachePathIn } from "./cache_path.ts";

/** What the default location depends on (all read from the process when omitted). */
export interface LocationInputs {
  /** `process.platform`'s value. */
  platform?: string;
  /** The environment. */
  env?: Record<string, string | undefined>;
  /** The user's home folder. */
  home?: string;
}

/**
 * The default path of a persistent cache file.
 *
 * @param name the cache's name (the file is `<name>.json`); default `token_cache`
 * @param inputs platform, environment and home folder, for tests
 * @returns an absolute path
 * @example
 * ```ts
 * import { defaultCachePath } from "@entra-auth/core";
 * console.log(defaultCachePath()); // e.g. /home/me/.cache/entra-auth/token_cache.json
 * ```
 */
export function defaultCachePath(name = "token_cache", inputs: LocationInputs = {}): string {
  return cachePathIn(name, {
    platform: inputs.platform ?? platform(),
    env: inputs.env ?? process.env,
    home: inputs.home ?? homedir(),
    join,
  });
}

/**
 * The cache file's canonical path, which a version-2 encrypted file is bound to: the real
 * path of its folder (symbolic links resolved) and its name. A file copied to another path
 * no longer decrypts there.
 *
 * @param path the cache file
 * @returns the canonical path (the absolute path, when the folder does not exist yet)
 * @example
 * ```ts
 * import { canonicalCachePath } from "./location.ts";
 * console.log(await canonicalCachePath("/tmp/cache.json"));
 * ```
 */
export async function canonicalCachePath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return join(await realpath(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}
