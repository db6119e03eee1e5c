/** Builders for the cache tests: unsigned JWTs, client_info, token responses, a clock. */

import type { TokenRequestContext, TokenResponse } from "../../src/token_response.ts";

/** base64url of a UTF-8 string. */
export function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An unsigned JWT with the given claims (the cache never verifies id tokens). */
export function jwt(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
    b64url(JSON.stringify(claims))
  }.sig`;
}

/** The `client_info` for a user. */
export function clientInfo(uid: string, utid: string): string {
  return b64url(JSON.stringify({ uid, utid }));
}

/** A fixed clock (epoch seconds) the tests move by hand. */
export const clock = { now: 1_800_000_000 };
export const now = (): number => clock.now;

export const CLIENT = "11111111-1111-1111-1111-111111111111";
export const OTHER_CLIENT = "22222222-2222-2222-2222-222222222222";
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const GUEST_TENANT = "33333333-3333-3333-3333-333333333333";

/** A user of the tests. */
export interface TestUser {
  uid: string;
  utid: string;
  username: string;
  name: string;
}

export function user(n: number, utid = TENANT): TestUser {
  return {
    uid: `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`,
    utid,
    username: `user${n}@contoso.com`,
    name: `User ${n}`,
  };
}

/** Options of {@link tokenResponse}. */
export interface ResponseOptions {
  scope?: string;
  expiresIn?: number;
  tid?: string;
  oid?: string;
  foci?: string;
  refreshIn?: number;
  accessToken?: string;
  refreshToken?: string | null;
  idToken?: boolean;
  clientInfo?: boolean;
  tokenType?: string;
  extra?: Record<string, unknown>;
}

/** A token response as the network flows hand it to the cache. */
export function tokenResponse(u: TestUser, options: ResponseOptions = {}): TokenResponse {
  const tid = options.tid ?? u.utid;
  const response: TokenResponse = {
    token_type: options.tokenType ?? "Bearer",
    scope: options.scope ?? "User.Read profile openid email",
    expires_in: options.expiresIn ?? 3600,
    ext_expires_in: (options.expiresIn ?? 3600) + 3600,
    access_token: options.accessToken ?? `at-${u.uid}-${options.scope ?? "User.Read"}-${tid}`,
    ...options.extra,
  };
  if (options.refreshToken !== null) response.refresh_token = options.refreshToken ?? `rt-${u.uid}`;
  if (options.idToken !== false) {
    response.id_token = jwt({
      aud: CLIENT,
      iss: `https://login.microsoftonline.com/${tid}/v2.0`,
      oid: options.oid ?? u.uid,
      sub: `sub-${u.uid}`,
      tid,
      preferred_username: u.username,
      name: u.name,
      ver: "2.0",
    });
  }
  if (options.clientInfo !== false) response.client_info = clientInfo(u.uid, u.utid);
  if (options.refreshIn !== undefined) response.refresh_in = options.refreshIn;
  if (options.foci) response.foci = options.foci;
  return response;
}

/** The request context of a response. */
export function requestContext(overrides: Partial<TokenRequestContext> = {}): TokenRequestContext {
  return {
    clientId: CLIENT,
    authority: "https://login.microsoftonline.com/organizations",
    environment: "login.microsoftonline.com",
    tenant: "organizations",
    authorityType: "MSSTS",
    scopes: ["User.Read", "openid", "profile", "offline_access"],
    requestedAt: clock.now,
    ...overrides,
  };
}
