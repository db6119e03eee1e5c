/**
 * Fuzzing the authorization redirect's query as the loopback server receives it (`code`,
 * `state`, `error`, `error_description`, `iss`, `client_info`, duplicates, bad percent
 * escapes), and the authorization URL built from app input.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  EntraAuthError,
  type ErrorCode,
  InteractionRequiredError,
  ServerError,
} from "../../src/errors.ts";
import { buildAuthorizeUrl, processRedirect } from "../../src/network/authorize.ts";
import { fc, fuzzParameters, fuzzTestTimeout, settle } from "../support/fuzz.ts";
import { b64json, extraKey, oddString } from "../support/fuzz_arbitraries.ts";

const STATE = "c3RhdGUtb2YtdGhpcy1zaWduLWlu";

const value = fc.oneof(
  fc.constantFrom(STATE, "", "x", `${STATE} `, STATE.toUpperCase(), "%zz", "%00", "a&b=c", "+"),
  oddString,
);
const name = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "code",
      "state",
      "error",
      "error_description",
      "error_uri",
      "suberror",
      "error_subcode",
      "claims",
      "iss",
      "client_info",
      "session_state",
    ),
  },
  { weight: 1, arbitrary: extraKey },
);

/** Raw query strings: a valid redirect, mutated pairs, raw junk, percent escapes. */
const rawQuery = fc.oneof(
  fc.record({
    code: fc.string({ minLength: 1 }),
    state: fc.constantFrom(STATE, "other"),
    client_info: fc.constant(b64json({ uid: "u", utid: "t" })),
  }).map((q) => new URLSearchParams(q).toString()),
  fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) =>
    new URLSearchParams(pairs).toString()
  ),
  fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) =>
    pairs.map(([k, v]) => `${k}=${v}`).join("&")
  ),
  fc.string({ unit: "binary" }),
);

const CODES: readonly ErrorCode[] = [
  "state_mismatch",
  "interaction_required",
  "server_error",
  "invalid_response",
];

describe("fuzz: authorization redirects", () => {
  it("a redirect gives its code only with the right state and no error, else a typed error", {
    timeout: fuzzTestTimeout(500, 10),
  }, () => {
    fc.assert(
      fc.property(rawQuery, (raw) => {
        const query = new URLSearchParams(raw);
        const out = settle(() => processRedirect(query, STATE), CODES);
        if (out.ok) {
          assert.equal(query.get("state"), STATE);
          assert.ok(!query.get("error"));
          assert.equal(out.value.code, query.get("code"));
          assert.notEqual(out.value.code, "");
          return;
        }
        const err = out.error;
        if (query.get("state") !== STATE) {
          assert.equal(err.code, "state_mismatch", "the state is checked before anything else");
        } else if (query.get("error")) {
          assert.ok(err instanceof ServerError || err instanceof InteractionRequiredError);
          const reported = err instanceof ServerError ? err.error : err.server?.error;
          assert.equal(reported, query.get("error"));
        }
      }),
      fuzzParameters(500),
    );
  });

  it("the authorization URL carries the protocol parameters intact whatever the app adds", {
    timeout: fuzzTestTimeout(200, 10),
  }, () => {
    fc.assert(
      fc.property(
        fc.dictionary(extraKey, oddString, { maxKeys: 4 }),
        fc.option(oddString, { nil: undefined }),
        fc.option(fc.oneof(fc.nat(), fc.constantFrom(-1, 0.5, 1e21, NaN)), { nil: undefined }),
        (extra, loginHint, maxAge) => {
          const params = {
            clientId: "c",
            redirectUri: "http://localhost:1234",
            scopes: ["openid", "User.Read"],
            state: STATE,
            nonce: "n",
            codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            loginHint,
            maxAge,
            extraQueryParameters: extra,
          };
          const out = settle(
            () =>
              buildAuthorizeUrl(
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                params,
              ),
            ["invalid_argument"],
          );
          if (!out.ok) {
            assert.ok(out.error instanceof EntraAuthError);
            return;
          }
          const q = new URL(out.value).searchParams;
          assert.equal(q.getAll("state").length, 1);
          assert.equal(q.get("state"), STATE);
          assert.equal(q.get("code_challenge_method"), "S256");
          assert.equal(q.get("redirect_uri"), "http://localhost:1234");
          assert.equal(q.get("response_type"), "code");
          if (loginHint !== undefined) {
            assert.equal(q.get("login_hint"), new URLSearchParams([["h", loginHint]]).get("h"));
          }
        },
      ),
      fuzzParameters(200),
    );
  });
});
