/**
 * The token endpoint: dispatches on `grant_type`; handles `authorization_code` (with PKCE)
 * and `password` itself.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { authenticateClient, requireParam } from "./client_auth.ts";
import { userAllowedIn } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { type EmulatorCore, findUser } from "./core.ts";
import { redeemDeviceCode } from "./device_code.ts";
import { sha256Base64url } from "./encoding.ts";
import { issueTokens } from "./issue.ts";
import { redeemRefreshToken } from "./refresh.ts";
import { catchAad, json } from "./respond.ts";
import { parseScopes } from "./scopes.ts";
import { tenantOf } from "./tenant.ts";
import type { EmulatorApp } from "./types.ts";

/** The device code grant type URN. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/**
 * Handles `POST /{tenant}/oauth2/v2.0/token`.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns A token response or Entra's JSON error.
 * @example
 * ```ts
 * import { handleToken } from "./token.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleToken(core, ctx);
 * ```
 */
export function handleToken(core: EmulatorCore, ctx: RequestContext): Promise<Response> {
  return catchAad(ctx, async () => {
    if (ctx.method !== "POST") {
      throw new AadError("invalid_request", 900561, "The endpoint only accepts POST requests.");
    }
    const tenant = tenantOf(core, ctx);
    const grantType = requireParam(ctx, "grant_type");
    const app = authenticateClient(core, ctx, tenant.segment);
    switch (grantType) {
      case "authorization_code":
        return json(ctx, await redeemCode(core, ctx, app));
      case "refresh_token":
        return json(ctx, await redeemRefreshToken(core, ctx, app));
      case DEVICE_CODE_GRANT:
        return json(ctx, await redeemDeviceCode(core, ctx, app));
      case "password":
        return json(ctx, await redeemPassword(core, ctx, app));
      default:
        throw new AadError(
          "unsupported_grant_type",
          70003,
          `The app requested an unsupported grant type '${grantType}'.`,
        );
    }
  });
}

async function redeemCode(core: EmulatorCore, ctx: RequestContext, app: EmulatorApp) {
  const code = requireParam(ctx, "code");
  const record = core.store.codes.get(code);
  if (!record || record.cloud !== ctx.cloud.preferredNetwork) {
    throw new AadError(
      "invalid_grant",
      9002313,
      "Invalid request. Request is malformed or invalid.",
    );
  }
  if (record.redeemed) {
    throw new AadError(
      "invalid_grant",
      54005,
      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    );
  }
  if (ctx.now > record.expiresAt) {
    throw new AadError(
      "invalid_grant",
      70008,
      "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    );
  }
  if (record.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
    throw new AadError(
      "invalid_grant",
      70002,
      "The authorization code was issued to a different client.",
    );
  }
  const redirectUri = requireParam(ctx, "redirect_uri");
  if (redirectUri !== record.redirectUri) {
    throw new AadError(
      "invalid_grant",
      500112,
      `The reply address '${redirectUri}' does not match the reply address '${record.redirectUri}' provided when requesting Authorization code.`,
    );
  }
  if (record.codeChallenge !== undefined) {
    const verifier = requireParam(ctx, "code_verifier");
    if ((await sha256Base64url(verifier)) !== record.codeChallenge) {
      throw new AadError(
        "invalid_grant",
        501481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
      );
    }
  }
  record.redeemed = true;
  const user = findUser(core, record.oid);
  if (!user) throw new AadError("invalid_grant", 50034, "The user account does not exist.");
  const scope = ctx.form["scope"] || record.scope;
  const grant = parseScopes(scope, ctx.cloud);
  const offline = `${scope} ${record.scope}`.split(/\s+/).includes("offline_access");
  return await issueTokens(core, ctx, {
    app,
    user,
    grant,
    authTime: record.authTime,
    nonce: record.nonce,
    claims: ctx.form["claims"] || record.claims,
    refreshToken: offline,
  });
}

async function redeemPassword(core: EmulatorCore, ctx: RequestContext, app: EmulatorApp) {
  const username = requireParam(ctx, "username");
  const password = requireParam(ctx, "password");
  const grant = parseScopes(ctx.form["scope"], ctx.cloud);
  const user = findUser(core, username);
  const tenant = tenantOf(core, ctx);
  if (
    !user || user.password === undefined || user.password !== password
    || !userAllowedIn(tenant, user)
  ) {
    throw new AadError(
      "invalid_grant",
      50126,
      "Error validating credentials due to invalid username or password.",
    );
  }
  if (app.requireConsent && !core.store.hasConsent(user.oid, app.clientId)) {
    throw new AadError(
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}'. Send an interactive authorization request for this user and resource.`,
      { suberror: "consent_required" },
    );
  }
  return await issueTokens(core, ctx, {
    app,
    user,
    grant,
    authTime: Math.floor(ctx.now / 1000),
    claims: ctx.form["claims"],
    refreshToken: grant.oidc.includes("offline_access"),
  });
}
