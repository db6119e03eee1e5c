/**
 * What `entra-auth token` asks for and how it prints the answer: its flags, the scopes of
 * `--scope` / `--resource`, and the `--output` formats. Shared by the command and by the
 * fast path that serves a token from the cache (`token_from_cache.ts`), so both read the
 * same flags and print the same bytes. Imports nothing at run time.
 *
 * @module
 */

import type { AuthenticationResult } from "../result.ts";
import { SETTING_FLAGS, SIGN_IN_FLAGS } from "./flags.ts";

/** The flags of `entra-auth token`. */
export const TOKEN_FLAGS = {
  "scope": {
    type: "string",
    multiple: true,
    value: "SCOPE",
    help: "a scope to ask for (repeatable)",
  },
  "resource": { type: "string", value: "URI", help: "a resource: asks for <URI>/.default" },
  "output": {
    type: "string",
    short: "o",
    value: "token|json|header",
    help: "bare token (default), JSON as az account get-access-token, or an Authorization header",
  },
  "force-refresh": { type: "boolean", help: "get a new token even if one is cached" },
  ...SIGN_IN_FLAGS,
  ...SETTING_FLAGS,
} as const;

/** The `--output` formats. */
export const OUTPUTS: readonly string[] = ["token", "json", "header"];

/**
 * The scopes of `--scope` and `--resource`. A resource is taken as given, as the Azure CLI
 * does: `https://management.core.windows.net/` (ARM's identifier, with its slash) becomes
 * `https://management.core.windows.net//.default`, whose tokens carry that audience.
 *
 * @param values the parsed flags
 * @returns the scopes, `--resource` last as `<resource>/.default`
 * @example
 * ```ts
 * import { scopesOf } from "./token_request.ts";
 * console.log(scopesOf({ resource: "https://vault.azure.net" }));
 * // ["https://vault.azure.net/.default"]
 * ```
 */
export function scopesOf(values: Record<string, unknown>): string[] {
  const scopes = [...(values.scope as string[] | undefined ?? [])];
  const resource = values.resource as string | undefined;
  if (resource) scopes.push(`${resource}/.default`);
  return scopes;
}

/**
 * The JSON `az account get-access-token` prints, for tools that parse it.
 *
 * @param result the token
 * @returns the object to print
 * @example
 * ```ts ignore
 * import { azShape } from "./token_request.ts";
 * console.log(JSON.stringify(azShape(result), null, 2));
 * ```
 */
export function azShape(result: AuthenticationResult): Record<string, unknown> {
  const d = result.expiresOn;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  // az prints local time without a zone, with microseconds.
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
    + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.000000`;
  return {
    accessToken: result.accessToken,
    expiresOn: local,
    expires_on: Math.floor(d.getTime() / 1000),
    tenant: result.tenantId,
    tokenType: result.tokenType,
  };
}

/**
 * What `token` prints on stdout for `--output`.
 *
 * @param output `token`, `json` or `header`
 * @param result the token
 * @returns the text, with its final newline
 * @example
 * ```ts ignore
 * import { tokenOutput } from "./token_request.ts";
 * console.log(tokenOutput("header", result)); // "Authorization: Bearer eyJ…\n"
 * ```
 */
export function tokenOutput(output: string, result: AuthenticationResult): string {
  if (output === "json") return `${JSON.stringify(azShape(result), null, 2)}\n`;
  if (output === "header") return `Authorization: ${result.authorizationHeader}\n`;
  return `${result.accessToken}\n`;
}
