/**
 * Accounts: who a token response belongs to (from `client_info` and the id token's claims),
 * and the {@link AccountInfo} an app sees for a cached account entry.
 *
 * @module
 */

import type { AccountInfo } from "../result.ts";
import type { AccountEntity, CacheAuthorityType } from "./schema.ts";

/** The decoded `client_info`. */
export interface ClientInfo {
  uid: string;
  utid: string;
}

/**
 * Decodes `client_info` (base64url JSON `{"uid","utid"}`).
 *
 * @param value the raw `client_info`
 * @returns uid and utid, or `undefined` when absent or malformed
 * @example
 * ```ts
 * import { decodeClientInfo } from "./account.ts";
 * decodeClientInfo(btoa(JSON.stringify({ uid: "u", utid: "t" }))); // { uid: "u", utid: "t" }
 * ```
 */
export function decodeClientInfo(value: string | undefined): ClientInfo | undefined {
  if (!value) return undefined;
  try {
    const b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(
      atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "=")),
      (c) => c.charCodeAt(0),
    );
    const parsed = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof parsed?.uid === "string" && typeof parsed?.utid === "string" && parsed.uid) {
      return { uid: parsed.uid, utid: parsed.utid };
    }
  } catch {
    // malformed: treated as absent, as MSAL does
  }
  return undefined;
}

/** What a token response says about its account. */
export interface AccountSource {
  clientInfo?: string;
  idTokenClaims: Readonly<Record<string, unknown>>;
  authorityType: CacheAuthorityType;
  /** The environment to store (already the preferred cache alias). */
  environment: string;
  /** The tenant of the request's authority, used when the id token has no `tid`. */
  tenant: string;
}

function claim(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * `{uid}.{utid}` from `client_info`; ADFS (no `client_info`) and generic OIDC issuers use the
 * id token's `sub`.
 *
 * @param source the response's account data
 * @returns the home account id, `""` when the response names no account
 * @example
 * ```ts
 * import { homeAccountIdOf } from "./account.ts";
 * homeAccountIdOf({
 *   idTokenClaims: { sub: "s" }, authorityType: "ADFS", environment: "fs.contoso.com",
 *   tenant: "adfs",
 * }); // "s"
 * ```
 */
export function homeAccountIdOf(source: AccountSource): string {
  if (source.authorityType !== "ADFS") {
    const info = decodeClientInfo(source.clientInfo);
    if (info && info.utid) return `${info.uid}.${info.utid}`;
  }
  return claim(source.idTokenClaims, "sub") ?? "";
}

/**
 * The tenant a response's tokens are stored under: the id token's `tid`, else the request's
 * tenant (`adfs` for ADFS).
 *
 * @param source the response's account data
 * @returns the realm
 * @example
 * ```ts
 * import { realmOf } from "./account.ts";
 * realmOf({
 *   idTokenClaims: { tid: "t1" }, authorityType: "MSSTS", environment: "login.windows.net",
 *   tenant: "organizations",
 * }); // "t1"
 * ```
 */
export function realmOf(source: AccountSource): string {
  return claim(source.idTokenClaims, "tid") ?? source.tenant;
}

/**
 * The account entry for a token response, as MSAL Python and msal-node write it.
 *
 * @param homeAccountId from {@link homeAccountIdOf}
 * @param source the response's account data
 * @returns the entry
 * @example
 * ```ts
 * import { accountEntityFrom } from "./account.ts";
 * const entity = accountEntityFrom("u.t", {
 *   idTokenClaims: { oid: "u", tid: "t", preferred_username: "a@contoso.com", name: "A" },
 *   authorityType: "MSSTS", environment: "login.windows.net", tenant: "organizations",
 * });
 * entity.username; // "a@contoso.com"
 * ```
 */
export function accountEntityFrom(homeAccountId: string, source: AccountSource): AccountEntity {
  const claims = source.idTokenClaims;
  const info = decodeClientInfo(source.clientInfo);
  const entity: AccountEntity = {
    home_account_id: homeAccountId,
    environment: source.environment,
    realm: realmOf(source),
    local_account_id: claim(claims, "oid") ?? claim(claims, "sub") ?? info?.uid ?? "",
    username: claim(claims, "preferred_username") ?? claim(claims, "upn")
      ?? claim(claims, "email") ?? "",
    authority_type: source.authorityType,
  };
  const name = claim(claims, "name");
  if (name !== undefined) entity.name = name;
  if (source.clientInfo) entity.client_info = source.clientInfo;
  return entity;
}

/**
 * The {@link AccountInfo} for a cached account entry.
 *
 * @param entity the entry
 * @param idTokenClaims the claims of its id token, when there is one
 * @returns the account
 * @example
 * ```ts
 * import { accountInfoFrom } from "./account.ts";
 * accountInfoFrom({
 *   home_account_id: "u.t", environment: "login.windows.net", realm: "t",
 *   local_account_id: "u", username: "a@contoso.com", authority_type: "MSSTS",
 * }).tenantId; // "t"
 * ```
 */
export function accountInfoFrom(
  entity: AccountEntity,
  idTokenClaims?: Readonly<Record<string, unknown>>,
): AccountInfo {
  const info: AccountInfo = {
    homeAccountId: entity.home_account_id,
    environment: entity.environment,
    tenantId: entity.realm,
    username: entity.username,
    localAccountId: entity.local_account_id,
  };
  if (entity.name) info.name = entity.name;
  if (idTokenClaims) info.idTokenClaims = idTokenClaims;
  return info;
}
