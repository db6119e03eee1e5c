/**
 * The token endpoint: the form of each grant (authorization code, refresh token, device
 * code) and the processing of its reply, field by field, into a {@link TokenResponse},
 * including the ID token checks (`aud`, `nonce`, `exp` and `iat` with clock skew, `auth_time`
 * against `max_age`, and `iss` for generic OpenID providers).
 *
 * @module
 */

import { EntraAuthError, type ErrorCode } from "../errors.ts";
import { clampLifetime, type TokenResponse } from "../token_response.ts";
import type { HttpReply } from "./http.ts";
import { errorFromServer, parseErrorBody } from "./server_error.ts";
import {
  decodeBase64urlJson,
  decodeJwtPayload,
  invalidResponse,
  type JsonObject,
  optionalSeconds,
  optionalString,
  requireString,
} from "./validate.ts";

/** The device code grant type. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Fields every grant shares. */
export interface GrantCommon {
  clientId: string;
  /** The scopes to send (already with the default OpenID scopes). */
  scopes: readonly string[];
  /** JSON text of the `claims` parameter. */
  claims?: string;
  /** Send `client_info=1` (Entra ID); off for generic OpenID providers. Default true. */
  clientInfo?: boolean;
}

function common(grant: GrantCommon, grantType: string): Record<string, string> {
  const form: Record<string, string> = {
    grant_type: grantType,
    client_id: grant.clientId,
    scope: grant.scopes.join(" "),
  };
  if (grant.clientInfo !== false) form.client_info = "1";
  if (grant.claims !== undefined) form.claims = grant.claims;
  return form;
}

/**
 * The authorization code grant's form (with the PKCE verifier).
 *
 * @param grant client, scopes, claims, the code, its redirect URI and the verifier
 * @returns form fields
 * @example
 * ```ts
 * import { authorizationCodeForm } from "./token_endpoint.ts";
 * authorizationCodeForm({
 *   clientId: "c", scopes: ["openid"], code: "x", redirectUri: "http://localhost:1234", codeVerifier: "v",
 * }).grant_type; // "authorization_code"
 * ```
 */
export function authorizationCodeForm(
  grant: GrantCommon & { code: string; redirectUri: string; codeVerifier: string; },
): Record<string, string> {
  return {
    ...common(grant, "authorization_code"),
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.codeVerifier,
  };
}

/**
 * The refresh token grant's form.
 *
 * @param grant client, scopes, claims and the refresh token
 * @returns form fields
 * @example
 * ```ts
 * import { refreshTokenForm } from "./token_endpoint.ts";
 * refreshTokenForm({ clientId: "c", scopes: ["openid"], refreshToken: "rt" }).grant_type; // "refresh_token"
 * ```
 */
export function refreshTokenForm(
  grant: GrantCommon & { refreshToken: string; },
): Record<string, string> {
  return { ...common(grant, "refresh_token"), refresh_token: grant.refreshToken };
}

/**
 * The device code grant's polling form.
 *
 * @param grant client, scopes, claims and the device code
 * @returns form fields
 * @example
 * ```ts
 * import { deviceCodeForm } from "./token_endpoint.ts";
 * deviceCodeForm({ clientId: "c", scopes: ["openid"], deviceCode: "dc" }).device_code; // "dc"
 * ```
 */
export function deviceCodeForm(
  grant: GrantCommon & { deviceCode: string; },
): Record<string, string> {
  return { ...common(grant, DEVICE_CODE_GRANT), device_code: grant.deviceCode };
}

/** What the reply must match. */
export interface TokenExpectations {
  clientId: string;
  /** The scopes requested (the reply's `scope` when the server omits it). */
  scopes: readonly string[];
  /** The `nonce` sent at authorize: the ID token is then required and must carry it. */
  nonce?: string;
  /** `max_age` sent at authorize, seconds: `auth_time` must be within it. */
  maxAge?: number;
  /** The expected `iss` of the ID token (generic OpenID providers). */
  issuer?: string;
  /** Allowed clock difference for `exp`, `iat` and `auth_time`, seconds. Default 300. */
  clockSkewSeconds?: number;
  /** Epoch seconds now (tests). */
  now?: number;
}

/** A processed token reply. */
export interface ProcessedTokens {
  response: TokenResponse;
  /** The ID token's claims, when there is one. */
  idTokenClaims?: JsonObject;
}

/**
 * `exp` and `iat` of an ID token, as MSAL checks them: expired more than the clock skew ago,
 * or issued more than the skew in the future, is refused (a replayed token, or a clock that
 * is wrong). Absent claims are tolerated (some ADFS and generic providers omit `iat`); a
 * present one must be a number.
 */
