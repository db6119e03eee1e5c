/**
 * The `@azure/identity` plug-in: `useIdentityPlugin(entraAuthBroker)` gives
 * `InteractiveBrowserCredential` with `brokerOptions`, and the other brokered credentials of
 * `@azure/identity`, entra-auth's MSALRuntime binding in the shape `@azure/identity-broker`
 * provides, on Deno, Bun and Node, with nothing compiled. Tested with `@azure/identity` 4.13.1
 * (msal-node 5.6.0).
 *
 * @example
 * ```ts ignore
 * import { InteractiveBrowserCredential, useIdentityPlugin } from "@azure/identity";
 * import { entraAuthBroker } from "@entra-auth/core/azure-identity"; // npm: "entra-auth/azure-identity"
 * useIdentityPlugin(entraAuthBroker);
 * const credential = new InteractiveBrowserCredential({
 *   clientId: "<client id>",
 *   brokerOptions: { enabled: true, parentWindowHandle: new Uint8Array(8) },
 * });
 * ```
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";
import type { AzurePluginContext, IdentityPlugin } from "./identity_plugin_types.ts";
import { EntraAuthNativeBroker, type EntraAuthNativeBrokerOptions } from "./native_broker.ts";

export { EntraAuthNativeBroker, type EntraAuthNativeBrokerOptions };
export {
  createEntraAuthCache,
  entraAuthCache,
  type EntraAuthCacheOptions,
  identityCachePlugin,
  type TokenCachePersistenceOptions,
} from "./identity_cache.ts";
// The library's types that this entry's public types refer to.
export type { SecretStore } from "../../ffi/keyring/failure.ts";
export type { CachePlugin, SerializableTokenCache, TokenCacheContext } from "../cache/plugin.ts";
export type { LoggerOptions, LogLevel } from "../logger.ts";
export type { PersistentCacheOptions } from "../persistence/options.ts";
export type {
  AzurePluginContext,
  IdentityPlugin,
  MsalAccountInfo,
  MsalAuthenticationResult,
  MsalLoggerOptions,
  NativeBrokerPlugin,
  NativeRequest,
  NativeSignOutRequest,
} from "./identity_plugin_types.ts";

/**
 * Makes an `@azure/identity` plug-in that registers entra-auth's broker with these options.
 *
 * @param options where MSALRuntime is, time limits
 * @returns the plug-in for `useIdentityPlugin`
 * @throws EntraAuthError `invalid_argument` (when the plug-in runs) if the context is not
 *   `@azure/identity`'s
 * @example
 * ```ts ignore
 * import { useIdentityPlugin } from "@azure/identity";
 * import { createEntraAuthBroker } from "@entra-auth/core/azure-identity";
 * useIdentityPlugin(createEntraAuthBroker({ silentTimeoutMs: 10_000 }));
 * ```
 */
export function createEntraAuthBroker(options: EntraAuthNativeBrokerOptions = {}): IdentityPlugin {
  return (context: unknown) => {
    const control = (context as Partial<AzurePluginContext> | undefined)?.nativeBrokerPluginControl;
    if (typeof control?.setNativeBroker !== "function") {
      throw new EntraAuthError(
        "invalid_argument",
        "entraAuthBroker is an @azure/identity plug-in: pass it to useIdentityPlugin() from @azure/identity 4.",
      );
    }
    control.setNativeBroker(new EntraAuthNativeBroker(options));
  };
}

/**
 * The `@azure/identity` plug-in with default options: `useIdentityPlugin(entraAuthBroker)`.
 *
 * @example
 * ```ts ignore
 * import { useIdentityPlugin } from "@azure/identity";
 * import { entraAuthBroker } from "@entra-auth/core/azure-identity";
 * useIdentityPlugin(entraAuthBroker);
 * ```
 */
export const entraAuthBroker: IdentityPlugin = createEntraAuthBroker();
