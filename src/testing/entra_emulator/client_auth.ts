/**
 * Client identification at the token and devicecode endpoints: `client_id`, and the secret
 * for confidential clients (`client_secret` in the body or HTTP Basic).
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { param, type RequestContext } from "./context.ts";
import { type EmulatorCore, findApp } from "./core.ts";
import type { EmulatorApp } from "./types.ts";

/**
 * A required parameter.
 *
 * @param ctx The request.
 * @param name Parameter name.
 * @returns Its value.
 * @throws {AadError} `invalid_request` AADSTS900144 when absent.
 * @example
 * ```ts
 * import { requireParam } from "./client_auth.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * const code = requireParam(ctx, "code");
 * ```
 */
export function requireParam(ctx: RequestContext, name: string): string {
  const value = param(ctx, name);
  if (value === undefined) {
    throw new AadError(
      "invalid_request",
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );
  }
  return value;
}

/**
 * Identifies and authenticates the calling app.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @param tenantSegment The tenant of the URL (for messages).
 * @returns The app.
 * @throws {AadError} AADSTS900144 (no client_id), `unauthorized_client` AADSTS700016 (unknown
 *   app), `invalid_client` AADSTS700025 (secret sent by a public client), AADSTS7000218 (no
 *   secret from a confidential client), AADSTS7000215 (wrong secret).
 * @example
 * ```ts
 * import { authenticateClient } from "./client_auth.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const app = authenticateClient(core, ctx, "common");
 * ```
 */
export function authenticateClient(
  core: EmulatorCore,
  ctx: RequestContext,
  tenantSegment: string,
): EmulatorApp {
  let basicId: string | undefined;
  let basicSecret: string | undefined;
  const auth = ctx.request.headers.get("authorization") ?? "";
  if (auth.toLowerCase().startsWith("basic ")) {
    try {
      const decoded = atob(auth.slice(6).trim());
      const colon = decoded.indexOf(":");
      basicId = decodeURIComponent(decoded.slice(0, colon));
      basicSecret = decodeURIComponent(decoded.slice(colon + 1));
    } catch {
      throw new AadError("invalid_client", 7000215, "Invalid client secret provided.");
    }
  }
  const clientId = param(ctx, "client_id") ?? basicId;
  if (clientId === undefined) {
    throw new AadError(
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'client_id'.",
    );
  }
  const app = findApp(core, clientId);
  if (!app) {
    throw new AadError(
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenantSegment}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const secret = param(ctx, "client_secret") ?? basicSecret;
  const assertion = param(ctx, "client_assertion");
  if (app.isPublicClient !== false) {
    if (secret !== undefined || assertion !== undefined) {
      throw new AadError(
        "invalid_client",
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
      );
    }
    return app;
  }
  if (secret === undefined) {
    throw new AadError(
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (secret !== app.clientSecret) {
    throw new AadError(
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
  }
  return app;
}
