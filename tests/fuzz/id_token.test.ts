/**
 * Fuzzing ID tokens: the JWT structure (part count, base64url, UTF-8, JSON of an object) and
 * the claims' types (`aud`, `nonce`, `auth_time`, `iss`, `sub`, `oid`, `tid`, names), through
 * the token reply's processor and into the cache's account entries.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { ErrorCode } from "../../src/errors.ts";
import { processTokenResponse, type TokenExpectations } from "../../src/network/token_endpoint.ts";
import { decodeJwtPayload } from "../../src/network/validate.ts";
import { decodeJwtClaims } from "../../src/result.ts";
import type { TokenRequestContext } from "../../src/token_response.ts";
import { fc, fuzzParameters, fuzzTestTimeout, settle } from "../support/fuzz.ts";
import {
  b64json,
  brokenJwt,
  CLIENT_ID,
  jwt,
  mutated,
  nastyValue,
  TENANT,
  validIdTokenClaims,
} from "../support/fuzz_arbitraries.ts";

const NOW = 1_800_000_000;
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const SCOPES = ["openid", "profile", "User.Read"];

const claims = mutated(validIdTokenClaims({ nonce: "the-nonce", now: NOW }), 4);
const idToken = fc.oneof(
  { weight: 4, arbitrary: claims.map((c) => jwt(c)) },
  { weight: 1, arbitrary: fc.tuple(claims, nastyValue).map(([c, h]) => jwt(c, h)) },
  { weight: 2, arbitrary: brokenJwt(claims) },
);
const expectation = fc.record({
  nonce: fc.constantFrom(undefined, "the-nonce"),
  maxAge: fc.constantFrom(undefined, 0, 3600),
  issuer: fc.constantFrom(undefined, ISSUER),
}).map((e): TokenExpectations => ({ clientId: CLIENT_ID, scopes: SCOPES, now: NOW, ...e }));

const clientInfo = fc.oneof(
  fc.constant(undefined),
  fc.record({ uid: fc.uuid(), utid: fc.constant(TENANT) }).map(b64json),
  mutated(fc.record({ uid: fc.uuid(), utid: fc.constant(TENANT) })).map(b64json),
);

const CODES: readonly ErrorCode[] = ["invalid_response", "nonce_mismatch"];

describe("fuzz: id tokens", () => {
  it("decoding a JWT payload gives a JSON object or invalid_response", {
    timeout: fuzzTestTimeout(200, 10),
  }, () => {
    fc.assert(
      fc.property(idToken, (token) => {
        const out = settle(() => decodeJwtPayload(token, "id_token"), ["invalid_response"]);
        if (out.ok) {
          assert.ok(typeof out.value === "object" && out.value !== null);
          assert.ok(!Array.isArray(out.value));
          assert.equal(token.split(".").length, 3);
        }
        // The lenient decoder (public, for tokens from trusted channels) never throws.
        const lenient = decodeJwtClaims(token);
        assert.ok(typeof lenient === "object" && lenient !== null && !Array.isArray(lenient));
        if (out.ok) assert.deepEqual(lenient, out.value);
      }),
      fuzzParameters(200),
    );
  });

  it("the reply's id token is checked (aud, nonce, iss, auth_time) or refused typed", {
    timeout: fuzzTestTimeout(150, 20),
  }, () => {
    fc.assert(
      fc.property(idToken, expectation, (token, expect) => {
        const reply = {
          status: 200,
          headers: new Headers(),
          correlationId: "c",
          body: { token_type: "Bearer", access_token: "at", expires_in: 3599, id_token: token },
        };
        const out = settle(() => processTokenResponse(reply, expect), CODES);
        if (!out.ok) return;
        const c = out.value.idTokenClaims;
        assert.ok(c && typeof c === "object" && !Array.isArray(c));
        assert.ok(c.aud === CLIENT_ID || (Array.isArray(c.aud) && c.aud.includes(CLIENT_ID)));
        if (expect.nonce !== undefined) assert.equal(c.nonce, expect.nonce);
        if (expect.issuer !== undefined) assert.equal(c.iss, expect.issuer);
        if (expect.maxAge !== undefined) {
          assert.equal(typeof c.auth_time, "number");
          assert.ok((c.auth_time as number) + expect.maxAge + 300 >= NOW);
        }
      }),
      fuzzParameters(150),
    );
  });

  it("claims of any type give account entries the cache reads back, or a typed refusal", {
    timeout: fuzzTestTimeout(200, 30),
  }, () => {
    const context = fc.constantFrom<TokenRequestContext["authorityType"]>(
      "MSSTS",
      "ADFS",
      "Generic",
    )
      .map((authorityType): TokenRequestContext => ({
        clientId: CLIENT_ID,
        authority: "https://login.microsoftonline.com/organizations",
        environment: "login.microsoftonline.com",
        tenant: "organizations",
        authorityType,
        scopes: SCOPES,
        requestedAt: NOW,
      }));
    fc.assert(
      fc.property(idToken, clientInfo, context, (token, info, ctx) => {
        const body: Record<string, unknown> = {
          token_type: "Bearer",
          access_token: "at",
          expires_in: 3599,
          refresh_token: "rt",
          id_token: token,
        };
        if (info !== undefined) body.client_info = info;
        const reply = { status: 200, headers: new Headers(), correlationId: "c", body };
        const processed = settle(
          () => processTokenResponse(reply, { clientId: CLIENT_ID, scopes: SCOPES, now: NOW }),
          CODES,
        );
        if (!processed.ok) return;
        const cache = new TokenCache({ now: () => NOW });
        const saved = settle(
          () => cache.saveTokenResponse(processed.value.response, ctx),
          ["cache_error"],
        );
        if (!saved.ok) return;
        const account = saved.value.account;
        for (const field of ["homeAccountId", "environment", "tenantId", "username"] as const) {
          assert.equal(typeof account[field], "string", field);
        }
        assert.notEqual(account.homeAccountId, "");
        const text = cache.serialize();
        const reread = new TokenCache({ now: () => NOW });
        reread.deserialize(text);
        assert.equal(reread.serialize(), text);
        const [again] = reread.getAccounts();
        assert.equal(again?.homeAccountId, account.homeAccountId);
        assert.ok(
          reread.findAccessToken({ clientId: CLIENT_ID, account: again, scopes: ["openid"] }),
        );
      }),
      fuzzParameters(200),
    );
  });
});
