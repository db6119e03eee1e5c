/**
 * Scope sets as MSAL compares them: case-insensitive; the OpenID Connect scopes (`openid`,
 * `profile`, `offline_access`, `email`) are ignored in lookups unless they are all that was
 * asked for.
 *
 * @module
 */

const WHITESPACE = /\s/;

/** The OpenID Connect scopes MSAL adds to every request. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set([
  "openid",
  "profile",
  "offline_access",
  "email",
]);

/**
 * Splits a `scope` or `target` string into its scopes: split on whitespace, empty parts and
 * duplicates (case-insensitive) dropped, order and case kept.
 *
 * @param value space-separated scopes
 * @returns the scopes
 * @example
 * ```ts
 * import { splitScopes } from "./scopes.ts";
 * splitScopes(" User.Read  Mail.Read user.read"); // ["User.Read", "Mail.Read"]
 * ```
 */
export function splitScopes(value: string | readonly string[]): string[] {
  // Not flatMap: JavaScriptCore compiles that built-in on first use, a cost of every cold start.
  const parts = (typeof value === "string" ? value : value.join(" ")).split(/\s+/);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (part && !seen.has(lower)) {
      seen.add(lower);
      out.push(part);
    }
  }
  return out;
}

/**
 * The lowercase scopes a lookup must find in a token's `target`: the OIDC scopes are removed
 * unless the request has nothing else (then only `offline_access` is removed), as MSAL does.
 *
 * @param scopes the requested scopes
 * @returns lowercase scopes to match
 * @example
 * ```ts
 * import { searchScopes } from "./scopes.ts";
 * searchScopes(["openid", "User.Read"]); // ["user.read"]
 * ```
 */
export function searchScopes(scopes: readonly string[]): string[] {
  // The common case (a few scopes, no whitespace inside) takes no regular expression.
  const all: string[] = [];
  for (const scope of scopes) {
    if (WHITESPACE.test(scope)) {
      for (const part of splitScopes(scope)) all.push(part.toLowerCase());
    } else if (scope) all.push(scope.toLowerCase());
  }
  let resource: string[] | undefined;
  for (const scope of all) {
    if (!OIDC_SCOPES.has(scope) && !resource?.includes(scope)) (resource ??= []).push(scope);
  }
  if (resource) return resource;
  const oidc = [...new Set(all)].filter((s) => s !== "offline_access");
  return oidc.length > 0 ? oidc : ["openid", "profile"];
}
