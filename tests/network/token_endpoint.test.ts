import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { buildAuthorizeUrl, processRedirect } from "../../src/network/authorize.ts";
import { createPkce, s256Challenge } from "../../src/network/pkce.ts";
import { mergeClaims, requestScopes } from "../../src/network/scopes.ts";
import { processTokenResponse } from "../../src/network/token_endpoint.ts";
import { base64urlEncode } from "../../src/network/validate.ts";

const enc = (v: unknown) => base64urlEncode(new TextEncoder().encode(JSON.stringify(v)));
const jwt = (claims: Record<string, unknown>) => `${enc({ alg: "RS256" })}.${enc(claims)}.sig`;
const NOW = 1_800_000_000;

function reply(body: Record<string, unknown>, status = 200) {
  return { status, headers: new Headers(), body, correlationId: "c" };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EntraAuthError, String(err));
    return err.code;
  }
  return "none";
}

describe("processTokenResponse", () => {
  const base = { token_type: "Bearer", access_token: "at", scope: "User.Read openid" };
  const expect = { clientId: "app", scopes: ["User.Read", "openid"], now: NOW };

  it("converts string numbers, keeps unknown fields, defaults scope", () => {
    const { response } = processTokenResponse(
      reply({
        token_type: "Bearer",
        access_token: "at",
        expires_in: "3599",
        refresh_in: "1800",
        x_extra: 1,
      }),
      expect,
    );
    assert.equal(response.expires_in, 3599);
    assert.equal(response.refresh_in, 1800);
    assert.equal(response.scope, "User.Read openid");
    assert.equal(response.x_extra, 1);
    assert.equal("id_token" in response, false);
  });

  it("rejects malformed successes as invalid_response", () => {
    assert.equal(
      code(() => processTokenResponse(reply({ token_type: "Bearer" }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply({ ...base, expires_in: "soon" }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply({ ...base, client_info: "%%%" }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply({ ...base, client_info: enc({ uid: "u" }) }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply({ ...base, id_token: "a.b" }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply({ ...base, id_token: jwt({ aud: "other" }) }), expect)),
      "invalid_response",
    );
    assert.equal(
      code(() => processTokenResponse(reply(base), { ...expect, nonce: "n" })),
      "invalid_response",
      "id_token required when a nonce was sent",
    );
  });

  it("checks the nonce", () => {
    const ok = processTokenResponse(
      reply({ ...base, id_token: jwt({ aud: "app", nonce: "n1" }) }),
      {
        ...expect,
        nonce: "n1",
      },
    );
    assert.equal(ok.idTokenClaims?.nonce, "n1");
    assert.equal(
      code(() =>
        processTokenResponse(reply({ ...base, id_token: jwt({ aud: "app", nonce: "n2" }) }), {
          ...expect,
          nonce: "n1",
        })
      ),
      "nonce_mismatch",
    );
    assert.equal(
      code(() =>
        processTokenResponse(reply({ ...base, id_token: jwt({ aud: ["app"] }) }), {
          ...expect,
          nonce: "n1",
        })
      ),
      "nonce_mismatch",
    );
  });

  it("checks auth_time against max_age (with 5 min skew) and the issuer when asked", () => {
    const idToken = (authTime?: number) =>
      jwt({ aud: "app", nonce: "n", auth_time: authTime, iss: "https://i" });
    const run = (authTime?: number) =>
      processTokenResponse(reply({ ...base, id_token: idToken(authTime) }), {
        ...expect,
        nonce: "n",
        maxAge: 60,
      });
    assert.equal(run(NOW - 30).idTokenClaims?.auth_time, NOW - 30);
    assert.equal(run(NOW - 60 - 299).idTokenClaims?.auth_time, NOW - 359);
    assert.equal(code(() => run(NOW - 60 - 301)), "invalid_response");
    assert.equal(code(() => run(undefined)), "invalid_response");
    assert.equal(
      code(() =>
        processTokenResponse(reply({ ...base, id_token: idToken(NOW) }), {
          ...expect,
          issuer: "https://other",
        })
      ),
      "invalid_response",
    );
  });

  it("throws error replies as typed errors", () => {
    assert.throws(
      () =>
        processTokenResponse(reply({ error: "invalid_grant", error_codes: [70008] }, 400), expect),
      (err) => err instanceof InteractionRequiredError && err.server?.errorCodes?.[0] === 70008,
    );
    for (
      const error of ["interaction_required", "consent_required", "login_required", "bad_token"]
    ) {
      assert.throws(
        () => processTokenResponse(reply({ error }, 400), expect),
        (err) => err instanceof InteractionRequiredError && err.server?.error === error,
      );
    }
    assert.throws(
      () =>
        processTokenResponse(
          reply({ error: "invalid_client", error_codes: [7000218] }, 401),
          expect,
        ),
      (err) => err instanceof ServerError && /public client flows/.test(err.message),
    );
    assert.equal(
      code(() => processTokenResponse(reply({ nothing: 1 }, 400), expect)),
      "invalid_response",
    );
  });
});

describe("authorize request and redirect", () => {
  it("computes the RFC 7636 S256 challenge", async () => {
    assert.equal(
      await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    const a = await createPkce();
    const b = await createPkce();
    assert.notEqual(a.verifier, b.verifier);
    assert.equal(a.challenge, await s256Challenge(a.verifier));
  });

  it("refuses extra query parameters that replace protocol ones", () => {
    const params = {
      clientId: "c",
      redirectUri: "http://localhost:1",
      scopes: ["openid"],
      state: "s",
      nonce: "n",
      codeChallenge: "x",
    };
    assert.equal(
      code(() =>
        buildAuthorizeUrl("https://a/authorize", {
          ...params,
          extraQueryParameters: { state: "x" },
        })
      ),
      "invalid_argument",
    );
    assert.equal(
      code(() => buildAuthorizeUrl("https://a/authorize", { ...params, maxAge: -1 })),
      "invalid_argument",
    );
    const url = new URL(
      buildAuthorizeUrl("https://a/authorize?p=B2C_1", { ...params, prompt: "select_account" }),
    );
    assert.equal(url.searchParams.get("p"), "B2C_1");
    assert.equal(url.searchParams.get("prompt"), "select_account");
  });

  it("checks state before anything else and maps redirect errors", () => {
    assert.equal(
      code(() => processRedirect(new URLSearchParams("code=c&state=x"), "s")),
      "state_mismatch",
    );
    assert.equal(
      code(() => processRedirect(new URLSearchParams("error=access_denied"), "s")),
      "state_mismatch",
    );
    assert.equal(
      code(() => processRedirect(new URLSearchParams("state=s"), "s")),
      "invalid_response",
    );
    assert.throws(
      () =>
        processRedirect(
          new URLSearchParams("error=login_required&error_description=AADSTS50058%3A+x&state=s"),
          "s",
        ),
      (err) => err instanceof InteractionRequiredError && err.server?.errorCodes?.[0] === 50058,
    );
    assert.equal(
      processRedirect(new URLSearchParams("code=c&state=s&client_info=ci"), "s").clientInfo,
      "ci",
    );
  });

  it("adds the default scopes once and merges claims with capabilities", () => {
    assert.deepEqual(requestScopes(["User.Read", "openid"], ["Mail.Read"]), [
      "User.Read",
      "openid",
      "Mail.Read",
      "profile",
      "offline_access",
    ]);
    assert.equal(code(() => requestScopes(["a b"])), "invalid_argument");
    assert.equal(mergeClaims(undefined), undefined);
    assert.deepEqual(
      JSON.parse(mergeClaims("{\"access_token\":{\"acrs\":{\"values\":[\"c1\"]}}}", ["CP1"])!),
      {
        access_token: { acrs: { values: ["c1"] }, xms_cc: { values: ["CP1"] } },
      },
    );
    assert.equal(code(() => mergeClaims("[1]")), "invalid_argument");
  });
});
