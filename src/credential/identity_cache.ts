/**
 * entra-auth's persistent token cache as `@azure/identity`'s cache plug-in (what
 * `@azure/identity-cache-persistence` provides): credentials created with
 * `tokenCachePersistenceOptions: { enabled: true }` keep msal-node's cache in our file,
 * shared safely between processes and encrypted through the OS keyring.
 *
 * @module
 */

import { join } from "node:path";
import type { CachePlugin, TokenCacheContext } from "../cache/plugin.ts";
import { EntraAuthError } from "../errors.ts";
import { PersistentCacheError } from "../persistence/errors.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "../persistence/persistent_cache.ts";
import type { AzurePluginContext, IdentityPlugin } from "./identity_plugin_types.ts";

/**
 * What `@azure/identity` passes the persistence factory (`TokenCachePersistenceOptions`).
 *
 * @example
 * ```ts
 * import type { TokenCachePersistenceOptions } from "@entra-auth/core/azure-identity";
 * const options: TokenCachePersistenceOptions = { enabled: true, name: "my-app" };
 * ```
 */
export interface TokenCachePersistenceOptions {
  /** Whether `@azure/identity` asked for a persistent cache. */
  enabled?: boolean;
  /** The cache's name (identity adds `.nocae` / `.cae`). */
  name?: string;
  /** Fall back to a plain-text file when the OS keyring cannot be reached. */
  unsafeAllowUnencryptedStorage?: boolean;
}

/**
 * Options of {@link createEntraAuthCache}.
 *
 * @example
 * ```ts
 * import type { EntraAuthCacheOptions } from "@entra-auth/core/azure-identity";
 * const options: EntraAuthCacheOptions = { encryption: "keyring", lockTimeoutMs: 5_000 };
 * ```
 */
export interface EntraAuthCacheOptions
  extends Omit<PersistentCacheOptions, "encryption" | "path" | "name">
{
  /** The folder of the cache files (default: the user's cache folder, `entra-auth/`). */
  directory?: string;
  /** `keyring` (default), or `plaintext` as an explicit choice. */
  encryption?: "keyring" | "plaintext";
}

/**
 * Makes the `@azure/identity` cache plug-in over entra-auth's persistent cache. With
 * `unsafeAllowUnencryptedStorage` and no reachable keyring it falls back to plain text, as
 * `@azure/identity-cache-persistence` does; otherwise a missing keyring is an error.
 *
 * @param options where the files go, encryption, lock timing
 * @returns the plug-in for `useIdentityPlugin`
 * @example
 * ```ts ignore
 * import { DeviceCodeCredential, useIdentityPlugin } from "@azure/identity";
 * import { entraAuthCache } from "@entra-auth/core/azure-identity";
 * useIdentityPlugin(entraAuthCache);
 * const credential = new DeviceCodeCredential({ tokenCachePersistenceOptions: { enabled: true } });
 * ```
 */
export function createEntraAuthCache(options: EntraAuthCacheOptions = {}): IdentityPlugin {
  return (context: unknown) => {
    const control = (context as Partial<AzurePluginContext> | undefined)?.cachePluginControl;
    if (typeof control?.setPersistence !== "function") {
      throw new EntraAuthError(
        "invalid_argument",
        "entraAuthCache is an @azure/identity plug-in: pass it to useIdentityPlugin() from @azure/identity 4.",
      );
    }
    control.setPersistence((persistence?: unknown) =>
      Promise.resolve(identityCachePlugin(options, persistence as TokenCachePersistenceOptions))
    );
  };
}

/**
 * The cache plug-in for one `@azure/identity` cache (msal-node's `ICachePlugin` shape).
 *
 * @param options where the files go, encryption, lock timing
 * @param persistence what `@azure/identity` asked for
 * @returns the plug-in
 * @example
 * ```ts ignore
 * const plugin = identityCachePlugin({ encryption: "plaintext", directory: "/tmp/c" }, { name: "msal.cache.nocae" });
 * ```
 */
export function identityCachePlugin(
  options: EntraAuthCacheOptions,
  persistence: TokenCachePersistenceOptions = {},
): CachePlugin {
  const { directory, encryption = "keyring", ...rest } = options;
  const name = persistence.name || "msal.cache";
  const path = directory ? join(directory, `${name.replace(/[^\w.-]/g, "_")}.json`) : undefined;
  const make = (enc: "keyring" | "plaintext") =>
    createPersistentCache({ ...rest, encryption: enc, name, path });
  let current: CachePlugin = make(encryption);
  const fallback = encryption === "keyring" && persistence.unsafeAllowUnencryptedStorage === true;
  const run = async (step: (p: CachePlugin) => void | Promise<void>) => {
    try {
      await step(current);
    } catch (err) {
      if (
        !(fallback && err instanceof PersistentCacheError && err.reason === "keyring_unavailable")
      ) {
        throw err;
      }
      current = make("plaintext");
      await step(current);
    }
  };
  return {
    beforeCacheAccess: (ctx: TokenCacheContext) => run((p) => p.beforeCacheAccess(ctx)),
    afterCacheAccess: (ctx: TokenCacheContext) => run((p) => p.afterCacheAccess(ctx)),
  };
}

/**
 * The `@azure/identity` cache plug-in with default options: `useIdentityPlugin(entraAuthCache)`.
 *
 * @example
 * ```ts ignore
 * import { useIdentityPlugin } from "@azure/identity";
 * import { entraAuthCache } from "@entra-auth/core/azure-identity";
 * useIdentityPlugin(entraAuthCache);
 * ```
 */
export const entraAuthCache: IdentityPlugin = createEntraAuthCache();
