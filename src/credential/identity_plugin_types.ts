/**
 * The `@azure/identity` plug-in contract and the msal-node native broker interface it hands
 * on, declared structurally (no dependency on either package). Matched against
 * `@azure/identity` 4.13.1 (`plugins/provider.d.ts`) and the msal-node 5.6.0 / msal-common
 * 16.13.0 it depends on (`INativeBrokerPlugin`, `NativeRequest`, `NativeSignOutRequest`,
 * `AccountInfo`, `AuthenticationResult`).
 *
 * @module
 */

/** msal-common's `NativeRequest`: what msal-node asks the native broker for. */
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

/** msal-common's `NativeSignOutRequest`. */
export interface NativeSignOutRequest {
  clientId: string;
  accountId: string;
  correlationId: string;
}

/** msal-common's `AccountInfo` (the fields a broker fills). */
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

/** msal-common's `AuthenticationResult`. */
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

/** msal-common's `LoggerOptions` as msal-node passes them to `setLogger`. */
export interface MsalLoggerOptions {
  loggerCallback?: (level: number, message: string, containsPii: boolean) => void;
  piiLoggingEnabled?: boolean;
  logLevel?: number;
}

/** msal-common's `INativeBrokerPlugin`. */
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

/** `@azure/identity`'s `AzurePluginContext` (the parts a broker plug-in uses). */
export interface AzurePluginContext {
  nativeBrokerPluginControl: { setNativeBroker(nativeBroker: NativeBrokerPlugin): void; };
  cachePluginControl: {
    setPersistence(persistenceFactory: (options?: unknown) => Promise<unknown>): void;
  };
}

/** `@azure/identity`'s `IdentityPlugin`. */
export type IdentityPlugin = (context: unknown) => void;
