/**
 * The authorization request and its redirect, and the token request forms, field by field:
 * what goes to the authorization server (every protocol parameter, the options only when
 * set, nothing an app's extra parameters may replace) and what a redirect's error carries
 * (AADSTS codes, suberror, claims, correlation and trace ids). Also the ID token checks at
 * their boundaries (`aud` lists, `max_age` with clock skew).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { buildAuthorizeUrl, processRedirect } from "../../src/network/authorize.ts";
import {
  authorizationCodeForm,
  DEVICE_CODE_GRANT,
  deviceCodeForm,
  processTokenResponse,
  refreshTokenForm,
} from "../../src/network/token_endpoint.ts";
import { base64urlEncode } from "../../src/network/validate.ts";

const PARAMS = {
  clientId: "client-1",
  redirectUri: "http://localhost:1234",
  scopes: ["User.Read", "openid"],
  state: "the-state",
  nonce: "the-nonce",
  codeChallenge: "the-challenge",
};

function query(extra: Record<string, unknown> = {}): Record<string, string> {
  const url = new URL(
    buildAuthorizeUrl("https://id.example/authorize?p=flow", { ...PARAMS, ...extra }),
  );
  assert.equal(url.origin + url.pathname, "https://id.example/authorize");
  return Object.fromEntries(url.searchParams);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected an error");
}

describe("buildAuthorizeUrl", () => {
  it("sends every protocol parameter, and the options only when set", () => {
    assert.deepEqual(query(), {
      p: "flow",
      client_id: "client-1",
      response_type: "code",
      redirect_uri: "http://localhost:1234",
      scope: "User.Read openid",
      state: "the-state",
      nonce: "the-nonce",
      code_challenge: "the-challenge",
      code_challenge_method: "S256",
      response_mode: "query",
      client_info: "1",
    });
    const all = query({
      prompt: "login",
      loginHint: "a@b.example",
      domainHint: "b.example",
      claims: "{}",
      maxAge: 0,
      clientInfo: false,
      extraQueryParameters: { msafed: "0", Foo: "bar" },
    });
    assert.equal(all.client_info, undefined, "clientInfo: false sends none");
    assert.equal(all.prompt, "login");
    assert.equal(all.login_hint, "a@b.example");
    assert.equal(all.domain_hint, "b.example");
    assert.equal(all.claims, "{}");
    assert.equal(all.max_age, "0");
    assert.equal(all.msafed, "0");
    assert.equal(all.Foo, "bar");
  });

  it("refuses extra parameters that would replace a protocol one, in any case", () => {
    for (
      const name of [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
        "STATE",
        "Nonce",
      ]
    ) {
      const err = thrown(() => query({ extraQueryParameters: { [name]: "x" } }));
      assert.ok(err instanceof EntraAuthError, name);
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, new RegExp(`may not set ${name}: entra-auth sets it itself`));
    }
  });

  it("max_age: a non-negative integer", () => {
    assert.equal(query({ maxAge: 3600 }).max_age, "3600");
    for (const bad of [-1, 1.5, NaN, Infinity]) {
      const err = thrown(() => query({ maxAge: bad }));
      assert.ok(err instanceof EntraAuthError && err.code === "invalid_argument", String(bad));
      assert.match(err.message, /maxAge must be a non-negative integer/);
    }
  });
});

describe("processRedirect", () => {
  const q = (text: string) => new URLSearchParams(text);

  it("a forged or foreign state says so", () => {
    const err = thrown(() => processRedirect(q("code=c&state=other"), "s"));
    assert.ok(err instanceof EntraAuthError && err.code === "state_mismatch");
    assert.match(err.message, /state does not match this sign-in/);
    assert.match(err.message, /another sign-in\. Sign in again\./);
  });

  it("an error carries its description, AADSTS codes, suberror, claims and ids", () => {
    const correlation = "0a1b2c3d-0000-4000-8000-00000000abcd";
    const trace = "9f8e7d6c-0000-4000-8000-00000000dcba";
    const description = `AADSTS50076: MFA required. AADSTS50079: enroll. Trace ID: ${trace} `
      + `Correlation ID: ${correlation} Timestamp: 2026-01-01`;
    const params = new URLSearchParams({
      state: "s",
      error: "interaction_required",
      error_description: description,
      suberror: "basic_action",
      claims: "{\"access_token\":{}}",
    });
    const err = thrown(() => processRedirect(params, "s"));
    assert.ok(err instanceof InteractionRequiredError, String(err));
    assert.deepEqual(err.server, {
      httpStatus: 302,
      error: "interaction_required",
      errorDescription: description,
      errorCodes: [50076, 50079],
      subError: "basic_action",
      claims: "{\"access_token\":{}}",
      correlationId: correlation,
      traceId: trace,
    });
  });

  it("error_subcode stands in for suberror; a bare error has no extras", () => {
    const sub = thrown(() =>
      processRedirect(q("state=s&error=server_error&error_subcode=cancel"), "s")
    );
    assert.ok(sub instanceof ServerError);
    assert.equal(sub.subError, "cancel");
    assert.equal(sub.error, "server_error");
    const bare = thrown(() => processRedirect(q("state=s&error=temporarily_unavailable"), "s"));
    assert.ok(bare instanceof ServerError);
    assert.equal(bare.errorDescription, undefined);
    assert.equal(bare.errorCodes, undefined);
    assert.equal(bare.subError, undefined);
    assert.equal(bare.claims, undefined);
    assert.equal(bare.correlationId, undefined);
    assert.equal(bare.traceId, undefined);
    const shortIds = thrown(() =>
      processRedirect(
        q("state=s&error=server_error&error_description=Trace+ID%3A+abc+Correlation+ID%3A+def"),
        "s",
      )
    );
    assert.ok(shortIds instanceof ServerError);
    assert.equal(shortIds.correlationId, undefined, "only a 36-character id is one");
    assert.equal(shortIds.traceId, undefined);
    assert.equal(shortIds.errorCodes, undefined, "a description without AADSTS codes has none");
  });

  it("access_denied says the user declined; other errors do not", () => {
    const denied = thrown(() => processRedirect(q("state=s&error=access_denied"), "s"));
    assert.ok(denied instanceof ServerError);
    assert.match(denied.message, /The user declined the sign-in or the consent/);
    const other = thrown(() => processRedirect(q("state=s&error=server_error"), "s"));
    assert.ok(other instanceof ServerError);
    assert.doesNotMatch(other.message, /declined/);
  });

  it("an empty error is no error; no code is invalid_response", () => {
    assert.deepEqual(processRedirect(q("state=s&error=&code=c"), "s"), { code: "c" });
    for (const text of ["state=s", "state=s&code="]) {
      const err = thrown(() => processRedirect(q(text), "s"));
      assert.ok(err instanceof EntraAuthError && err.code === "invalid_response", text);
      assert.match(err.message, /neither a code nor an error/);
    }
    assert.deepEqual(processRedirect(q("state=s&code=c&client_info="), "s"), { code: "c" });
  });
});

describe("token request forms", () => {
  const grant = { clientId: "client-1", scopes: ["User.Read", "openid"] };

  it("authorization code, refresh token and device code, field by field", () => {
    assert.deepEqual(
      authorizationCodeForm({
        ...grant,
        code: "the-code",
        redirectUri: "http://localhost:1",
        codeVerifier: "v",
      }),
      {
        grant_type: "authorization_code",
        client_id: "client-1",
        scope: "User.Read openid",
        client_info: "1",
        code: "the-code",
        redirect_uri: "http://localhost:1",
        code_verifier: "v",
      },
    );
    assert.deepEqual(refreshTokenForm({ ...grant, refreshToken: "rt", claims: "{}" }), {
      grant_type: "refresh_token",
      client_id: "client-1",
      scope: "User.Read openid",
      client_info: "1",
      claims: "{}",
      refresh_token: "rt",
    });
    assert.deepEqual(deviceCodeForm({ ...grant, deviceCode: "dc", clientInfo: false }), {
      grant_type: DEVICE_CODE_GRANT,
      client_id: "client-1",
      scope: "User.Read openid",
      device_code: "dc",
    });
    assert.equal(DEVICE_CODE_GRANT, "urn:ietf:params:oauth:grant-type:device_code");
  });
});

describe("processTokenResponse at its boundaries", () => {
  const enc = (v: unknown) => base64urlEncode(new TextEncoder().encode(JSON.stringify(v)));
  const idToken = (claims: Record<string, unknown>) => `${enc({ alg: "none" })}.${enc(claims)}.`;
  const reply = (body: Record<string, unknown>, status = 200) => ({
    status,
    headers: new Headers(),
    body,
    correlationId: "c",
  });
  const NOW = 1_800_000_000;
  const expect = { clientId: "app", scopes: ["User.Read"], now: NOW };
  const base = { token_type: "Bearer", access_token: "at" };

  it("aud may be a list that includes the client; anything else is refused", () => {
    const ok = processTokenResponse(
      reply({ ...base, id_token: idToken({ aud: ["other", "app"] }) }),
      expect,
    );
    assert.deepEqual(ok.idTokenClaims?.aud, ["other", "app"]);
    for (const aud of ["other", ["other"], 42, undefined]) {
      const err = thrown(() =>
        processTokenResponse(reply({ ...base, id_token: idToken({ aud }) }), expect)
      );
      assert.ok(err instanceof EntraAuthError && err.code === "invalid_response", String(aud));
      assert.match(err.message, /id_token: aud .* is not this app's client id/);
    }
  });

  it("max_age: the authentication may be max_age + 5 min old, not a second more", () => {
    const at = (authTime: unknown) =>
      processTokenResponse(
        reply({ ...base, id_token: idToken({ aud: "app", auth_time: authTime }) }),
        {
          ...expect,
          maxAge: 600,
        },
      );
    assert.equal(at(NOW - 900).idTokenClaims?.auth_time, NOW - 900, "exactly at the limit");
    const late = thrown(() => at(NOW - 901));
    assert.ok(late instanceof EntraAuthError && late.code === "invalid_response");
    assert.match(late.message, /authenticated 901 s ago, more than max_age 600 s/);
    const missing = thrown(() => at(undefined));
    assert.ok(missing instanceof EntraAuthError);
    assert.match(missing.message, /auth_time is missing although max_age was requested/);
    const skewless = thrown(() =>
      processTokenResponse(
        reply({ ...base, id_token: idToken({ aud: "app", auth_time: NOW - 601 }) }),
        {
          ...expect,
          maxAge: 600,
          clockSkewSeconds: 0,
        },
      )
    );
    assert.ok(skewless instanceof EntraAuthError && skewless.code === "invalid_response");
  });

  it("without a clock given, max_age is checked against the real time", () => {
    const realNow = Math.floor(Date.now() / 1000);
    const check = (authTime: number) =>
      processTokenResponse(
        reply({ ...base, id_token: idToken({ aud: "app", auth_time: authTime }) }),
        {
          clientId: "app",
          scopes: ["User.Read"],
          maxAge: 60,
        },
      );
    assert.ok(check(realNow - 10).idTokenClaims);
    assert.ok(thrown(() => check(realNow - 3600)) instanceof EntraAuthError);
  });

  it("defaults: scope from the request, expires_in 3599; an error reply without error is invalid", () => {
    const { response } = processTokenResponse(reply(base), expect);
    assert.equal(response.scope, "User.Read");
    assert.equal(response.expires_in, 3599);
    assert.equal(
      processTokenResponse(reply({ ...base, expires_in: 0 }), expect).response.expires_in,
      0,
    );
    const noError = thrown(() => processTokenResponse(reply({}, 500), expect));
    assert.ok(noError instanceof EntraAuthError && noError.code === "invalid_response");
    assert.match(noError.message, /token request: HTTP 500 without an error/);
    const iss = thrown(() =>
      processTokenResponse(
        reply({ ...base, id_token: idToken({ aud: "app", iss: "https://x" }) }),
        {
          ...expect,
          issuer: "https://id.example",
        },
      )
    );
    assert.ok(iss instanceof EntraAuthError);
    assert.match(iss.message, /iss "https:\/\/x" is not the issuer https:\/\/id\.example/);
  });

  it("checks iss and nonce only when expected; passes matching ones", () => {
    const claims = { aud: "app", iss: "https://id.example", nonce: "n1" };
    const plain = processTokenResponse(reply({ ...base, id_token: idToken(claims) }), expect);
    assert.equal(plain.idTokenClaims?.nonce, "n1", "no nonce expected (a refresh): any passes");
    const both = processTokenResponse(reply({ ...base, id_token: idToken(claims) }), {
      ...expect,
      issuer: "https://id.example",
      nonce: "n1",
    });
    assert.equal(both.idTokenClaims?.iss, "https://id.example");
    const wrong = thrown(() =>
      processTokenResponse(reply({ ...base, id_token: idToken(claims) }), {
        ...expect,
        nonce: "n2",
      })
    );
    assert.ok(wrong instanceof EntraAuthError && wrong.code === "nonce_mismatch");
    assert.match(wrong.message, /another sign-in\. Sign in again\./);
    const notJwt = thrown(() =>
      processTokenResponse(reply({ ...base, id_token: "garbage" }), expect)
    );
    assert.ok(notJwt instanceof EntraAuthError);
    assert.match(notJwt.message, /id_token is not a JWT/);
  });

  it("keeps the server's scope; optional fields: typed, and absent when null", () => {
    const { response } = processTokenResponse(
      reply({ ...base, scope: "A B", ext_expires_in: null, refresh_token: null, foci: "1" }),
      expect,
    );
    assert.equal(response.scope, "A B");
    assert.equal("ext_expires_in" in response, false);
    assert.equal("refresh_token" in response, false);
    assert.equal(response.foci, "1");
    for (const field of ["refresh_token", "id_token", "client_info", "foci"]) {
      const err = thrown(() => processTokenResponse(reply({ ...base, [field]: 42 }), expect));
      assert.ok(err instanceof EntraAuthError && err.code === "invalid_response", field);
      assert.match(err.message, new RegExp(`token response: ${field} is not a string`));
    }
    const noAt = thrown(() => processTokenResponse(reply({ token_type: "Bearer" }), expect));
    assert.ok(noAt instanceof EntraAuthError);
    assert.match(noAt.message, /token response: access_token is missing/);
  });

  it("client_info must decode to uid and utid, and says which is missing", () => {
    const info = (v: unknown) => enc(v);
    const noUid = thrown(() =>
      processTokenResponse(reply({ ...base, client_info: info({ utid: "t" }) }), expect)
    );
    assert.ok(noUid instanceof EntraAuthError);
    assert.match(noUid.message, /client_info: uid is missing/);
    const noUtid = thrown(() =>
      processTokenResponse(reply({ ...base, client_info: info({ uid: "u" }) }), expect)
    );
    assert.ok(noUtid instanceof EntraAuthError);
    assert.match(noUtid.message, /client_info: utid is missing/);
    const bad = thrown(() => processTokenResponse(reply({ ...base, client_info: "%%" }), expect));
    assert.ok(bad instanceof EntraAuthError);
    assert.match(bad.message, /client_info is not base64url JSON/);
  });

  it("an error reply takes the code the caller names", () => {
    const err = thrown(() =>
      processTokenResponse(reply({ error: "temporarily_unavailable" }, 400), expect, "timeout")
    );
    assert.ok(err instanceof ServerError, String(err));
    assert.equal(err.code, "timeout");
  });
});
