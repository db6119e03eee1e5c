/**
 * Fuzzing the token endpoint's replies: the response processor, the HTTP layer under it, and
 * what reaches the token cache. Every case ends in a correct result or a typed error.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authenticationResultFrom } from "../../src/cache/result.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { type ErrorCode, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { sendRequest } from "../../src/network/http.ts";
import { processTokenResponse, type TokenExpectations } from "../../src/network/token_endpoint.ts";
import type { TokenRequestContext } from "../../src/token_response.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
  settle,
  settleAsync,
  watchProcessFaults,
} from "../support/fuzz.ts";
import {
  b64json,
  CLIENT_ID,
  jwt,
  mutated,
  nastyValue,
  oddString,
  TENANT,
  validIdTokenClaims,
} from "../support/fuzz_arbitraries.ts";

const NOW = 1_800_000_000;
const SCOPES = ["User.Read", "openid", "profile", "offline_access"];
const CODES: readonly ErrorCode[] = [
  "invalid_response",
  "nonce_mismatch",
  "interaction_required",
  "server_error",
];

const validSuccess = fc.record({
  token_type: fc.constantFrom("Bearer", "bearer", "pop"),
  scope: fc.constantFrom("User.Read openid profile offline_access", "User.Read", "", "openid"),
  expires_in: fc.oneof(fc.integer({ min: 0, max: 86_400 }), fc.nat(86_400).map(String)),
  ext_expires_in: fc.oneof(fc.integer({ min: 0, max: 86_400 }), fc.nat(86_400).map(String)),
  refresh_in: fc.integer({ min: 0, max: 86_400 }),
  access_token: fc.oneof(fc.string({ minLength: 1 }), fc.constant(jwt({ aud: "graph" }))),
  refresh_token: fc.string({ minLength: 1 }),
  id_token: validIdTokenClaims({ nonce: "the-nonce", now: NOW }).map((c) => jwt(c)),
  client_info: fc.record({ uid: fc.uuid(), utid: fc.constant(TENANT) }).map(b64json),
  foci: fc.constantFrom("1", "2"),
}, { requiredKeys: ["token_type", "access_token"] });

const validError = fc.record({
  error: fc.constantFrom(
    "invalid_grant",
    "interaction_required",
    "invalid_scope",
    "temporarily_unavailable",
    "invalid_client",
    "unauthorized_client",
  ),
  error_description: fc.constantFrom(
    "AADSTS70008: The refresh token has expired.\r\nTrace ID: 0a1b\r\nCorrelation ID: 2c3d",
    "AADSTS7000218: The request body must contain client_assertion.",
    "AADSTS53000: Device is not in required device state.",
  ),
  error_codes: fc.constantFrom([70008], [7000218], [53000], []),
  timestamp: fc.constant("2026-11-30 12:00:00Z"),
  trace_id: fc.uuid(),
  correlation_id: fc.uuid(),
  suberror: fc.constantFrom("basic_action", "consent_required", "bad_token"),
  claims: fc.constant("{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"1\"]}}}"),
}, { requiredKeys: ["error"] });

/** A reply: a mutated success (usually 200) or a mutated error (usually 4xx). */
const reply = fc.oneof(
  fc.tuple(fc.constantFrom(200, 200, 200, 203, 400), mutated(validSuccess)),
  fc.tuple(fc.constantFrom(400, 401, 403, 200, 302), mutated(validError)),
).map(([status, body]) => ({ status, headers: new Headers(), body, correlationId: "c" }));

const expectation = fc.record({
  nonce: fc.constantFrom(undefined, "the-nonce"),
  maxAge: fc.constantFrom(undefined, 0, 60, 86_400),
}).map(({ nonce, maxAge }): TokenExpectations => ({
  clientId: CLIENT_ID,
  scopes: SCOPES,
  nonce,
  maxAge,
  now: NOW,
}));

const context: TokenRequestContext = {
  clientId: CLIENT_ID,
  authority: "https://login.microsoftonline.com/organizations",
  environment: "login.microsoftonline.com",
  tenant: "organizations",
  authorityType: "MSSTS",
  scopes: SCOPES,
  requestedAt: NOW,
};

function optionalType(value: unknown, type: "string" | "number"): boolean {
  return value === undefined || typeof value === type;
}

/** The invariants of a processed success. */
function checkProcessed(
  processed: ReturnType<typeof processTokenResponse>,
  status: number,
  expect: TokenExpectations,
): void {
  assert.equal(status, 200, "only HTTP 200 may give tokens");
  const r = processed.response;
  assert.ok(typeof r.access_token === "string" && r.access_token !== "");
  assert.ok(typeof r.token_type === "string" && r.token_type !== "");
  assert.equal(typeof r.scope, "string");
  for (const name of ["expires_in", "ext_expires_in", "refresh_in"] as const) {
    const v = r[name];
    if (name !== "expires_in" && v === undefined) continue;
    assert.ok(typeof v === "number" && Number.isFinite(v) && v >= 0, `${name} ${String(v)}`);
  }
  for (const name of ["refresh_token", "id_token", "client_info", "foci"] as const) {
    assert.ok(optionalType(r[name], "string"), `${name} is ${typeof r[name]}`);
  }
  if (r.id_token !== undefined) {
    const claims = processed.idTokenClaims;
    assert.ok(claims && typeof claims === "object");
    const aud = claims.aud;
    assert.ok(aud === CLIENT_ID || (Array.isArray(aud) && aud.includes(CLIENT_ID)));
    if (expect.nonce !== undefined) assert.equal(claims.nonce, expect.nonce);
  } else if (expect.nonce !== undefined) {
    assert.fail("an id token is required when a nonce was sent");
  }
}

