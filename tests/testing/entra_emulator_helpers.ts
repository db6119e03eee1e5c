/**
 * Helpers for the emulator tests: a configured emulator, PKCE, form posts, JWT checks.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createEntraEmulator,
  type EntraEmulator,
  type EntraEmulatorOptions,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../../src/testing/entra_emulator/mod.ts";

/** The second tenant. */
export const FABRIKAM_TID = "22222222-0000-4000-8000-0000000f0b0b";
/** A second FOCI family app. */
export const FAMILY_APP = "22222222-0000-4000-8000-00000000a002";
/** An app outside the family. */
export const LONE_APP = "33333333-0000-4000-8000-00000000a003";
/** A confidential client. */
export const WEB_APP = "44444444-0000-4000-8000-00000000a004";
/** An app whose users must consent. */
export const CONSENT_APP = "55555555-0000-4000-8000-00000000a005";
/** Alice's oid. */
export const ALICE_OID = "00000000-0000-4000-8000-0000000a11ce";
/** Loopback redirect URI (any port matches). */
export const REDIRECT = "http://localhost:53100/callback";

/**
 * An emulator with two tenants, three users and five apps.
 *
 * @param extra Options to override.
 * @returns The emulator.
 * @example
 * ```ts
 * const emulator = makeEmulator({ revokeRedeemedRefreshTokens: true });
 * ```
 */
export function makeEmulator(extra: EntraEmulatorOptions = {}): EntraEmulator {
  return createEntraEmulator({
    tenants: [
      { id: TEST_TENANT_ID, domains: ["contoso.onmicrosoft.com"] },
      { id: FABRIKAM_TID, domains: ["fabrikam.onmicrosoft.com"] },
    ],
    users: [
      {
        oid: ALICE_OID,
        tid: TEST_TENANT_ID,
        username: "alice@contoso.onmicrosoft.com",
        name: "Alice",
        password: "pw-alice",
      },
      {
        oid: "00000000-0000-4000-8000-000000000b0b",
        tid: FABRIKAM_TID,
        username: "bob@fabrikam.onmicrosoft.com",
        name: "Bob",
      },
    ],
    apps: [
      {
        clientId: TEST_CLIENT_ID,
        name: "Family One",
        redirectUris: ["http://localhost/callback", "https://app.example/cb"],
        familyId: "1",
      },
      { clientId: FAMILY_APP, redirectUris: ["http://localhost/callback"], familyId: "1" },
      { clientId: LONE_APP, redirectUris: ["http://localhost/callback"] },
      {
        clientId: WEB_APP,
        redirectUris: ["https://web.example/cb"],
        isPublicClient: false,
        clientSecret: "s3cret",
      },
      { clientId: CONSENT_APP, redirectUris: ["http://localhost/callback"], requireConsent: true },
    ],
    ...extra,
  });
}

/**
 * A PKCE verifier and its S256 challenge.
 *
 * @returns `{ verifier, challenge }`.
 * @example
 * ```ts
 * const { verifier, challenge } = await pkce();
 * ```
 */
export async function pkce(): Promise<{ verifier: string; challenge: string; }> {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: b64url(new Uint8Array(digest)) };
}

/**
 * Base64url without padding.
 *
 * @param bytes Bytes.
 * @returns Text.
 * @example
 * ```ts
 * b64url(new Uint8Array([1]));
 * ```
 */
export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes a base64url JSON value.
 *
 * @param text Base64url text.
 * @returns The parsed JSON.
 * @example
 * ```ts
 * decodeJson("e30");
 * ```
 */
export function decodeJson(text: string): Record<string, unknown> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/**
 * Verifies an RS256 JWT against a JWKS with crypto.subtle and returns its claims.
 *
 * @param jwt The token.
 * @param jwks The key set.
 * @returns The payload.
 * @example
 * ```ts
 * const claims = await verifyJwt(token, await (await fetch(jwksUri)).json());
 * ```
 */
export async function verifyJwt(
  jwt: string,
  jwks: { keys: JsonWebKey[]; },
): Promise<Record<string, unknown>> {
  const [h, p, s] = jwt.split(".");
  const header = decodeJson(h);
  assert.equal(header.alg, "RS256");
  const jwk = jwks.keys.find((k) => (k as { kid?: string; }).kid === header.kid);
  assert.ok(jwk, `no JWK with kid ${String(header.kid)}`);
  const { kty, n, e } = jwk;
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty, n, e },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const sig = Uint8Array.from(
    atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );
  const ok = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    key,
    sig,
    new TextEncoder().encode(`${h}.${p}`),
  );
  assert.equal(ok, true, "JWT signature does not verify");
  return decodeJson(p);
}

/**
 * POSTs a form.
 *
 * @param fetcher The fetch to use.
 * @param url Target.
 * @param params Form fields.
 * @param headers Extra headers.
 * @returns The response.
 * @example
 * ```ts
 * await postForm(emulator.fetch, url, { grant_type: "refresh_token" });
 * ```
 */
export function postForm(
  fetcher: (input: string, init?: RequestInit) => Promise<Response>,
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetcher(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params).toString(),
    redirect: "manual",
  });
}

/**
 * Builds an authorize URL.
 *
 * @param authority Authority URL (`…/{tenant}`).
 * @param params Query parameters.
 * @returns The URL.
 * @example
 * ```ts
 * authorizeUrl("http://127.0.0.1:1/common", { client_id: "x" });
 * ```
 */
export function authorizeUrl(authority: string, params: Record<string, string>): string {
  return `${authority}/oauth2/v2.0/authorize?${new URLSearchParams(params)}`;
}

/**
 * Runs authorize with auto-login (login_hint) and returns the code and redirect parameters.
 *
 * @param emulator The emulator.
 * @param authority Authority URL.
 * @param extra Extra/overriding parameters.
 * @returns The redirect's query, the verifier and the response.
 * @example
 * ```ts
 * const { params, verifier } = await authorizeCode(emulator, authority);
 * ```
 */
export async function authorizeCode(
  emulator: EntraEmulator,
  authority: string,
  extra: Record<string, string> = {},
): Promise<{ params: URLSearchParams; verifier: string; res: Response; }> {
  const { verifier, challenge } = await pkce();
  const res = await emulator.fetch(
    authorizeUrl(authority, {
      client_id: TEST_CLIENT_ID,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid profile offline_access User.Read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "st-1",
      nonce: "n-1",
      login_hint: "alice@contoso.onmicrosoft.com",
      client_info: "1",
      ...extra,
    }),
  );
  const location = res.headers.get("location") ?? "http://invalid/";
  return { params: new URL(location).searchParams, verifier, res };
}
