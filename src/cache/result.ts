/**
 * Turning cache entries into the {@link AuthenticationResult} apps receive.
 *
 * @module
 */

import type { AccountInfo, AuthenticationResult } from "../result.ts";
import type { AccessTokenMatch, IdTokenMatch } from "./types.ts";

/** What {@link authenticationResultFrom} needs. */
export interface ResultSource {
  accessToken: AccessTokenMatch;
  account: AccountInfo;
  idToken?: IdTokenMatch;
  /** The request's correlation id. */
  correlationId: string;
  /** Served from the cache without a request (default `false`). */
  fromCache?: boolean;
  /** The authority of the request (default `https://{environment}/{realm}` of the token). */
  authority?: string;
}

/**
 * Builds the result of a token acquisition served from the cache or just stored in it.
 *
 * @param source the access token, the account, the id token and the correlation id
 * @returns the result (`fromBroker` false)
 * @example
 * ```ts
 * import { authenticationResultFrom, TokenCache } from "@entra-auth/core";
 * const clientId = "00000000-0000-0000-0000-000000000001";
 * const cache = new TokenCache();
 * for (const account of cache.getAccounts({ clientId })) {
 *   const accessToken = cache.findAccessToken({ clientId, account, scopes: ["User.Read"] });
 *   if (!accessToken) continue;
 *   const idToken = cache.findIdToken({ clientId, account });
 *   const result = authenticationResultFrom({ accessToken, idToken, account, correlationId: "c" });
 *   console.log(result.authorizationHeader);
 * }
 * ```
 */
export function authenticationResultFrom(source: ResultSource): AuthenticationResult {
  const { accessToken, idToken } = source;
  const scheme = accessToken.entity.token_type?.toLowerCase() === "pop" ? "pop" : "Bearer";
  const claims = idToken?.claims ?? source.account.idTokenClaims ?? {};
  const account = source.account.idTokenClaims || !idToken
    ? source.account
    : { ...source.account, idTokenClaims: claims };
  return {
    accessToken: accessToken.entity.secret,
    tokenType: scheme,
    authorizationHeader: `${scheme === "pop" ? "PoP" : "Bearer"} ${accessToken.entity.secret}`,
    expiresOn: accessToken.expiresOn,
    scopes: [...accessToken.scopes],
    idToken: idToken?.entity.secret ?? "",
    idTokenClaims: claims,
    account,
    tenantId: accessToken.entity.realm,
    fromBroker: false,
    correlationId: source.correlationId,
    fromCache: source.fromCache ?? false,
    ...optionalDate("refreshOn", accessToken.entity.refresh_on),
    ...optionalDate("extExpiresOn", accessToken.entity.extended_expires_on),
    authority: source.authority
      ?? `https://${accessToken.entity.environment}/${accessToken.entity.realm}`,
  };
}

// Epoch seconds (as the cache stores them) to a Date, omitted when absent or not a number.
function optionalDate<K extends string>(key: K, seconds: string | undefined): { [P in K]?: Date; } {
  const n = Number(seconds);
  return seconds && Number.isFinite(n) && n > 0
    ? { [key]: new Date(n * 1000) } as { [P in K]?: Date; }
    : {};
}
