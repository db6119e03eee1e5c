/**
 * `GET /{tenant}/oauth2/v2.0/authorize`: validates the request the way Entra does (error page
 * for an unknown app or unregistered redirect URI, error redirect for everything else), then
 * hands over to the sign-in steps.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { param, type RequestContext } from "./context.ts";
import { type EmulatorCore, findApp } from "./core.ts";
import { randomToken } from "./encoding.ts";
import { redirectUriRegistered } from "./redirect_uri.ts";
import { errorPage } from "./respond.ts";
import { parseScopes } from "./scopes.ts";
import { continueSignIn, failToClient, SESSION_COOKIE } from "./sign_in.ts";
import type { AuthorizeParams, PendingSignIn } from "./store.ts";
import { tenantOf } from "./tenant.ts";

const PROMPTS = ["login", "none", "consent", "select_account", "create"];

function invalid(code: number, message: string): AadError {
  return new AadError("invalid_request", code, message);
}

/**
 * Handles the authorize endpoint.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns A redirect to the app (code or error), a sign-in page, or an error page.
 * @example
 * ```ts
 * import { handleAuthorize } from "./authorize.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleAuthorize(core, ctx);
 * ```
 */
export async function handleAuthorize(core: EmulatorCore, ctx: RequestContext): Promise<Response> {
  let tenant;
  try {
    tenant = tenantOf(core, ctx);
  } catch (err) {
    if (err instanceof AadError) return errorPage(ctx, err);
    throw err;
  }
  const clientId = param(ctx, "client_id");
  if (clientId === undefined) {
    return errorPage(
      ctx,
      invalid(900144, "The request body must contain the following parameter: 'client_id'."),
    );
  }
  const app = findApp(core, clientId);
  if (!app) {
    return errorPage(
      ctx,
      new AadError(
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant.segment}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      ),
    );
  }
  const redirectUri = param(ctx, "redirect_uri")
    ?? (app.redirectUris.length === 1 ? app.redirectUris[0] : undefined);
  if (redirectUri === undefined || !redirectUriRegistered(app, redirectUri)) {
    return errorPage(
      ctx,
      invalid(
        50011,
        `The redirect URI '${
          redirectUri ?? ""
        }' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
      ),
    );
  }
  const mode = param(ctx, "response_mode") ?? "query";
  const params: AuthorizeParams = {
    clientId: app.clientId,
    redirectUri,
    responseMode: mode === "fragment" || mode === "form_post" ? mode : "query",
    scope: param(ctx, "scope") ?? "",
    state: param(ctx, "state"),
    nonce: param(ctx, "nonce"),
    codeChallenge: param(ctx, "code_challenge"),
    codeChallengeMethod: param(ctx, "code_challenge_method"),
    prompt: param(ctx, "prompt"),
    loginHint: param(ctx, "login_hint"),
    claims: param(ctx, "claims"),
    clientInfo: param(ctx, "client_info") === "1",
  };
  const pending: PendingSignIn = {
    id: randomToken(24),
    params,
    tenant,
    cloud: ctx.cloud,
    base: ctx.base,
  };
  try {
    validate(ctx, params, app.isPublicClient !== false, mode);
  } catch (err) {
    if (err instanceof AadError) return failToClient(ctx, pending, err);
    throw err;
  }
  const maxAge = param(ctx, "max_age");
  if (maxAge !== undefined) params.maxAge = Number(maxAge);
  const sessionId = ctx.cookies[SESSION_COOKIE];
  if (sessionId !== undefined && core.store.sessions.has(sessionId)) pending.sessionId = sessionId;
  if (params.prompt === "login") pending.forceLogin = true;
  core.store.pending.set(pending.id, pending);
  return await continueSignIn(core, ctx, pending, []);
}

function validate(
  ctx: RequestContext,
  params: AuthorizeParams,
  isPublic: boolean,
  mode: string,
): void {
  if (!["query", "fragment", "form_post"].includes(mode)) {
    throw invalid(900148, `The response_mode '${mode}' is not supported.`);
  }
  const responseType = param(ctx, "response_type");
  if (responseType === undefined) {
    throw invalid(
      900144,
      "The request body must contain the following parameter: 'response_type'.",
    );
  }
  if (responseType !== "code") {
    throw new AadError(
      "unsupported_response_type",
      700051,
      `response_type '${responseType}' is not enabled for the application.`,
    );
  }
  parseScopes(params.scope, ctx.cloud);
  if (params.codeChallenge === undefined) {
    if (isPublic) {
      throw invalid(
        9002325,
        "Proof Key for Code Exchange is required for public clients: send code_challenge with code_challenge_method 'S256'.",
      );
    }
  } else {
    if (params.codeChallengeMethod !== "S256") {
      throw invalid(
        9002326,
        `The code_challenge_method '${
          params.codeChallengeMethod ?? "plain"
        }' is not supported; use 'S256'.`,
      );
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(params.codeChallenge)) {
      throw invalid(501491, "Invalid size of Code_Challenge parameter.");
    }
  }
  if (params.prompt !== undefined && !PROMPTS.includes(params.prompt)) {
    throw invalid(90023, `Unsupported 'prompt' value '${params.prompt}'.`);
  }
  const maxAge = param(ctx, "max_age");
  if (maxAge !== undefined && !/^\d+$/.test(maxAge)) {
    throw invalid(90014, "The 'max_age' parameter must be a non-negative integer.");
  }
  if (params.claims !== undefined) {
    try {
      const parsed: unknown = JSON.parse(params.claims);
      if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
    } catch {
      throw invalid(90100, "The 'claims' parameter is not valid JSON.");
    }
  }
}
