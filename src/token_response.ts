/**
 * The token endpoint's successful response (Entra ID v2.0), after validation: the one shape
 * every flow hands to the token cache. Broker results are not cached (the broker keeps its
 * own cache) and do not go through it.
 *
 * @module
 */

/** A validated token response. Field names are the protocol's. */
export interface TokenResponse {
  /** `Bearer`, or `pop` for a proof-of-possession token. */
  token_type: string;
  /** Space-separated granted scopes. */
  scope: string;
  /** Seconds (already converted from a string if the server sent one). */
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
