/**
 * The rule for the persistent cache's default path, with the system passed in (platform,
 * environment, home folder, path joining): `location.ts` applies it with the process's, and
 * the command line's token fast path with its own, without loading `node:` modules.
 *
 * @module
 */

/** What the default location depends on. */
export interface CachePathSystem {
  /** `process.platform`'s value. */
  platform: string;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** The user's home folder. */
  home: string;
  /** `path.join` of the platform. */
  join(...parts: string[]): string;
}

/**
 * The default path of a persistent cache file: the per-user cache folder each OS reserves
 * (Linux `$XDG_CACHE_HOME` or `~/.cache`, macOS `~/Library/Caches`, Windows
 * `%LOCALAPPDATA%`), in an `entra-auth` folder.
 *
 * @param name the cache's name (the file is `<name>.json`)
 * @param system platform, environment, home folder and path joining
 * @returns the path
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { cachePathIn } from "./cache_path.ts";
 * console.log(cachePathIn("token_cache", { platform: "linux", env: {}, home: "/home/me", join }));
 * // /home/me/.cache/entra-auth/token_cache.json
 * ```
 */
export function cachePathIn(name: string, system: CachePathSystem): string {
  const { env, home, join } = system;
  const file = `${name.replace(/[^\w.-]/g, "_")}.json`;
  if (system.platform === "win32") {
    const base = env.LOCALAPPDATA || join(home, "AppData", "Local");
    return join(base, "entra-auth", file);
  }
  if (system.platform === "darwin") return join(home, "Library", "Caches", "entra-auth", file);
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  const base = xdg && xdg.startsWith("/") ? xdg : join(home, ".cache");
  return join(base, "entra-auth", file);
}