describe("fuzz: token endpoint replies", () => {
  it(
    "the processor gives validated tokens or a typed error",
    { timeout: fuzzTestTimeout(300, 20) },
    () => {
      fc.assert(
        fc.property(reply, expectation, (r, expect) => {
          const out = settle(() => processTokenResponse(r, expect), CODES);
          if (out.ok) {
            checkProcessed(out.value, r.status, expect);
            return;
          }
          if (r.status !== 200) {
            const err = out.error;
            if (err instanceof ServerError) assert.equal(err.httpStatus, r.status);
            if (err instanceof InteractionRequiredError && err.server) {
              assert.equal(err.server.httpStatus, r.status);
            }
          }
        }),
        fuzzParameters(300),
      );
    },
  );

  it(
    "raw reply bodies through the HTTP layer end in tokens or a typed error",
    { timeout: fuzzTestTimeout(150, 100) },
    async () => {
      const faults = watchProcessFaults();
      try {
        const text = fc.oneof(
          mutated(validSuccess).map((b) => JSON.stringify(b)),
          mutated(validError).map((b) => JSON.stringify(b)),
          fc.tuple(mutated(validSuccess), fc.nat()).map(([b, n]) => {
            const s = JSON.stringify(b);
            return s.slice(0, n % (s.length + 1));
          }),
          fc.tuple(mutated(validSuccess), fc.nat(), oddString).map(([b, n, junk]) => {
            const s = JSON.stringify(b);
            const at = n % (s.length + 1);
            return s.slice(0, at) + junk + s.slice(at);
          }),
          mutated(validSuccess).map((b) => `\ufeff${JSON.stringify(b)}`),
          nastyValue.map((v) => JSON.stringify(v) ?? ""),
          oddString,
        );
        const status = fc.constantFrom(200, 200, 400, 401, 429, 500, 503, 204, 302, 418);
        const retryAfter = fc.constantFrom(
          undefined,
          "0",
          "1e21",
          "99999999999999999999",
          "-1",
          "Wed, 21 Oct 2015 07:28:00 GMT",
          "Fri, 31 Dec 9999 23:59:59 GMT",
          "soon",
        );
        await fc.assert(
          fc.asyncProperty(text, status, retryAfter, async (body, code, after) => {
            const fetch = () => {
              const headers = new Headers({ "content-type": "application/json" });
              if (after !== undefined) headers.set("retry-after", after);
              return Promise.resolve(
                new Response(code === 204 ? null : body, { status: code, headers }),
              );
            };
            const out = await settleAsync(
              async () => {
                const r = await sendRequest(
                  {
                    method: "POST",
                    url: "http://127.0.0.1:9/token",
                    form: { grant_type: "refresh_token" },
                    what: "token request",
                  },
                  { fetch, maxRetryAfterMs: 0, defaultRetryDelayMs: 0, requestTimeoutMs: 5_000 },
                );
                return processTokenResponse(r, { clientId: CLIENT_ID, scopes: SCOPES, now: NOW });
              },
              [...CODES, "throttled"],
              5_000,
            );
            if (out.ok) checkProcessed(out.value, 200, { clientId: CLIENT_ID, scopes: SCOPES });
            faults.check();
          }),
          fuzzParameters(150),
        );
      } finally {
        faults.stop();
      }
    },
  );

  it(
    "what reaches the cache is stored, read back unchanged, and gives a valid expiry",
    {
      timeout: fuzzTestTimeout(200, 30),
    },
    () => {
      fc.assert(
        fc.property(reply, expectation, (r, expect) => {
          const processed = settle(() => processTokenResponse(r, expect), CODES);
          if (!processed.ok) return;
          const cache = new TokenCache({ now: () => NOW });
          const saved = settle(
            () => cache.saveTokenResponse(processed.value.response, context),
            ["cache_error"],
          );
          if (!saved.ok) return;
          const result = authenticationResultFrom({
            accessToken: saved.value.accessToken,
            account: saved.value.account,
            idToken: saved.value.idToken,
            correlationId: "c",
          });
          assert.ok(
            Number.isFinite(result.expiresOn.getTime()),
            `expiresOn is ${String(result.expiresOn)}`,
          );
          assert.equal(result.accessToken, processed.value.response.access_token);
          const text = cache.serialize();
          const reread = new TokenCache({ now: () => NOW });
          reread.deserialize(text);
          assert.equal(reread.serialize(), text);
          assert.equal(reread.getAccounts().length, 1);
        }),
        fuzzParameters(200),
      );
    },
  );
});
