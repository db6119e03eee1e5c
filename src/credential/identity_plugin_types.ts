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
  /** The app's client id. */
  clientId: string;
  /** The authority URL, e.g. `https://login.microsoftonline.com/organizations`. */
  authority: string;
  /** msal-node's correlation id, passed on to the broker. */
  correlationId: string;
  /** The redirect URI (the broker uses its own when empty). */
  redirectUri: string;
  /** The scopes asked for. */
  scopes: string[];
  /** A claims challenge (JSON), from a Conditional Access or CAE reply. */
  claims?: string;
  /** `pop` for a proof-of-possession token. */
  authenticationScheme?: string;
  /** The HTTP method a proof-of-possession token is bound to. */
  resourceRequestMethod?: string;
  /** The URL a proof-of-possession token is bound to. */
  resourceRequestUri?: string;
  /** The server nonce of a proof-of-possession token. */
  shrNonce?: string;
  /** The broker's account id (`AccountInfo.nativeAccountId`). */
  accountId?: string;
  /** Skip the cache and ask the broker for a new token. */
  forceRefresh?: boolean;
  /** A resource (v1 style), when msal-node passes one. */
  resource?: string;
  /** Extra query parameters for the authorize request. */
  extraParameters?: Record<string, string>;
  /** Scopes to consent to now without asking a token for them. */
  extraScopesToConsent?: string[];
  /** The user to sign in (username). */
  loginHint?: string;
  /** `login`, `select_account`, `consent` or `none`. */
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
  /** The app's client id. */
  clientId: string;
  /** The broker's account id (`MsalAccountInfo.nativeAccountId`). */
  accountId: string;
  /** msal-node's correlation id. */
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
  /** `<object id>.<home tenant id>`. */
  homeAccountId: string;
  /** The cloud host, e.g. `login.microsoftonline.com`. */
  environment: string;
  /** The tenant the account signed in to. */
  tenantId: string;
  /** The sign-in name, e.g. `alice@contoso.com`. */
  username: string;
  /** The user's object id in that tenant. */
  localAccountId: string;
  /** The display name. */
  name?: string;
  /** The raw id token. */
  idToken?: string;
  /** The id token's claims. */
  idTokenClaims?: Record<string, unknown>;
  /** The broker's own id of the account. */
  nativeAccountId?: string;
  /** `MSSTS` for Entra ID. */
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
  /** The authority that issued the token. */
  authority: string;
  /** The user's object id. */
  uniqueId: string;
  /** The tenant id. */
  tenantId: string;
  /** The scopes granted. */
  scopes: string[];
  /** The account, or null. */
  account: MsalAccountInfo | null;
  /** The raw id token. */
  idToken: string;
  /** The id token's claims. */
  idTokenClaims: object;
  /** The access token. */
  accessToken: string;
  /** Whether the token came from a cache (the broker's, here: false). */
  fromCache: boolean;
  /** When the access token expires. */
  expiresOn: Date | null;
  /** The extended expiry (usable during an outage of Entra ID). */
  extExpiresOn?: Date;
  /** When a refresh is advised. */
  refreshOn?: Date;
  /** `Bearer` or `pop`. */
  tokenType: string;
  /** The correlation id of the request. */
  correlationId: string;
  /** True: the token came from the OS broker. */
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
  /** Receives msal-node's log lines. */
  loggerCallback?: (level: number, message: string, containsPii: boolean) => void;
  /** Whether lines may contain personal data. */
  piiLoggingEnabled?: boolean;
  /** msal's level: 0 error, 1 warning, 2 info, 3 verbose, 4 trace. */
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
  /** Whether the broker can be used on this machine. */
  isBrokerAvailable: boolean;
  /** Routes the broker's log to msal-node's logger. */
  setLogger(loggerOptions: MsalLoggerOptions): void;
  /** The broker account with this id. */
  getAccountById(accountId: string, correlationId: string): Promise<MsalAccountInfo>;
  /** The broker's accounts for this app. */
  getAllAccounts(clientId: string, correlationId: string): Promise<MsalAccountInfo[]>;
  /** A token without user interaction, or an error asking for it. */
  acquireTokenSilent(request: NativeRequest): Promise<MsalAuthenticationResult>;
  /** A token, with the broker's UI over the window of `windowHandle`. */
  acquireTokenInteractive(
    request: NativeRequest,
    windowHandle?: Uint8Array,
  ): Promise<MsalAuthenticationResult>;
  /** Signs the account out of the app in the broker. */
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
  /** Where a plug-in installs its native broker. */
  nativeBrokerPluginControl: { setNativeBroker(nativeBroker: NativeBrokerPlugin): void; };
  /** Where a plug-in installs its persistent cache. */
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