function checkIdTokenTimes(claims: JsonObject, expect: TokenExpectations): void {
  const now = expect.now ?? Date.now() / 1000;
  const skew = expect.clockSkewSeconds ?? 300;
  for (const name of ["exp", "iat"] as const) {
    const value = claims[name];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      throw invalidResponse(`id_token: ${name} is not a number`);
    }
  }
  const exp = claims["exp"] as number | undefined;
  const iat = claims["iat"] as number | undefined;
  if (exp !== undefined && exp + skew < now) {
    throw invalidResponse(
      `id_token: it expired ${Math.round(now - exp)} s ago (exp). If sign-ins keep failing `
        + "so, check this device's clock",
    );
  }
  if (iat !== undefined && iat - skew > now) {
    throw invalidResponse(
      `id_token: it was issued ${Math.round(iat - now)} s in the future (iat). Check this `
        + "device's clock",
    );
  }
}

function checkIdToken(idToken: string, expect: TokenExpectations): JsonObject {
  const claims = decodeJwtPayload(idToken, "id_token");
  const aud = claims["aud"];
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(expect.clientId)) {
    throw invalidResponse(`id_token: aud ${JSON.stringify(aud)} is not this app's client id`);
  }
  if (expect.issuer !== undefined && claims["iss"] !== expect.issuer) {
    throw invalidResponse(
      `id_token: iss ${JSON.stringify(claims["iss"])} is not the issuer ${expect.issuer}`,
    );
  }
  checkIdTokenTimes(claims, expect);
  if (expect.nonce !== undefined && claims["nonce"] !== expect.nonce) {
    throw new EntraAuthError(
      "nonce_mismatch",
      "The ID token's nonce does not match the one this sign-in sent: the reply may be replayed "
        + "or belong to another sign-in. Sign in again.",
    );
  }
  if (expect.maxAge !== undefined) {
    const authTime = claims["auth_time"];
    const now = expect.now ?? Date.now() / 1000;
    const skew = expect.clockSkewSeconds ?? 300;
    if (typeof authTime !== "number") {
      throw invalidResponse("id_token: auth_time is missing although max_age was requested");
    }
    if (authTime + expect.maxAge + skew < now) {
      throw invalidResponse(
        `id_token: the user authenticated ${Math.round(now - authTime)} s ago, more than `
          + `max_age ${expect.maxAge} s`,
      );
    }
  }
  return claims;
}

/**
 * Processes a token endpoint reply. A success is validated field by field (`access_token`
 * and `token_type` required; `expires_in` and friends numbers or numeric strings; a
 * `client_info` that decodes to `{uid, utid}`; the ID token's `aud`, `nonce`, `exp`/`iat`
 * (300 s of clock skew), `auth_time`, `iss`); unknown fields are kept. An error reply is thrown as a typed error.
 *
 * @param reply the HTTP reply
 * @param expect client id, scopes, nonce, max_age, issuer
 * @param errorCode code for error replies that do not require interaction (default `server_error`)
 * @returns the validated response and the ID token's claims
 * @throws InteractionRequiredError for `invalid_grant`, `interaction_required`, `consent_required`, `login_required`, `bad_token`
 * @throws ServerError for other error replies
 * @throws EntraAuthError `invalid_response` for a malformed success, `nonce_mismatch` for a foreign ID token
 * @example
 * ```ts
 * import { processTokenResponse } from "./token_endpoint.ts";
 * declare const reply: import("./http.ts").HttpReply;
 * const { response } = processTokenResponse(reply, { clientId: "c", scopes: ["openid"] });
 * ```
 */
export function processTokenResponse(
  reply: HttpReply,
  expect: TokenExpectations,
  errorCode?: ErrorCode,
): ProcessedTokens {
  if (reply.status !== 200) {
    const details = parseErrorBody(reply.status, reply.body);
    if (!details) throw invalidResponse(`token request: HTTP ${reply.status} without an error`);
    throw errorFromServer(details, { code: errorCode });
  }
  const body = reply.body;
  const where = "token response";
  const response: TokenResponse = {
    ...body,
    token_type: requireString(body, "token_type", where),
    scope: optionalString(body, "scope", where) ?? expect.scopes.join(" "),
    expires_in: clampLifetime(optionalSeconds(body, "expires_in", where) ?? 3599),
    access_token: requireString(body, "access_token", where),
  };
  for (const name of ["ext_expires_in", "refresh_in"] as const) {
    const value = optionalSeconds(body, name, where);
    if (value === undefined) delete response[name];
    else response[name] = clampLifetime(value);
  }
  for (const name of ["refresh_token", "id_token", "client_info", "foci"] as const) {
    const value = optionalString(body, name, where);
    if (value === undefined) delete response[name];
    else response[name] = value;
  }
  if (response.client_info !== undefined) {
    const info = decodeBase64urlJson(response.client_info, "client_info");
    requireString(info, "uid", "client_info");
    requireString(info, "utid", "client_info");
  }
  if (response.id_token === undefined) {
    if (expect.nonce !== undefined && expect.scopes.includes("openid")) {
      throw invalidResponse("token response: id_token is missing although openid was requested");
    }
    return { response };
  }
  return { response, idTokenClaims: checkIdToken(response.id_token, expect) };
}
