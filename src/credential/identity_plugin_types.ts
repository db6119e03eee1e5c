/**
 * The `@azure/identity` plug-in contract and the msal-node native broker interface it hands
 * on, declared structurally (no dependency on either package). Matched against
 * `@azure/identity` 4.13.1 (`plugins/provider.d.ts`) and the msal-node 5.6.0 / msal-common
 * 16.13.0 it depends on (`INativeBrokerPlugin`, `NativeRequest`, `NativeSignOutRequest`,
 * `AccountInfo`, `AuthenticationResult`).
 *
 * @module
 */

/**
 * msal-common's `NativeRequest`: what msal-node asks the native broker for.
 *
 * @example
 * ```ts
 * import type { NativeRequest } from "@entra-auth/core/azure-identity";
 * const request: NativeRequest = {
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   correlationId: crypto.randomUUID(),
 *   redirectUri: "",
 *   scopes: ["https://graph.microsoft.com/.default"],
 * };
 * ```
 */
export interface NativeRequest {
  clientId: string;
  authority: string;
  correlationId: string;
  redirectUri: string;
  scopes: string[];
  claims?: string;
  /** `pop` for a proof-of-possession token. */
  authenticationScheme?: string;
  resourceRequestMethod?: string;
  resourceRequestUri?: string;
  shrNonce?: string;
  /** The broker's account id (`AccountInfo.nativeAccountId`). */
  accountId?: string;
  forceRefresh?: boolean;
  resource?: string;
  extraParameters?: Record<string, string>;
  extraScopesToConsent?: string[];
  loginHint?: string;
  prompt?: string;
}

/**
 * msal-common's `NativeSignOutRequest`.
 *
 * @example
 * ```ts
 * import type { NativeSignOutRequest } from "@entra-auth/core/azure-identity";
 * const request: NativeSignOutRequest = { clientId: "<client id>", accountId: "<broker account id>", correlationId: crypto.randomUUID() };
 * ```
 */
export interface NativeSignOutRequest {
  clientId: string;
  accountId: string;
  correlationId: string;
}

/**
 * msal-common's `AccountInfo` (the fields a broker fills).
 *
 * @example
 * ```ts
 * import type { MsalAccountInfo } from "@entra-auth/core/azure-identity";
 * declare const account: MsalAccountInfo;
 * console.log(account.username, account.nativeAccountId);
 * ```
 */
export interface MsalAccountInfo {
  homeAccountId: string;
  environment: string;
  tenantId: string;
  username: string;
  localAccountId: string;
  name?: string;
  idToken?: string;
  idTokenClaims?: Record<string, unknown>;
  nativeAccountId?: string;
  authorityType?: string;
}

/**
 * msal-common's `AuthenticationResult`.
 *
 * @example
 * ```ts
 * import type { MsalAuthenticationResult } from "@entra-auth/core/azure-identity";
 * declare const result: MsalAuthenticationResult;
 * console.log(result.tokenType, result.expiresOn);
 * ```
 */
export interface MsalAuthenticationResult {
  authority: string;
  uniqueId: string;
  tenantId: string;
  scopes: string[];
  account: MsalAccountInfo | null;
  idToken: string;
  idTokenClaims: object;
  accessToken: string;
  fromCache: boolean;
  expiresOn: Date | null;
  extExpiresOn?: Date;
  refreshOn?: Date;
  tokenType: string;
  correlationId: string;
  fromPlatformBroker?: boolean;
}

/**
 * msal-common's `LoggerOptions` as msal-node passes them to `setLogger`.
 *
 * @example
 * ```ts
 * import type { MsalLoggerOptions } from "@entra-auth/core/azure-identity";
 * const options: MsalLoggerOptions = { logLevel: 2, loggerCallback: (_l, m) => console.log(m) };
 * ```
 */
export interface MsalLoggerOptions {
  loggerCallback?: (level: number, message: string, containsPii: boolean) => void;
  piiLoggingEnabled?: boolean;
  logLevel?: number;
}

/**
 * msal-common's `INativeBrokerPlugin`.
 *
 * @example
 * ```ts
 * import { EntraAuthNativeBroker, type NativeBrokerPlugin } from "@entra-auth/core/azure-identity";
 * const broker: NativeBrokerPlugin = new EntraAuthNativeBroker();
 * console.log(broker.isBrokerAvailable);
 * ```
 */
export interface NativeBrokerPlugin {
  isBrokerAvailable: boolean;
  setLogger(loggerOptions: MsalLoggerOptions): void;
  getAccountById(accountId: string, correlationId: string): Promise<MsalAccountInfo>;
  getAllAccounts(clientId: string, correlationId: string): Promise<MsalAccountInfo[]>;
  acquireTokenSilent(request: NativeRequest): Promise<MsalAuthenticationResult>;
  acquireTokenInteractive(
    request: NativeRequest,
    windowHandle?: Uint8Array,
  ): Promise<MsalAuthenticationResult>;
  signOut(request: NativeSignOutRequest): Promise<void>;
}

/**
 * `@azure/identity`'s `AzurePluginContext` (the parts our plug-ins use).
 *
 * @example
 * ```ts
 * import type { AzurePluginContext } from "@entra-auth/core/azure-identity";
 * declare const context: AzurePluginContext;
 * context.nativeBrokerPluginControl.setNativeBroker(broker);
 * ```
 */
export interface AzurePluginContext {
  nativeBrokerPluginControl: { setNativeBroker(nativeBroker: NativeBrokerPlugin): void; };
  cachePluginControl: {
    setPersistence(persistenceFactory: (options?: unknown) => Promise<unknown>): void;
  };
}

/**
 * `@azure/identity`'s `IdentityPlugin`.
 *
 * @example
 * ```ts
 * import { entraAuthBroker, type IdentityPlugin } from "@entra-auth/core/azure-identity";
 * const plugin: IdentityPlugin = entraAuthBroker;
 * ```
 */
export type IdentityPlugin = (context: unknown) => void;
