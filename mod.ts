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

export type { SecretStore } from "./ffi/keyring/failure.ts";
export {
  type Authority,
  type AuthorityType,
  DEFAULT_AUTHORITY,
  parseAuthority,
} from "./src/authority.ts";
export { brokerRedirectUri, LINUX_BROKER_REDIRECT_URI } from "./src/broker/redirect_uri.ts";
export { CacheError, type CacheErrorReason } from "./src/cache/cache_error.ts";
export type { CloudAliases } from "./src/cache/environment.ts";
export {
  type CachePlugin,
  type SerializableTokenCache,
  type TokenCacheContext,
} from "./src/cache/plugin.ts";
export type {
  AccessTokenEntity,
  AppMetadataEntity,
  CredentialEntity,
  IdTokenEntity,
  RefreshTokenEntity,
} from "./src/cache/schema.ts";
export { TokenCache } from "./src/cache/token_cache.ts";
export type {
  AccessTokenMatch,
  AccessTokenQuery,
  AccountFilter,
  AccountRef,
  IdTokenMatch,
  RefreshTokenMatch,
  RefreshTokenQuery,
  SavedTokens,
} from "./src/cache/types.ts";
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
export { HTTP_DEFAULTS, type HttpSettings } from "./src/http_settings.ts";
export { type LoggerOptions, type LogLevel } from "./src/logger.ts";
export type { OidcMetadata } from "./src/network/authority_metadata.ts";
export type { DeviceCodeInfo, FetchLike } from "./src/network/client.ts";
export { ThrottledError } from "./src/network/server_error.ts";
export { PermissionDeniedError } from "./src/permission_error.ts";
export { PersistentCacheError, type PersistentCacheErrorReason } from "./src/persistence/errors.ts";
export { defaultCachePath, type LocationInputs } from "./src/persistence/location.ts";
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
export type { TokenRequestContext, TokenResponse } from "./src/token_response.ts";
