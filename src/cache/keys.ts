/**
 * Cache keys of the shared format: lowercase, parts joined by `-`. Keys name entries; lookups
 * never parse them (other MSAL libraries and versions write slightly different keys), they
 * match on the entries' fields.
 *
 * @module
 */

import type {
  AccessTokenEntity,
  AccountEntity,
  AppMetadataEntity,
  IdTokenEntity,
  RefreshTokenEntity,
} from "./schema.ts";

/**
 * The non-bearer scheme of an access token (`pop`, …), or `""` for a bearer token.
 *
 * @param tokenType the entry's `token_type`
 * @returns the lowercase scheme, `""` for bearer
 * @example
 * ```ts
 * import { tokenScheme } from "./keys.ts";
 * tokenScheme("Bearer"); // ""
 * tokenScheme("PoP"); // "pop"
 * ```
 */
export function tokenScheme(tokenType: string | undefined): string {
  const lower = (tokenType ?? "").toLowerCase();
  return lower === "bearer" ? "" : lower;
}

/**
 * `{home_account_id}-{environment}-{credential_type}-{client_id}-{realm}-{target}`, with
 * msal-node's `-{claims hash}-{scheme}` appended for a claims-bound or non-bearer token.
 *
 * @param at the entry
 * @returns the key
 * @example
 * ```ts
 * import { accessTokenKey } from "./keys.ts";
 * accessTokenKey({
 *   home_account_id: "u.t", environment: "login.windows.net", credential_type: "AccessToken",
 *   client_id: "c", secret: "s", realm: "t", target: "User.Read", expires_on: "1",
 * }); // "u.t-login.windows.net-accesstoken-c-t-user.read"
 * ```
 */
export function accessTokenKey(at: AccessTokenEntity): string {
  const base = [
    at.home_account_id,
    at.environment,
    at.credential_type,
    at.client_id,
    at.realm,
    at.target,
  ].join("-");
  const hash = at.requestedClaimsHash ?? "";
  const scheme = tokenScheme(at.token_type);
  return (hash || scheme ? `${base}-${hash}-${scheme}` : base).toLowerCase();
}

/**
 * `{home_account_id}-{environment}-refreshtoken-{family_id or client_id}--` (no realm, no
 * target: a refresh token serves every scope).
 *
 * @param rt the entry
 * @returns the key
 * @example
 * ```ts
 * import { refreshTokenKey } from "./keys.ts";
 * refreshTokenKey({
 *   home_account_id: "u.t", environment: "login.windows.net", credential_type: "RefreshToken",
 *   client_id: "c", secret: "s", family_id: "1",
 * }); // "u.t-login.windows.net-refreshtoken-1--"
 * ```
 */
export function refreshTokenKey(rt: RefreshTokenEntity): string {
  return [
    rt.home_account_id,
    rt.environment,
    rt.credential_type,
    rt.family_id || rt.client_id,
    "",
    "",
  ].join("-").toLowerCase();
}

/**
 * `{home_account_id}-{environment}-idtoken-{client_id}-{realm}-`.
 *
 * @param idt the entry
 * @returns the key
 * @example
 * ```ts
 * import { idTokenKey } from "./keys.ts";
 * idTokenKey({
 *   home_account_id: "u.t", environment: "login.windows.net", credential_type: "IdToken",
 *   client_id: "c", secret: "s", realm: "t",
 * }); // "u.t-login.windows.net-idtoken-c-t-"
 * ```
 */
export function idTokenKey(idt: IdTokenEntity): string {
  return [idt.home_account_id, idt.environment, idt.credential_type, idt.client_id, idt.realm, ""]
    .join("-").toLowerCase();
}

/**
 * `{home_account_id}-{environment}-{realm}`.
 *
 * @param account the entry
 * @returns the key
 * @example
 * ```ts
 * import { accountKey } from "./keys.ts";
 * accountKey({
 *   home_account_id: "u.t", environment: "login.windows.net", realm: "t",
 *   local_account_id: "u", username: "a@b.c", authority_type: "MSSTS",
 * }); // "u.t-login.windows.net-t"
 * ```
 */
export function accountKey(account: AccountEntity): string {
  return [account.home_account_id, account.environment, account.realm].join("-").toLowerCase();
}

/**
 * `appmetadata-{environment}-{client_id}`.
 *
 * @param meta the entry
 * @returns the key
 * @example
 * ```ts
 * import { appMetadataKey } from "./keys.ts";
 * appMetadataKey({ client_id: "C", environment: "login.windows.net" }); // "appmetadata-login.windows.net-c"
 * ```
 */
export function appMetadataKey(meta: AppMetadataEntity): string {
  return `appmetadata-${meta.environment}-${meta.client_id}`.toLowerCase();
}
