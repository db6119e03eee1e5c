/**
 * The ID token's `exp` and `iat` are checked with 300 s of clock skew (as MSAL does), and the
 * `iss` of an authorization response (RFC 9207) is required and compared where the
 * authority's metadata advertises `authorization_response_iss_parameter_supported`.
 */

import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { clearAuthorityCache } from "../../src/network/authority_metadata.ts";
import { processRedirect } from "../../src/network/authorize.ts";
import { acquireByAuthCode } from "../../src/network/client.ts";
import { processTokenResponse } from "../../src/network/token_endpoint.ts";
import { base64urlEncode } from "../../src/network/validate.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
} from "../support/network_emulator.ts";

beforeEach(() => clearAuthorityCache());

const enc = (o: unknown) => base64urlEncode(new TextEncoder().encode(JSON.stringify(o)));
const jwt = (claims: Record<string, unknown>) => `${enc({ alg: "none" })}.${enc(claims)}.`;
const NOW = 1_800_000_000;

function idToken(claims: Record<string, unknown>) {
  return processTokenResponse({
    status: 200,
    headers: new Headers(),
    correlationId: "c",
    body: {
      token_type: "Bearer",
      access_token: "a",
      id_token: jwt({ aud: "app", sub: "s", ...claims }),
    },
  }, { clientId: "app", scopes: ["openid"], now: NOW });
}

function invalid(f: () => unknown, pattern: RegExp) {
  assert.throws(f, (err) => {
    assert.ok(err instanceof EntraAuthError);
    assert.equal(err.code, "invalid_response");
    assert.match(err.message, pattern);
    return true;
  });
}

describe("ID token exp and iat", () => {
  it("accepts a fresh token and one within the clock skew", () => {
    idToken({ exp: NOW + 3600, iat: NOW });
    idToken({ exp: NOW - 200, iat: NOW + 200 });
    idToken({}); // absent claims are tolerated
  });
  it("refuses an expired token, one issued in the future, and non-numbers", () => {
    invalid(() => idToken({ exp: NOW - 301, iat: NOW - 4000 }), /expired .*clock/);
    invalid(() => idToken({ exp: NOW + 7200, iat: NOW + 301 }), /future.*clock/);
    invalid(() => idToken({ exp: "soon" }), /exp is not a number/);
    invalid(() => idToken({ iat: null }), /iat is not a number/);
  });
});

describe("RFC 9207 iss in the authorization response", () => {
  const ISSUER = "https://id.example";
  it("is required and compared when the issuer is given", () => {
    const q = (s: string) => new URLSearchParams(s);
    assert.equal(processRedirect(q(`code=c&state=s&iss=${ISSUER}`), "s", ISSUER).code, "c");
    invalid(() => processRedirect(q("code=c&state=s"), "s", ISSUER), /iss is missing/);
    invalid(() => processRedirect(q("code=c&state=s&iss=https://evil"), "s", ISSUER), /mix-up/);
    invalid(() => processRedirect(q("error=access_denied&state=s"), "s", ISSUER), /iss/);
    assert.equal(processRedirect(q("code=c&state=s&iss=x"), "s").code, "c");
  });

  it("is enforced end to end when the metadata advertises it", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const authority = "https://login.microsoftonline.com/contoso.onmicrosoft.com";
    const meta = await (await emulator.fetch(
      `${authority}/v2.0/.well-known/openid-configuration`,
    )).json();
    const run = (iss: string | undefined, advertised = true) =>
      acquireByAuthCode({
        clientId: TEST_CLIENT_ID,
        authority,
        authorityMetadata: { ...meta, authorization_response_iss_parameter_supported: advertised },
        scopes: ["User.Read"],
        loginHint: ALICE,
        fetch: emulator.fetch,
        timeoutMs: 10_000,
        openBrowser: fetchBrowser(emulator, (url) => {
          if (iss !== undefined) url.searchParams.set("iss", iss);
          return url;
        }),
      });
    const ok = await run(meta.issuer);
    assert.equal(typeof ok.response.access_token, "string");
    await assert.rejects(
      run(undefined),
      (e) => e instanceof EntraAuthError && /iss/.test(e.message),
    );
    await assert.rejects(run("https://evil.example"), (e) => e instanceof EntraAuthError);
    const notAdvertised = await run(undefined, false);
    assert.equal(typeof notAdvertised.response.access_token, "string");
  });
});

describe("the ID token's issuer for a generic OpenID Connect provider", () => {
  it("must be the metadata's issuer", { timeout: 30_000 }, async () => {
    const emulator = makeNetworkEmulator();
    const authority = "https://login.microsoftonline.com/contoso.onmicrosoft.com";
    const meta = await (await emulator.fetch(
      `${authority}/v2.0/.well-known/openid-configuration`,
    )).json();
    const run = (issuer: string) =>
      acquireByAuthCode({
        clientId: TEST_CLIENT_ID,
        authority,
        authorityType: "oidc",
        authorityMetadata: { ...meta, issuer },
        scopes: ["User.Read"],
        loginHint: ALICE,
        fetch: emulator.fetch,
        timeoutMs: 10_000,
        openBrowser: fetchBrowser(emulator, (url) => url),
      });
    // The issuer the provider writes into its ID tokens, as an Entra sign-in shows it.
    const entra = await acquireByAuthCode({
      clientId: TEST_CLIENT_ID,
      authority,
      scopes: ["User.Read"],
      loginHint: ALICE,
      fetch: emulator.fetch,
      timeoutMs: 10_000,
      openBrowser: fetchBrowser(emulator, (url) => url),
    });
    const claims = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(
          atob(entra.response.id_token!.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
          (c) => c.charCodeAt(0),
        ),
      ),
    );
    const ok = await run(claims.iss);
    assert.equal(typeof ok.response.access_token, "string");
    await assert.rejects(run("https://other-issuer.example/v2.0"), (e) => {
      assert.ok(e instanceof EntraAuthError, String(e));
      assert.equal(e.code, "invalid_response");
      assert.match(e.message, /iss/);
      return true;
    });
  });
});
