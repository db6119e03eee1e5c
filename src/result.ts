/**
 * What a successful sign-in returns, in one shape for every flow (broker or not), and the
 * account it belongs to.
 *
 * @module
 */

/** A signed-in account, as MSAL apps know it. */
export interface AccountInfo {
  /** `{uid}.{utid}`: the account's id across tenants. */
  homeAccountId: string;
  /** The cloud host, e.g. `login.microsoftonline.com`. */
  environment: string;
  /** The tenant id the account signed in to. */
  tenantId: string;
  /** The UPN or email the user signs in with. */
  username: string;
  /** The object id of the user in the tenant. */
  localAccountId: string;
  /** Display name. */
  name?: string;
  /** The broker's own id for this account (present on accounts from the broker). */
  nativeAccountId?: string;
  /** Claims of the last id token for this account, when known. */
  idTokenClaims?: Readonly<Record<string, unknown>>;
}

/** The result of a successful token acquisition. */
export interface AuthenticationResult {
  /** The access token. */
  accessToken: string;
  /** `Bearer`, or `pop` for a proof-of-possession token. */
  tokenType: "Bearer" | "pop";
  /** The value for the HTTP `Authorization` header. */
  authorizationHeader: string;
  /** When the access token expires. */
  expiresOn: Date;
  /** The scopes granted. */
  scopes: string[];
  /** The raw id token (a JWT); empty when none was issued. */
  idToken: string;
  /** The id token's claims. */
  idTokenClaims: Readonly<Record<string, unknown>>;
  /** The account. */
  account: AccountInfo;
  /** The tenant the token was issued by. */
  tenantId: string;
  /** Whether the OS authentication broker issued it. */
  fromBroker: boolean;
  /** The correlation id of the request (send it to support when something fails). */
  correlationId: string;
  /**
   * Whether the access token came from this app's token cache without a request (msal-node's
   * `fromCache`). Always `false` for broker results: the broker keeps its own cache and does
   * not say.
   */
  fromCache: boolean;
  /** When the token should be refreshed early (from `refresh_in`); absent when not set. */
  refreshOn?: Date;
  /** The extended expiry (`ext_expires_in`) for resilience during outages, when known. */
  extExpiresOn?: Date;
  /** The authority the token was acquired from, e.g. `https://login.microsoftonline.com/common`. */
  authority: string;
}

/**
 * Decodes a JWT's payload without verifying it (for tokens received directly from the
 * identity provider or the broker over a trusted channel).
 *
 * @param jwt the token
 * @returns the claims, or `{}` when it is not a JWT
 * @example
 * ```ts
 * import { decodeJwtClaims } from "@entra-auth/core";
 * decodeJwtClaims("x.eyJzdWIiOiIxIn0.y"); // { sub: "1" }
 * ```
 */
export function decodeJwtClaims(jwt: string): Record<string, unknown> {
  // Padding is stripped first, as the validating decoder does (the two must agree).
  const part = jwt.split(".")[1]?.replace(/=+$/, "");
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(
      Math.ceil(part.length / 4) * 4,
      "=",
    );
    const binary = atob(b64);
    // A plain loop: a mapping callback per character is slow in cold code (every CLI call).
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const value = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
