/**
 * Maps request paths (after the host) to endpoint handlers, and replies to an injected
 * authorize error the way Entra does (redirect to a registered redirect URI, else an error page).
 *
 * @module
 */

import type { AadError } from "./aad_error.ts";
import { handleAuthorize } from "./authorize.ts";
import { param, type RequestContext } from "./context.ts";
import { type EmulatorCore, findApp } from "./core.ts";
import { handleDeviceCode } from "./device_code.ts";
import { handleDevicePage } from "./device_page.ts";
import { handleLogout } from "./logout.ts";
import { handleInstanceDiscovery, handleJwks, handleOpenIdConfiguration } from "./metadata.ts";
import { redirectUriRegistered } from "./redirect_uri.ts";
import { errorPage, json } from "./respond.ts";
import { failToClient, handleSignInForm } from "./sign_in.ts";
import { handleToken } from "./token.ts";
import type { EmulatorEndpoint } from "./types.ts";

/** A matched route: the protocol endpoint (for faults and the log) and its handler. */
export interface Route {
  endpoint?: EmulatorEndpoint;
  run: () => Promise<Response> | Response;
}

/**
 * Finds the handler for a request: `{tenant}/discovery/instance`,
 * `{tenant}/v2.0/.well-known/openid-configuration`, `{tenant}/discovery/v2.0/keys`,
 * `{tenant}/oauth2/v2.0/{authorize,token,devicecode,logout}`, `{tenant}/oauth2/deviceauth`,
 * and the sign-in forms `{tenant}/{login,select_account,consent}`; anything else is a 404.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns The route.
 * @example
 * ```ts
 * import { routeRequest } from "./router.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await routeRequest(core, ctx).run();
 * ```
 */
export function routeRequest(core: EmulatorCore, ctx: RequestContext): Route {
  const rest = ctx.segments.slice(1).join("/");
  switch (rest) {
    case "discovery/instance":
      return { endpoint: "instance_discovery", run: () => handleInstanceDiscovery(core, ctx) };
    case "v2.0/.well-known/openid-configuration":
      return {
        endpoint: "openid_configuration",
        run: () => handleOpenIdConfiguration(core, ctx),
      };
    case "discovery/v2.0/keys":
    case "discovery/keys":
      return { endpoint: "jwks", run: () => handleJwks(core, ctx) };
    case "oauth2/v2.0/authorize":
      return { endpoint: "authorize", run: () => handleAuthorize(core, ctx) };
    case "oauth2/v2.0/token":
      return { endpoint: "token", run: () => handleToken(core, ctx) };
    case "oauth2/v2.0/devicecode":
      return { endpoint: "devicecode", run: () => handleDeviceCode(core, ctx) };
    case "oauth2/v2.0/logout":
      return { endpoint: "logout", run: () => handleLogout(core, ctx) };
    case "oauth2/deviceauth":
      return { run: () => handleDevicePage(core, ctx) };
    case "login":
    case "select_account":
    case "consent":
      return { run: () => handleSignInForm(core, ctx, rest) };
    default:
      return {
        run: () =>
          json(ctx, {
            error: "not_found",
            error_description: `No emulated endpoint at ${ctx.url.pathname}`,
          }, 404),
      };
  }
}

/**
 * The reply to an injected authorize error.
 *
 * @param core The emulator.
 * @param ctx The authorize request.
 * @param err The error to report.
 * @returns An error redirect, or an error page when the client or redirect URI is not valid.
 * @example
 * ```ts
 * import { AadError } from "./aad_error.ts";
 * import { authorizeFaultReply } from "./router.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * authorizeFaultReply(core, ctx, new AadError("login_required", 50058, "No user."));
 * ```
 */
export function authorizeFaultReply(
  core: EmulatorCore,
  ctx: RequestContext,
  err: AadError,
): Response {
  const app = findApp(core, param(ctx, "client_id") ?? "");
  const redirectUri = param(ctx, "redirect_uri");
  if (!app || redirectUri === undefined || !redirectUriRegistered(app, redirectUri)) {
    return errorPage(ctx, err);
  }
  const mode = param(ctx, "response_mode");
  return failToClient(ctx, {
    id: "",
    params: {
      clientId: app.clientId,
      redirectUri,
      responseMode: mode === "fragment" || mode === "form_post" ? mode : "query",
      scope: "",
      state: param(ctx, "state"),
      clientInfo: false,
    },
    tenant: { kind: "common", segment: "common" },
    cloud: ctx.cloud,
    base: ctx.base,
  }, err);
}
