/**
 * MSAL's shared token-cache format ("unified schema"): the five sections, their entries with
 * snake_case fields, and the credential types. Entries keep every field they were read
 * with, so unknown fields written by other MSAL libraries survive a read-modify-write.
 *
 * @module
 */

/** The sections of a serialized cache, in the order they are written. */
export const CACHE_SECTIONS = [
  "AccessToken",
  "RefreshToken",
  "IdToken",
  "Account",
  "AppMetadata",
] as const;

/** One of {@link CACHE_SECTIONS}. */
export type CacheSection = typeof CACHE_SECTIONS[number];

/** `credential_type` values. */
export const CredentialType = {
  ACCESS_TOKEN: "AccessToken",
  /** A proof-of-possession (or other non-bearer) access token, as msal-node writes it. */
  ACCESS_TOKEN_WITH_AUTH_SCHEME: "AccessToken_With_AuthScheme",
  REFRESH_TOKEN: "RefreshToken",
  ID_TOKEN: "IdToken",
} as const;

/** `authority_type` values of account entries. */
export type CacheAuthorityType = "MSSTS" | "ADFS" | "Generic";

/** Fields every credential (access, refresh and id token) has. */
export interface CredentialEntity {
  /** `{uid}.{utid}` of the account. */
  home_account_id: string;
  /** The cloud host, e.g. `login.microsoftonline.com`. */
  environment: string;
  /** `AccessToken`, `RefreshToken`, `IdToken` (or another MSAL credential type). */
  credential_type: string;
  /** The app's client id. */
  client_id: string;
  /** The token itself. */
  secret: string;
  /** Fields this library does not know, preserved. */
  [extra: string]: unknown;
}

/** An `AccessToken` entry. Timestamps are epoch seconds as strings. */
export interface AccessTokenEntity extends CredentialEntity {
  /** The tenant id. */
  realm: string;
  /** Granted scopes joined by single spaces. */
  target: string;
  /** When it was cached, epoch seconds. */
  cached_at?: string;
  /** When it expires, epoch seconds. */
  expires_on: string;
  /** The extended expiry, epoch seconds. */
  extended_expires_on?: string;
  /** When to refresh early (from `refresh_in`). */
  refresh_on?: string;
  /** `Bearer`, or the scheme of a non-bearer token (`pop`). */
  token_type?: string;
  /** The key a proof-of-possession token is bound to. */
  key_id?: string;
  /** The claims request the token was issued for (msal-node's field name). */
  requestedClaims?: string;
  /** base64url SHA-256 of `requestedClaims` (msal-node's field name). */
  requestedClaimsHash?: string;
}

/** A `RefreshToken` entry. */
export interface RefreshTokenEntity extends CredentialEntity {
  /** The family (FOCI) id when the refresh token serves a family of apps, e.g. `"1"`. */
  family_id?: string;
}

/** An `IdToken` entry. */
export interface IdTokenEntity extends CredentialEntity {
  /** The tenant id. */
  realm: string;
}

/** An `Account` entry. */
export interface AccountEntity {
  home_account_id: string;
  environment: string;
  /** The tenant id. */
  realm: string;
  /** The object id in `realm`. */
  local_account_id: string;
  username: string;
  authority_type: string;
  name?: string;
  /** The raw base64url `client_info`. */
  client_info?: string;
  /** Fields this library does not know (e.g. msal-node's `tenantProfiles`), preserved. */
  [extra: string]: unknown;
}

/** An `AppMetadata` entry. */
export interface AppMetadataEntity {
  /** The app's client id. */
  client_id: string;
  /** The cloud host, e.g. `login.microsoftonline.com`. */
  environment: string;
  /** The family id when the app is in a family (FOCI). */
  family_id?: string;
  /** Fields this library does not know, preserved. */
  [extra: string]: unknown;
}

/** The entry type of each section. */
export interface SectionEntity {
  AccessToken: AccessTokenEntity;
  RefreshToken: RefreshTokenEntity;
  IdToken: IdTokenEntity;
  Account: AccountEntity;
  AppMetadata: AppMetadataEntity;
}

/** A serialized cache: the five sections plus any other top-level section, preserved. */
export type SerializedCache =
  & { [S in CacheSection]?: Record<string, SectionEntity[S]>; }
  & { [other: string]: unknown; };
