/**
 * Builds token responses: RS256 access and ID tokens with Entra's claims, a new refresh
 * token, `client_info` and `foci`.
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import type { EmulatorCore } from "./core.ts";
import { base64url, randomToken, sha256Base64url } from "./encoding.ts";
import { signJwt } from "./jwt.ts";
import type { ScopeGrant } from "./scopes.ts";
import type { EmulatorApp, EmulatorUser } from "./types.ts";

/** A successful token response as Entra sends it. */
export interface TokenResponseBody {
  token_type: "Bearer";
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  refresh_in?: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info?: string;
  foci?: string;
}

/** What a grant decided to issue. */
export interface Issuance {
  app: EmulatorApp;
  user: EmulatorUser;
  grant: ScopeGrant;
  /** Epoch seconds of the user's authentication. */
  authTime: number;
  nonce?: string;
  /** The `claims` request (JSON), if any. */
  claims?: string;
  /** Issue a refresh token (the `offline_access` scope, or always for refresh grants). */
  refreshToken: boolean;
}

/**
 * `client_info` for a user: base64url of `{"uid","utid"}`.
 *
 * @param user The user.
 * @returns The encoded client info.
 * @example
 * ```ts
 * import { clientInfo } from "./issue.ts";
 * console.log(clientInfo({ oid: "u", tid: "t", username: "a", name: "A" }));
 * ```
 */
export function clientInfo(user: EmulatorUser): string {
  return base64url(JSON.stringify({ uid: user.oid, utid: user.tid }));
}

/** Pairwise subject: stable per user and audience, as Entra's `sub`. */
async function pairwiseSub(oid: string, audience: string): Promise<string> {
  return (await sha256Base64url(`${oid}|${audience.toLowerCase()}`)).slice(0, 43);
}

/** Claims of the access token requested through the `claims` parameter (`xms_cc`, `acrs`). */
function requestedAccessClaims(claims: string | undefined): Record<string, unknown> {
  if (!claims) return {};
  try {
    const parsed = JSON.parse(claims) as { access_token?: Record<string, { values?: unknown; }>; };
    const out: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(parsed.access_token ?? {})) {
      if ((name === "xms_cc" || name === "acrs") && Array.isArray(spec?.values)) {
        out[name] = spec.values;
      }
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * Issues the tokens of a successful grant and records the new refresh token.
 *
 * @param core The emulator.
 * @param ctx The token request.
 * @param issuance What to issue.
 * @returns The token response body.
 * @example
 * ```ts
 * import { issueTokens } from "./issue.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const issuance: import("./issue.ts").Issuance;
 * const body = await issueTokens(core, ctx, issuance);
 * ```
 */
export async function issueTokens(
  core: EmulatorCore,
  ctx: RequestContext,
  issuance: Issuance,
): Promise<TokenResponseBody> {
  const { app, user, grant } = issuance;
  const { lifetimes } = core.config;
  const key = await core.signingKey();
  const iat = Math.floor(ctx.now / 1000);
  const iss = `${ctx.issuerBase}/${user.tid}/v2.0`;
  const access = await signJwt(key, {
    aud: grant.audience,
    iss,
    iat,
    nbf: iat,
    exp: iat + lifetimes.accessToken,
    azp: app.clientId,
    azpacr: app.isPublicClient === false ? "1" : "0",
    name: user.name,
    oid: user.oid,
    preferred_username: user.username,
    scp: grant.scp,
    sub: await pairwiseSub(user.oid, grant.audience),
    tid: user.tid,
    uti: randomToken(16),
    ver: "2.0",
    ...requestedAccessClaims(issuance.claims),
  });
  const body: TokenResponseBody = {
    token_type: "Bearer",
    scope: grant.responseScope,
    expires_in: lifetimes.accessToken,
    ext_expires_in: lifetimes.extendedAccessToken,
    access_token: access,
  };
  if (lifetimes.refreshIn > 0) body.refresh_in = lifetimes.refreshIn;
  if (issuance.refreshToken) {
    const token = `1.A${randomToken(48)}`;
    core.store.refreshTokens.set(token, {
      clientId: app.clientId,
      familyId: app.familyId,
      oid: user.oid,
      authTime: issuance.authTime,
      cloud: ctx.cloud.preferredNetwork,
      issuedAt: ctx.now,
      expiresAt: ctx.now + lifetimes.refreshToken * 1000,
      revoked: false,
    });
    body.refresh_token = token;
  }
  if (grant.oidc.includes("openid")) {
    const idClaims: Record<string, unknown> = {
      aud: app.clientId,
      iss,
      iat,
      nbf: iat,
      exp: iat + lifetimes.idToken,
      auth_time: issuance.authTime,
      name: user.name,
      oid: user.oid,
      preferred_username: user.username,
      sub: await pairwiseSub(user.oid, app.clientId),
      tid: user.tid,
      uti: randomToken(16),
      ver: "2.0",
    };
    if (issuance.nonce !== undefined) idClaims.nonce = issuance.nonce;
    body.id_token = await signJwt(key, idClaims);
  }
  if (ctx.form["client_info"] === "1" || ctx.query["client_info"] === "1") {
    body.client_info = clientInfo(user);
  }
  if (app.familyId !== undefined) body.foci = app.familyId;
  return body;
}
