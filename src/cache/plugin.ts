/**
 * The persistence hook: a plug-in called before and after each access to the cache by the
 * application, as in msal-node (`beforeCacheAccess` loads, `afterCacheAccess` saves when
 * `cacheHasChanged`). The cache itself does no I/O.
 *
 * @module
 */

import { abortedError } from "../network/abort.ts";

/** What a plug-in may do with the cache: read it out, or replace its contents. */
export interface SerializableTokenCache {
  /** The cache in MSAL's shared JSON format. */
  serialize(): string;
  /**
   * Replaces the cache's contents with MSAL's shared JSON format.
   *
   * @throws CacheError when the input is corrupt; the cache is then unchanged
   */
  deserialize(json: string): void;
  /** Increases on every change. */
  readonly version: number;
}

/** What a plug-in receives around one access. */
export interface TokenCacheContext {
  /** The cache being accessed. */
  readonly tokenCache: SerializableTokenCache;
  /**
   * Whether the access changed the cache (in `afterCacheAccess`: save only then). Changes
   * made by `beforeCacheAccess` itself (loading) do not count.
   */
  readonly cacheHasChanged: boolean;
  /**
   * The application's AbortSignal for the operation this access belongs to, if it gave one:
   * a plug-in that waits (for a lock, a keyring) should stop waiting when it aborts.
   */
  readonly signal?: AbortSignal;
}

/** A persistence plug-in (the persistent cache implements one). */
export interface CachePlugin {
  /** Called before the access: load the persisted cache (`ctx.tokenCache.deserialize`). */
  beforeCacheAccess(ctx: TokenCacheContext): void | Promise<void>;
  /** Called after the access, also when it failed: persist if `ctx.cacheHasChanged`. */
  afterCacheAccess(ctx: TokenCacheContext): void | Promise<void>;
}

const queues = new WeakMap<SerializableTokenCache, Promise<unknown>>();

/**
 * Runs one access to the cache between the plug-in's `beforeCacheAccess` and
 * `afterCacheAccess`. Accesses to the same cache run one at a time, so a plug-in never sees
 * them interleave. If `beforeCacheAccess` throws, the access does not run and
 * `afterCacheAccess` is not called; if the access throws, `afterCacheAccess` still runs and
 * the access's error is rethrown. An access still waiting for its turn when `signal` aborts
 * does not run.
 *
 * @param cache the cache
 * @param plugin the persistence plug-in, if any
 * @param access the access (a lookup, a save, a removal)
 * @param signal the operation's AbortSignal: ends the wait for the turn, and is handed to
 *   the plug-in (`ctx.signal`)
 * @returns what the access returned
 * @throws whatever the plug-in or the access throws; EntraAuthError `aborted` when `signal`
 *   aborts before the access's turn
 * @example
 * ```ts
 * import { type CachePlugin, TokenCache, withCache } from "@entra-auth/core";
 * let stored = "{}";
 * const plugin: CachePlugin = {
 *   beforeCacheAccess: (ctx) => ctx.tokenCache.deserialize(stored),
 *   afterCacheAccess: (ctx) => {
 *     if (ctx.cacheHasChanged) stored = ctx.tokenCache.serialize();
 *   },
 * };
 * const cache = new TokenCache();
 * const accounts = await withCache(cache, plugin, (c) => c.getAccounts());
 * console.log(accounts.length);
 * ```
 */
export function withCache<C extends SerializableTokenCache, T>(
  cache: C,
  plugin: CachePlugin | undefined,
  access: (cache: C) => T | Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const previous = queues.get(cache) ?? Promise.resolve();
  const start = () => {
    if (signal?.aborted) throw abortedError("A token cache access", signal);
    return accessOnce(cache, plugin, access, signal);
  };
  const run = previous.then(start, start);
  const tail = run.then(() => undefined, () => undefined);
  queues.set(cache, tail);
  void tail.then(() => {
    if (queues.get(cache) === tail) queues.delete(cache);
  });
  return signal ? untilAborted(run, signal) : run;
}

/** `run`, or an `aborted` rejection as soon as `signal` aborts (whichever comes first). */
function untilAborted<T>(run: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError("A token cache access", signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError("A token cache access", signal));
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function accessOnce<C extends SerializableTokenCache, T>(
  cache: C,
  plugin: CachePlugin | undefined,
  access: (cache: C) => T | Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (!plugin) return await access(cache);
  let baseline = cache.version;
  const ctx: TokenCacheContext = {
    tokenCache: cache,
    get cacheHasChanged() {
      return cache.version !== baseline;
    },
    signal,
  };
  await plugin.beforeCacheAccess(ctx);
  baseline = cache.version;
  let result: T;
  try {
    result = await access(cache);
  } catch (err) {
    try {
      await plugin.afterCacheAccess(ctx);
    } catch {
      // the access's own error is the one to report
    }
    throw err;
  }
  await plugin.afterCacheAccess(ctx);
  return result;
}
