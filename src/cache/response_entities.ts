/**
 * The cache entries a token response produces: access token, refresh token, id token,
 * account and app metadata, as MSAL writes them.
 *
 * @module
 */

import { decodeJwtClaims } from "../result.ts";
import { clampLifetime, type TokenRequestContext, type TokenResponse } from "../token_response.ts";
import { accountEntityFrom, type AccountSource, homeAccountIdOf, realmOf } from "./account.ts";
import { CacheError } from "./cache_error.ts";
import { tokenScheme } from "./keys.ts";
import {
  type AccessTokenEntity,
  type AccountEntity,
  type AppMetadataEntity,
  CredentialType,
  type IdTokenEntity,
  type RefreshTokenEntity,
} from "./schema.ts";
import { splitScopes } from "./scopes.ts";
import { claimsHash } from "./sha256.ts";

/** The entries of one token response. */
export interface ResponseEntities {
  accessToken: AccessTokenEntity;
  refreshToken?: RefreshTokenEntity;
  idToken?: IdTokenEntity;
  account: AccountEntity;
  appMetadata: AppMetadataEntity;
  /** The id token's claims (`{}` without one). */
  idTokenClaims: Record<string, unknown>;
}

function seconds(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new CacheError(
      "invalid_response",
      `The token response's ${field} is not a number of seconds.`,
    );
  }
  // Capped, so that a timestamp is always a digit string a reader accepts ("1e+21" is not).
  return clampLifetime(n);
}

/**
 * Builds the entries for a validated token response.
 *
 * @param response the token endpoint's response
 * @param context the request that produced it
 * @param environment the environment to store (the cloud's preferred cache alias)
 * @param now the current time, epoch seconds
 * @returns the entries
 * @throws CacheError `invalid_response` when the response names no account (neither
 *   `client_info` nor an id token) or has a malformed lifetime
 * @example
 * ```ts ignore
 * const entries = entitiesFromResponse(response, context, "login.windows.net", 1_700_000_000);
 * entries.accessToken.expires_on; // "1700003600" for expires_in 3600
 * ```
 */
export function entitiesFromResponse(
  response: TokenResponse,
  context: TokenRequestContext,
  environment: string,
  now: number,
): ResponseEntities {
  const idTokenClaims = response.id_token ? decodeJwtClaims(response.id_token) : {};
  const source: AccountSource = {
    clientInfo: response.client_info,
    idTokenClaims,
    authorityType: context.authorityType,
    environment,
    tenant: context.tenant,
  };
  const homeAccountId = homeAccountIdOf(source);
  if (!homeAccountId) {
    throw new CacheError(
      "invalid_response",
      "The token response names no account (no client_info and no id token with sub): it "
        + "cannot be cached. Request the openid scope and send client_info=1.",
    );
  }
  const realm = realmOf(source);
  const requestedAt = Math.floor(context.requestedAt);
  const expiresIn = seconds(response.expires_in, "expires_in") ?? 0;
  const extExpiresIn = seconds(response.ext_expires_in, "ext_expires_in");
  const refreshIn = seconds(response.refresh_in, "refresh_in");
  const scheme = tokenScheme(response.token_type);
  const granted = withRequestedForms(splitScopes(response.scope ?? ""), context.scopes);
  const accessToken: AccessTokenEntity = {
    home_account_id: homeAccountId,
    environment,
    credential_type: scheme
      ? CredentialType.ACCESS_TOKEN_WITH_AUTH_SCHEME
      : CredentialType.ACCESS_TOKEN,
    client_id: context.clientId,
    secret: response.access_token,
    realm,
    target: (granted.length > 0 ? granted : splitScopes(context.scopes)).join(" "),
    cached_at: String(Math.floor(now)),
    expires_on: String(requestedAt + expiresIn),
    extended_expires_on: String(requestedAt + (extExpiresIn ?? expiresIn)),
    token_type: scheme ? response.token_type : "Bearer",
  };
  if (refreshIn !== undefined && refreshIn > 0) {
    accessToken.refresh_on = String(requestedAt + refreshIn);
  }
  if (context.claims) {
    accessToken.requestedClaims = context.claims;
    accessToken.requestedClaimsHash = claimsHash(context.claims);
  }
  const entities: ResponseEntities = {
    accessToken,
    account: accountEntityFrom(homeAccountId, source),
    appMetadata: { client_id: context.clientId, environment },
    idTokenClaims,
  };
  if (response.foci) entities.appMetadata.family_id = response.foci;
  if (response.refresh_token) {
    entities.refreshToken = {
      home_account_id: homeAccountId,
      environment,
      credential_type: CredentialType.REFRESH_TOKEN,
      client_id: context.clientId,
      secret: response.refresh_token,
    };
    if (response.foci) entities.refreshToken.family_id = response.foci;
  }
  if (response.id_token) {
    entities.idToken = {
      home_account_id: homeAccountId,
      environment,
      credential_type: CredentialType.ID_TOKEN,
      client_id: context.clientId,
      secret: response.id_token,
      realm,
    };
  }
  return entities;
}

/** Microsoft Graph's resource URI: Entra returns Graph scopes in their short form. */
const GRAPH_PREFIXES = ["https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000/"];

/**
 * Entra answers a request for `https://graph.microsoft.com/User.Read` with `scope: "User.Read"`
 * (Graph is the default resource). Store the form the app asked for, so that the app's next
 * lookup with the same scopes finds the token.
 *
 * @param granted the scopes in the response
 * @param requested the scopes the app asked for
 * @returns the granted scopes, each in its requested form where the two differ only so
 */
export function withRequestedForms(granted: string[], requested: readonly string[]): string[] {
  const byShort = new Map<string, string>();
  for (const scope of requested) {
    const prefix = GRAPH_PREFIXES.find((p) => scope.toLowerCase().startsWith(p));
    if (prefix) byShort.set(scope.slice(prefix.length).toLowerCase(), scope);
  }
  if (byShort.size === 0) return granted;
  return granted.map((scope) => byShort.get(scope.toLowerCase()) ?? scope);
}
