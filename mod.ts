/**
 * entra-auth: sign in to Microsoft Entra ID from Deno, Bun and Node, through the operating
 * system's authentication broker where there is one.
 *
 * @example
 * ```ts ignore
 * import { CONSOLE_WINDOW_HANDLE, PublicClientApplication } from "@entra-auth/core";
 * const app = new PublicClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   enableBrokerOnLinux: true,
 * });
 * const result = await app.acquireTokenInteractive({
 *   scopes: ["User.Read"],
 *   parentWindowHandle: CONSOLE_WINDOW_HANDLE,
 * });
 * console.log(result.account.username);
 * ```
 *
 * @module
 */

export {
  type Authority,
  type AuthorityType,
  DEFAULT_AUTHORITY,
  parseAuthority,
} from "./src/authority.ts";
export { brokerRedirectUri, LINUX_BROKER_REDIRECT_URI } from "./src/broker/redirect_uri.ts";
export { CacheError } from "./src/cache/cache_error.ts";
export { type CachePlugin, type TokenCacheContext } from "./src/cache/plugin.ts";
export { TokenCache } from "./src/cache/token_cache.ts";
export { claimsFromChallenge, decodeClaimsChallenge } from "./src/credential/claims.ts";
export {
  EntraAuthCredential,
  type EntraAuthCredentialOptions,
} from "./src/credential/entra_auth_credential.ts";
export type {
  AbortSignalLike,
  AccessToken,
  GetTokenOptions,
  ProofOfPossessionOptions,
  TokenCredential,
} from "./src/credential/token_credential.ts";
export {
  BROKER_STATUS_NAMES,
  BrokerError,
  brokerErrorFrom,
  type BrokerErrorInfo,
  type BrokerErrorOptions,
  EntraAuthError,
  type EntraAuthErrorOptions,
  type ErrorCode,
  InteractionRequiredError,
  NativeLibraryError,
  type NativeLibraryErrorCode,
  type NativeLibraryErrorDetails,
  NativeTimeoutError,
  NetworkError,
  RedirectUriError,
  ServerError,
  type ServerErrorDetails,
  UserCanceledError,
} from "./src/errors.ts";
export { type LoggerOptions, type LogLevel } from "./src/logger.ts";
export type { DeviceCodeInfo, FetchLike } from "./src/network/client.ts";
export { ThrottledError } from "./src/network/server_error.ts";
export { PersistentCacheError, type PersistentCacheErrorReason } from "./src/persistence/errors.ts";
export { defaultCachePath } from "./src/persistence/location.ts";
export {
  createPersistentCache,
  PersistentCache,
  type PersistentCacheOptions,
} from "./src/persistence/persistent_cache.ts";
export {
  type BrokerOptions,
  CONSOLE_WINDOW_HANDLE,
  type DeviceCodeRequest,
  type InteractiveRequest,
  type PopParameters,
  PublicClientApplication,
  type PublicClientApplicationOptions,
  type SilentRequest,
  type WindowHandle,
} from "./src/public_client_application.ts";
export { type AccountInfo, type AuthenticationResult, decodeJwtClaims } from "./src/result.ts";
