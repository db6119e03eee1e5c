/**
 * The token cache's options, queries and results.
 *
 * @module
 */

import type { AccountInfo } from "../result.ts";
import type { CloudAliases } from "./environment.ts";
import type { AccessTokenEntity, IdTokenEntity, RefreshTokenEntity } from "./schema.ts";

/** Options of the `TokenCache` constructor. */
export interface TokenCacheOptions {
  /** The clouds' alias groups (default: public, China, Germany, US Government). */
  clouds?: readonly CloudAliases[];
  /** The clock, in epoch seconds (for tests). */
  now?: () => number;
  /** An access token expiring within this many seconds counts as expired (default 300). */
  expiryBufferSeconds?: number;
}

/** The part of an account a lookup uses. */
export type AccountRef = Pick<AccountInfo, "homeAccountId" | "environment" | "tenantId">;

/** What `findAccessToken` looks for. */
export interface AccessTokenQuery {
  /** The app's client id. */
  clientId: string;
  /** The account the token was issued to. */
  account: AccountRef;
  /** Every scope must have been granted (the OpenID Connect scopes are ignored). */
  scopes: readonly string[];
  /** The tenant of the token (default: the account's). */
  tenantId?: string;
  /** Only a token issued for this claims request (JSON text); by default, only unbound ones. */
  claims?: string;
  /** `Bearer` (default) or a proof-of-possession scheme such as `pop`. */
  tokenType?: string;
}

/** A valid cached access token. */
export interface AccessTokenMatch {
  /** Its cache key. */
  key: string;
  /** The entry, as stored. */
  entity: AccessTokenEntity;
  /** The granted scopes. */
  scopes: readonly string[];
  /** When it expires. */
  expiresOn: Date;
  /** Its `refresh_on` has passed: use it, and refresh it (e.g. in the background). */
  refreshDue: boolean;
}

/** What `findRefreshToken` looks for. */
export interface RefreshTokenQuery {
  /** The app's client id. */
  clientId: string;
  /** The account the refresh token belongs to. */
  account: Pick<AccountInfo, "homeAccountId" | "environment">;
  /** The family refresh token (FOCI) of this family, written by any app of the family. */
  familyId?: string;
}

/** A cached refresh token. */
export interface RefreshTokenMatch {
  /** Its cache key (for `removeRefreshToken`). */
  key: string;
  /** The entry, as stored. */
  entity: RefreshTokenEntity;
}

/** A cached id token. */
export interface IdTokenMatch {
  /** Its cache key. */
  key: string;
  /** The entry, as stored. */
  entity: IdTokenEntity;
  /** Its claims (decoded once, not verified). */
  claims: Readonly<Record<string, unknown>>;
}

/** Which accounts `getAccounts` returns. */
export interface AccountFilter {
  /** Take `idTokenClaims` from this client's id tokens. */
  clientId?: string;
  /** Only this account (`{uid}.{utid}`). */
  homeAccountId?: string;
  /** Any alias of the cloud. */
  environment?: string;
  /**
   * `false` leaves `idTokenClaims` out: no id token is decoded (choosing an account by
   * username or home account id needs none). Default `true`.
   */
  idTokenClaims?: boolean;
}

/** What `saveTokenResponse` stored. */
export interface SavedTokens {
  /** The account, with the new id token's claims. */
  account: AccountInfo;
  /** The access token as stored. */
  accessToken: AccessTokenMatch;
  /** The id token as stored, when the response had one. */
  idToken?: IdTokenMatch;
  /** The refresh token's key, when the response had one. */
  refreshTokenKey?: string;
}
