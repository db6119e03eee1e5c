/**
 * The token endpoint's successful response (Entra ID v2.0), after validation: the one shape
 * every flow hands to the token cache. Broker results are not cached (the broker keeps its
 * own cache) and do not go through it.
 *
 * @module
 */

/**
 * The longest token lifetime entra-auth stores, seconds (365 days). A longer `expires_in`,
 * `ext_expires_in` or `refresh_in` (Entra's are 1-28 hours) is clamped to it: the token is
 * then refreshed a little earlier than the server allowed, which is harmless, while a value
 * such as `1e21` would make an invalid date and a timestamp other MSAL libraries cannot read.
 *
 * @example
 * ```ts
 * import { MAX_TOKEN_LIFETIME_S } from "./token_response.ts";
 * Math.min(1e21, MAX_TOKEN_LIFETIME_S); // 31536000
 * ```
 */
export const MAX_TOKEN_LIFETIME_S = 365 * 24 * 3600;

/**
 * A token lifetime as stored: a whole number of seconds, 0…{@link MAX_TOKEN_LIFETIME_S}.
 *
 * @param seconds a finite, non-negative number of seconds
 * @returns it, floored and clamped
 * @example
 * ```ts
 * import { clampLifetime } from "./token_response.ts";
 * clampLifetime(3599.9); // 3599
 * clampLifetime(1e21); // 31536000
 * ```
 */
export function clampLifetime(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_TOKEN_LIFETIME_S, Math.floor(seconds));
}

/** A validated token response. Field names are the protocol's. */
export interface TokenResponse {
  /** `Bearer`, or `pop` for a proof-of-possession token. */
  token_type: string;
  /** Space-separated granted scopes. */
  scope: string;
  /**
   * Seconds (already converted from a string if the server sent one), a whole number at most
   * {@link MAX_TOKEN_LIFETIME_S}; `ext_expires_in` and `refresh_in` likewise.
   */
  expires_in: number;
  /** Seconds the token stays usable when the service is degraded. */
  ext_expires_in?: number;
  /** Seconds after which the token should be refreshed early. */
  refresh_in?: number;
  /** The access token. */
  access_token: string;
  /** The refresh token, when issued. */
  refresh_token?: string;
  /** The id token (a JWT), when issued. */
  id_token?: string;
  /** base64url JSON `{"uid","utid"}`. */
  client_info?: string;
  /** The family id when the app is in a family of client ids (FOCI), e.g. "1". */
  foci?: string;
  /** Every other field, preserved. */
  [extra: string]: unknown;
}

/** What the cache needs to know about the request that produced a {@link TokenResponse}. */
export interface TokenRequestContext {
  /** The app's client id. */
  clientId: string;
  /** The authority URL used (e.g. https://login.microsoftonline.com/organizations). */
  authority: string;
  /** The host the request was sent to (the environment). */
  environment: string;
  /** The tenant of the request's authority path (may be common/organizations). */
  tenant: string;
  /** `MSSTS` for Entra ID and CIAM/B2C, `ADFS` for ADFS, `Generic` for other OIDC issuers. */
  authorityType: "MSSTS" | "ADFS" | "Generic";
  /** The scopes requested. */
  scopes: readonly string[];
  /** The claims requested (JSON text), if any: tokens bound to claims are keyed apart. */
  claims?: string;
  /** Epoch seconds when the request was sent (for expires_on = sent + expires_in). */
  requestedAt: number;
}
