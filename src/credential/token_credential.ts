/**
 * The Azure SDK's credential contract (`TokenCredential` of `@azure/core-auth`), declared here
 * structurally so that entra-auth needs no runtime dependency on the Azure SDK. Any object of
 * these shapes is accepted by every Azure SDK client and by the Microsoft Graph client's
 * `TokenCredentialAuthenticationProvider`.
 *
 * @module
 */

/**
 * An abort signal as the Azure SDK passes it (a Web `AbortSignal` fits).
 *
 * @example
 * ```ts
 * import type { AbortSignalLike } from "@entra-auth/core";
 * const signal: AbortSignalLike = AbortSignal.timeout(10_000);
 * ```
 */
export interface AbortSignalLike {
  /** Whether the operation was aborted. */
  readonly aborted: boolean;
  /** Why, when it was. */
  readonly reason?: unknown;
  /** Calls `listener` when the signal aborts. */
  addEventListener(
    type: "abort",
    listener: (this: AbortSignalLike, ev: unknown) => unknown,
    options?: { once?: boolean; },
  ): void;
  /** Stops calling `listener`. */
  removeEventListener(
    type: "abort",
    listener: (this: AbortSignalLike, ev: unknown) => unknown,
  ): void;
}

/**
 * What a proof-of-possession token is bound to (`GetTokenOptions.proofOfPossessionOptions`).
 *
 * @example
 * ```ts
 * import type { ProofOfPossessionOptions } from "@entra-auth/core";
 * const pop: ProofOfPossessionOptions = {
 *   nonce: "<server nonce>",
 *   resourceRequestMethod: "GET",
 *   resourceRequestUrl: "https://graph.microsoft.com/v1.0/me",
 * };
 * ```
 */
export interface ProofOfPossessionOptions {
  /** The server nonce from the resource's `WWW-Authenticate: PoP nonce="…"` challenge. */
  nonce: string;
  /** The HTTP method of the resource request, e.g. `GET`. */
  resourceRequestMethod: string;
  /** The full URL of the resource request. */
  resourceRequestUrl: string;
}

/**
 * The options an Azure SDK pipeline passes to `getToken` (the fields of `@azure/core-auth`'s
 * `GetTokenOptions` that a credential acts on; the others, `requestOptions` and
 * `tracingOptions`, are accepted and ignored).
 *
 * @example
 * ```ts
 * import type { GetTokenOptions } from "@entra-auth/core";
 * const options: GetTokenOptions = { enableCae: true, tenantId: "contoso.onmicrosoft.com" };
 * ```
 */
export interface GetTokenOptions {
  /** Cancels the request. */
  abortSignal?: AbortSignalLike;
  /**
   * A claims challenge: the JSON text of a claims request (as `@azure/core-rest-pipeline`
   * passes it, already base64-decoded from `WWW-Authenticate`); base64 text is decoded too.
   * A new token is always requested.
   */
  claims?: string;
  /** Ask for a CAE-capable token (client capability `CP1`). */
  enableCae?: boolean;
  /** A token for this tenant (of the same account) instead of the app's own. */
  tenantId?: string;
  /** Ask for a proof-of-possession token bound to this request (needs the broker). */
  proofOfPossessionOptions?: ProofOfPossessionOptions;
}

/**
 * A token as the Azure SDK expects it (`@azure/core-auth`'s `AccessToken`).
 *
 * @example
 * ```ts
 * import type { AccessToken } from "@entra-auth/core";
 * const t: AccessToken = { token: "…", expiresOnTimestamp: Date.now() + 3_600_000, refreshAfterTimestamp: Date.now() + 1_800_000, tokenType: "Bearer" };
 * ```
 */
export interface AccessToken {
  /** The access token (for `pop`, the signed HTTP request). */
  token: string;
  /** When it expires, ms since the epoch. */
  expiresOnTimestamp: number;
  /** When to ask for a new one, ms since the epoch: always in the future when returned. */
  refreshAfterTimestamp: number;
  /** `Bearer`, or `pop` for a proof-of-possession token. */
  tokenType: "Bearer" | "pop";
}

/**
 * A credential as every Azure SDK client takes it (`@azure/core-auth`'s `TokenCredential`).
 *
 * @example
 * ```ts
 * import type { TokenCredential } from "@entra-auth/core";
 * const fixed: TokenCredential = {
 *   getToken: () => Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 60_000, refreshAfterTimestamp: Date.now() + 30_000, tokenType: "Bearer" }),
 * };
 * ```
 */
export interface TokenCredential {
  /** A token for `scopes`, or `null` when this credential cannot give one. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}
