/**
 * Request parameters shared by the grants: the scope list with MSAL's default OpenID scopes,
 * and the `claims` parameter merged with client capabilities (`xms_cc`).
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/** The scopes MSAL adds to every user sign-in request. */
export const DEFAULT_OIDC_SCOPES: readonly string[] = ["openid", "profile", "offline_access"];

/**
 * The `scope` parameter: the app's scopes, then any extra ones, then the default OpenID
 * scopes, without duplicates (case-insensitive).
 *
 * @param scopes the scopes the token is for
 * @param extra more scopes to consent to now (`extraScopesToConsent`)
 * @returns the scopes to send, in order
 * @throws EntraAuthError `invalid_argument` for a scope with whitespace, or no scope at all
 * @example
 * ```ts
 * import { requestScopes } from "./scopes.ts";
 * requestScopes(["User.Read"]); // ["User.Read", "openid", "profile", "offline_access"]
 * ```
 */
export function requestScopes(scopes: readonly string[], extra: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const scope of [...scopes, ...extra, ...DEFAULT_OIDC_SCOPES]) {
    if (typeof scope !== "string" || scope === "" || /\s/.test(scope)) {
      throw new EntraAuthError("invalid_argument", `invalid scope ${JSON.stringify(scope)}`);
    }
    if (!out.some((s) => s.toLowerCase() === scope.toLowerCase())) out.push(scope);
  }
  return out;
}

/**
 * The `claims` parameter: a claims request (e.g. a claims challenge) merged with the client
 * capabilities (`{"access_token":{"xms_cc":{"values":[…]}}}`).
 *
 * @param claims JSON text of a claims request, if any
 * @param capabilities client capabilities, e.g. `["CP1"]`
 * @returns the JSON text to send, or `undefined` when there is nothing to send
 * @throws EntraAuthError `invalid_argument` when `claims` is not a JSON object
 * @example
 * ```ts
 * import { mergeClaims } from "./scopes.ts";
 * mergeClaims(undefined, ["CP1"]); // '{"access_token":{"xms_cc":{"values":["CP1"]}}}'
 * ```
 */
export function mergeClaims(
  claims: string | undefined,
  capabilities: readonly string[] = [],
): string | undefined {
  if ((claims === undefined || claims === "") && capabilities.length === 0) return undefined;
  let request: Record<string, unknown> = {};
  if (claims !== undefined && claims !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(claims);
    } catch (cause) {
      throw new EntraAuthError("invalid_argument", "claims is not JSON", { cause });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new EntraAuthError("invalid_argument", "claims is not a JSON object");
    }
    request = parsed as Record<string, unknown>;
  }
  if (capabilities.length > 0) {
    const access = (typeof request.access_token === "object" && request.access_token !== null
      ? request.access_token
      : {}) as Record<string, unknown>;
    request.access_token = { ...access, xms_cc: { values: [...capabilities] } };
  }
  return JSON.stringify(request);
}
