/**
 * Splits a v2.0 `scope` parameter into OIDC scopes and one resource with its permissions,
 * the way Entra does (one resource per request).
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import type { EmulatorCloud } from "./types.ts";

const OIDC = ["openid", "profile", "email", "offline_access"];
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** A parsed scope request. */
export interface ScopeGrant {
  /** OIDC scopes requested (`openid`, `profile`, `email`, `offline_access`). */
  oidc: string[];
  /** Resource URI, e.g. `https://graph.microsoft.com` or `api://my-api`. */
  resource: string;
  /** Access token audience. */
  audience: string;
  /** Permissions granted on the resource (the `scp` claim, space-separated). */
  scp: string;
  /** The `scope` of the token response. */
  responseScope: string;
}

/**
 * Parses a scope string. Short names (`User.Read`) and the OIDC scopes alone mean Microsoft
 * Graph; `{resource}/{permission}` names any other resource; `.default` grants
 * `User.Read` on Graph and `user_impersonation` elsewhere, and the response's scope then
 * lists the `.default` scope too (as Entra's does).
 *
 * @param scope The space-separated scopes.
 * @param cloud The cloud (its Graph host).
 * @returns The grant.
 * @throws {AadError} `invalid_scope` (AADSTS28000) for more than one resource, or
 *   `invalid_request` (AADSTS900144) for an empty scope.
 * @example
 * ```ts
 * import { parseScopes } from "./scopes.ts";
 * import { DEFAULT_CLOUDS } from "./config.ts";
 * console.log(parseScopes("openid User.Read", DEFAULT_CLOUDS[0]).scp); // User.Read
 * ```
 */
export function parseScopes(scope: string | undefined, cloud: EmulatorCloud): ScopeGrant {
  const all = (scope ?? "").split(/\s+/).filter((s) => s !== "");
  if (all.length === 0) {
    throw new AadError(
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'scope'.",
    );
  }
  const graph = `https://${cloud.graphHost}`;
  const oidc = all.filter((s) => OIDC.includes(s.toLowerCase())).map((s) => s.toLowerCase());
  const resources = new Map<string, string[]>();
  /** Each resource as the request spelled it first (`https://management.core.windows.net/`). */
  const spelled = new Map<string, string>();
  for (const s of all.filter((s) => !OIDC.includes(s.toLowerCase()))) {
    const slash = s.lastIndexOf("/");
    const isUri = s.includes("://") || /^[0-9a-f-]{36}\//i.test(s);
    const resource = isUri && slash > 0 ? s.slice(0, slash) : graph;
    const name = isUri && slash > 0 ? s.slice(slash + 1) : s;
    const key = resource.replace(/\/+$/, "");
    resources.set(key, [...(resources.get(key) ?? []), name]);
    if (!spelled.has(key)) spelled.set(key, resource);
  }
  if (resources.size > 1) {
    throw new AadError(
      "invalid_scope",
      28000,
      "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope "
        + all.join(" ") + " is not valid.",
    );
  }
  const [resource, names] = resources.size === 1
    ? [...resources.entries()][0]
    : [graph, [] as string[]];
  const isGraph = resource === graph || resource === GRAPH_APP_ID;
  let perms = names.includes(".default")
    ? (isGraph ? ["User.Read"] : ["user_impersonation"])
    : names;
  if (perms.length === 0) perms = ["openid", "profile", "email"];
  const apiMatch = /^api:\/\/([0-9a-f-]{36})$/i.exec(resource);
  const audience = isGraph ? GRAPH_APP_ID : apiMatch ? apiMatch[1] : resource;
  // Entra names the permissions under the resource as it was asked for (ARM's identifier URI
  // ends with a slash: `https://management.core.windows.net//user_impersonation`) and echoes
  // a `.default` request too, which is how MSAL Python finds the token again by that scope.
  const asked = spelled.get(resource) ?? resource;
  const granted = isGraph ? perms : perms.map((p) => `${asked}/${p}`);
  if (names.includes(".default")) granted.push(`${asked}/.default`);
  const oidcEcho = oidc.filter((s) => s !== "offline_access" && !granted.includes(s));
  return {
    oidc,
    resource,
    audience,
    scp: perms.join(" "),
    responseScope: [...granted, ...oidcEcho].join(" "),
  };
}
