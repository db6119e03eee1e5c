/**
 * The device authorization grant: `POST /devicecode` and polling with the device code grant.
 * (The page where the user enters the code is in `device_page.ts`.)
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { authenticateClient, requireParam } from "./client_auth.ts";
import type { RequestContext } from "./context.ts";
import { type EmulatorCore, findUser } from "./core.ts";
import { randomToken } from "./encoding.ts";
import { issueTokens, type TokenResponseBody } from "./issue.ts";
import { catchAad, json } from "./respond.ts";
import { parseScopes } from "./scopes.ts";
import { tenantOf } from "./tenant.ts";
import type { EmulatorApp } from "./types.ts";

const USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function newUserCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join("");
}

/**
 * Handles `POST /{tenant}/oauth2/v2.0/devicecode`.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns `{user_code, device_code, verification_uri, expires_in, interval, message}` or an error.
 * @example
 * ```ts
 * import { handleDeviceCode } from "./device_code.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleDeviceCode(core, ctx);
 * ```
 */
export function handleDeviceCode(core: EmulatorCore, ctx: RequestContext): Promise<Response> {
  return catchAad(ctx, () => {
    if (ctx.method !== "POST") {
      throw new AadError("invalid_request", 900561, "The endpoint only accepts POST requests.");
    }
    const tenant = tenantOf(core, ctx);
    const app = authenticateClient(core, ctx, tenant.segment);
    const scope = requireParam(ctx, "scope");
    parseScopes(scope, ctx.cloud);
    const { lifetimes } = core.config;
    const userCode = newUserCode();
    const deviceCode = `DAQABAAEAAA${randomToken(64)}`;
    core.store.deviceCodes.set(deviceCode, {
      deviceCode,
      userCode,
      clientId: app.clientId,
      scope,
      tenant,
      cloud: ctx.cloud.preferredNetwork,
      expiresAt: ctx.now + lifetimes.deviceCode * 1000,
      interval: lifetimes.deviceCodeInterval,
      status: "pending",
    });
    const verificationUri = `${ctx.base}/common/oauth2/deviceauth`;
    return json(ctx, {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: verificationUri,
      expires_in: lifetimes.deviceCode,
      interval: lifetimes.deviceCodeInterval,
      message:
        `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    });
  });
}

/**
 * Polls with `grant_type=urn:ietf:params:oauth:grant-type:device_code`.
 *
 * @param core The emulator.
 * @param ctx The token request.
 * @param app The authenticated client.
 * @returns Tokens once the user approved.
 * @throws {AadError} `authorization_pending`, `slow_down` (when enabled; adds 5 s to the
 *   interval), `authorization_declined`, `expired_token`, `bad_verification_code`.
 * @example
 * ```ts
 * import { redeemDeviceCode } from "./device_code.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const app: import("./types.ts").EmulatorApp;
 * const body = await redeemDeviceCode(core, ctx, app);
 * ```
 */
export async function redeemDeviceCode(
  core: EmulatorCore,
  ctx: RequestContext,
  app: EmulatorApp,
): Promise<TokenResponseBody> {
  const deviceCode = ctx.form["device_code"] || requireParam(ctx, "code");
  const record = core.store.deviceCodes.get(deviceCode);
  if (
    !record || record.clientId.toLowerCase() !== app.clientId.toLowerCase()
    || record.cloud !== ctx.cloud.preferredNetwork
  ) {
    throw new AadError(
      "bad_verification_code",
      70019,
      "The provided value for the input parameter 'device_code' is not valid.",
    );
  }
  if (ctx.now > record.expiresAt) {
    throw new AadError(
      "expired_token",
      70020,
      "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    );
  }
  const last = record.lastPollAt;
  record.lastPollAt = ctx.now;
  if (record.status === "declined") {
    throw new AadError(
      "authorization_declined",
      70000,
      "The user has declined to authorize the device.",
    );
  }
  if (
    core.config.deviceCodeSlowDown && last !== undefined
    && ctx.now - last < record.interval * 1000
  ) {
    record.interval += 5;
    throw new AadError(
      "slow_down",
      70016,
      `OAuth 2.0 device flow error. Polling too frequently: poll no more than every ${record.interval} seconds.`,
    );
  }
  if (record.status === "pending") {
    throw new AadError(
      "authorization_pending",
      70016,
      "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    );
  }
  const user = record.oid !== undefined ? findUser(core, record.oid) : undefined;
  if (!user) throw new AadError("invalid_grant", 50034, "The user account does not exist.");
  core.store.deviceCodes.delete(deviceCode);
  const grant = parseScopes(record.scope, ctx.cloud);
  return await issueTokens(core, ctx, {
    app,
    user,
    grant,
    authTime: record.authTime ?? Math.floor(ctx.now / 1000),
    claims: ctx.form["claims"],
    refreshToken: grant.oidc.includes("offline_access"),
  });
}
