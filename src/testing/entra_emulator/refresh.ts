/**
 * The `refresh_token` grant: rotation (a new refresh token each time; the old one stays
 * valid unless `revokeRedeemedRefreshTokens`), FOCI family redemption, expiry and revocation.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { requireParam } from "./client_auth.ts";
import type { RequestContext } from "./context.ts";
import { type EmulatorCore, findUser } from "./core.ts";
import { issueTokens, type TokenResponseBody } from "./issue.ts";
import { parseScopes } from "./scopes.ts";
import type { EmulatorApp } from "./types.ts";

/**
 * Redeems a refresh token for a new access token, ID token and refresh token.
 *
 * @param core The emulator.
 * @param ctx The token request.
 * @param app The authenticated client.
 * @returns The token response body.
 * @throws {AadError} `invalid_grant`: AADSTS9002313 (unknown token), AADSTS700082 (expired),
 *   AADSTS50173 (revoked), AADSTS70000 (issued to another app outside its family),
 *   AADSTS65001 with suberror `consent_required`.
 * @example
 * ```ts
 * import { redeemRefreshToken } from "./refresh.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const app: import("./types.ts").EmulatorApp;
 * const body = await redeemRefreshToken(core, ctx, app);
 * ```
 */
export async function redeemRefreshToken(
  core: EmulatorCore,
  ctx: RequestContext,
  app: EmulatorApp,
): Promise<TokenResponseBody> {
  const token = requireParam(ctx, "refresh_token");
  const grant = parseScopes(requireParam(ctx, "scope"), ctx.cloud);
  const record = core.store.refreshTokens.get(token);
  if (!record || record.cloud !== ctx.cloud.preferredNetwork) {
    throw new AadError(
      "invalid_grant",
      9002313,
      "Invalid request. Request is malformed or invalid.",
    );
  }
  if (record.revoked) {
    throw new AadError(
      "invalid_grant",
      50173,
      "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
    );
  }
  if (ctx.now > record.expiresAt) {
    throw new AadError(
      "invalid_grant",
      700082,
      `The refresh token has expired due to inactivity. The token was issued on ${
        new Date(record.issuedAt).toISOString()
      } and was inactive for ${core.config.lifetimes.refreshToken} seconds.`,
    );
  }
  const sameApp = record.clientId.toLowerCase() === app.clientId.toLowerCase();
  const sameFamily = record.familyId !== undefined && record.familyId === app.familyId;
  if (!sameApp && !sameFamily) {
    throw new AadError(
      "invalid_grant",
      70000,
      "Provided grant is invalid or malformed. The refresh token was issued to a different client.",
    );
  }
  const user = findUser(core, record.oid);
  if (!user) throw new AadError("invalid_grant", 50034, "The user account does not exist.");
  if (app.requireConsent && !core.store.hasConsent(user.oid, app.clientId)) {
    throw new AadError(
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}'. Send an interactive authorization request for this user and resource.`,
      { suberror: "consent_required" },
    );
  }
  if (core.config.revokeRedeemedRefreshTokens) record.revoked = true;
  return await issueTokens(core, ctx, {
    app,
    user,
    grant,
    authTime: record.authTime,
    claims: ctx.form["claims"],
    refreshToken: true,
  });
}
