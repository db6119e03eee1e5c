/**
 * What to do with a refresh token the server refused (`invalid_grant`) when the cache is
 * shared with other processes: with strict rotation, a token is refused because another
 * process redeemed it a moment ago, and that process is about to store the new one under
 * the same key. So the refused token is removed by compare-and-delete (only if the cache
 * still holds that very secret), and, with a shared cache, only after a short bounded wait
 * for a newer token to appear, which is then returned to be tried instead.
 *
 * @module
 */

import { delay } from "../network/abort.ts";
import { type CachePlugin, withCache } from "./plugin.ts";
import type { TokenCache } from "./token_cache.ts";
import type { RefreshTokenMatch } from "./types.ts";

/** How long to wait for another process to store a newer refresh token (shared cache only). */
export const NEWER_TOKEN_WAIT_MS = 1_500;
const POLL_MS = 100;

/**
 * Settles a refused refresh token: returns a newer one stored under the same key (another
 * process's rotation or sign-in), or removes the refused one (compare-and-delete) and
 * returns undefined.
 *
 * @param cache the token cache
 * @param plugin the cache plug-in (a shared, persistent cache) or undefined
 * @param refused the refresh token the server refused
 * @param waitMs how long to wait for a newer token when there is a plug-in
 * @param signal the operation's AbortSignal: ends the wait
 * @returns the newer refresh token to try, or undefined
 * @throws EntraAuthError `aborted` when `signal` aborts
 * @example
 * ```ts
 * import { TokenCache } from "./token_cache.ts";
 * import { settleRefusedRefreshToken } from "./refused_refresh_token.ts";
 * const cache = new TokenCache();
 * const refused = { key: "k", entity: { secret: "old" } } as never;
 * console.log(await settleRefusedRefreshToken(cache, undefined, refused)); // undefined
 * ```
 */
export async function settleRefusedRefreshToken(
  cache: TokenCache,
  plugin: CachePlugin | undefined,
  refused: RefreshTokenMatch,
  waitMs: number = NEWER_TOKEN_WAIT_MS,
  signal?: AbortSignal,
): Promise<RefreshTokenMatch | undefined> {
  const newer = (c: TokenCache) => {
    const now = c.findRefreshTokenByKey(refused.key);
    return now && now.entity.secret !== refused.entity.secret ? now : undefined;
  };
  const deadline = Date.now() + (plugin ? waitMs : 0);
  for (;;) {
    const found = await withCache(cache, plugin, (c) => {
      const replaced = newer(c);
      if (replaced || Date.now() < deadline) return replaced ?? null;
      c.removeRefreshToken(refused.key, refused.entity.secret);
      return undefined;
    }, signal);
    if (found !== null) return found;
    await delay(POLL_MS, signal, "Waiting for a newer refresh token");
  }
}
