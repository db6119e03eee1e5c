/**
 * Fuzzing a whole silent acquisition without the broker: an application with a cached
 * refresh token asks for a new access token, the token endpoint answers anything, and the
 * result, the error, and the cache the application is left with are checked.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { type ErrorCode, InteractionRequiredError } from "../../src/errors.ts";
import { PublicClientApplication } from "../../src/public_client_application.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
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
} from "../support/fuzz_arbitraries.ts";

const HOST = "login.microsoftonline.com";
const METADATA = {
  issuer: `https://${HOST}/${TENANT}/v2.0`,
  authorization_endpoint: `https://${HOST}/${TENANT}/oauth2/v2.0/authorize`,
  token_endpoint: `https://${HOST}/${TENANT}/oauth2/v2.0/token`,
};
const UID = "00000000-0000-0000-0000-0000000000a1";
const idToken = (extra: Record<string, unknown> = {}) =>
  jwt({
    aud: CLIENT_ID,
    iss: METADATA.issuer,
    oid: UID,
    tid: TENANT,
    sub: "s",
    preferred_username: "ada@contoso.example",
    ...extra,
  });
const clientInfo = b64json({ uid: UID, utid: TENANT });

/** A cache holding one account with a refresh token, as an earlier sign-in left it. */
function seededCache(): string {
  const cache = new TokenCache();
  cache.saveTokenResponse({
    token_type: "Bearer",
    scope: "User.Read openid profile offline_access",
    expires_in: 3599,
    access_token: "old-at",
    refresh_token: "old-rt",
    id_token: idToken(),
    client_info: clientInfo,
  }, {
    clientId: CLIENT_ID,
    authority: `https://${HOST}/${TENANT}`,
    environment: HOST,
    tenant: TENANT,
    authorityType: "MSSTS",
    scopes: ["User.Read"],
    requestedAt: Math.floor(Date.now() / 1000),
  });
  return cache.serialize();
}

const validReply = fc.record({
  token_type: fc.constant("Bearer"),
  scope: fc.constantFrom("User.Read openid profile offline_access", "User.Read"),
  expires_in: fc.oneof(fc.integer({ min: 0, max: 86_400 }), fc.nat(86_400).map(String)),
  ext_expires_in: fc.integer({ min: 0, max: 86_400 }),
  refresh_in: fc.integer({ min: 0, max: 86_400 }),
  access_token: fc.string({ minLength: 1 }),
  refresh_token: fc.string({ minLength: 1 }),
  id_token: fc.constant(idToken()),
  client_info: fc.constant(clientInfo),
  foci: fc.constantFrom("1", ""),
}, { requiredKeys: ["token_type", "access_token"] });
const errorReply = fc.record({
  error: fc.constantFrom(
    "invalid_grant",
    "interaction_required",
    "invalid_client",
    "temporarily_unavailable",
  ),
  error_description: fc.constantFrom("AADSTS70008: expired", "AADSTS50076: MFA", ""),
  suberror: fc.constantFrom("bad_token", "basic_action"),
}, { requiredKeys: ["error"] });

const exchange = fc.oneof(
  fc.tuple(fc.constantFrom(200, 200, 200), mutated(validReply, 3).map((b) => JSON.stringify(b))),
  fc.tuple(fc.constantFrom(400, 401, 200), mutated(errorReply, 2).map((b) => JSON.stringify(b))),
  fc.tuple(
    fc.constantFrom(429, 500, 503),
    fc.oneof(errorReply.map((b) => JSON.stringify(b)), oddString),
  ),
  fc.tuple(
    fc.constantFrom(200, 400),
    fc.oneof(oddString, nastyValue.map((v) => JSON.stringify(v) ?? "")),
  ),
);

const CODES: readonly ErrorCode[] = [
  "invalid_response",
  "interaction_required",
  "server_error",
  "throttled",
  "cache_error",
];

describe("fuzz: silent acquisition with a refresh token", () => {
  it(
    "ends in a valid result or a typed error, and leaves a cache that reads back",
    {
      timeout: fuzzTestTimeout(150, 200),
    },
    async () => {
      const faults = watchProcessFaults();
      const seed = seededCache();
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(exchange, { minLength: 1, maxLength: 3 }), async (replies) => {
            let calls = 0;
            const fetch = () => {
              const [status, body] = replies[Math.min(calls++, replies.length - 1)];
              const headers = new Headers({ "content-type": "application/json" });
              if (status === 429 || status >= 500) headers.set("retry-after", "0");
              return Promise.resolve(new Response(body, { status, headers }));
            };
            const app = new PublicClientApplication({
              clientId: CLIENT_ID,
              authority: `https://${HOST}/${TENANT}`,
              authorityMetadata: METADATA,
              fetch,
            });
            app.getTokenCache().deserialize(seed);
            const [account] = await app.getAccounts();
            assert.ok(account);
            const out = await settleAsync(
              () => app.acquireTokenSilent({ scopes: ["User.Read"], account, forceRefresh: true }),
              CODES,
              10_000,
            );
            if (out.ok) {
              const r = out.value;
              assert.ok(typeof r.accessToken === "string" && r.accessToken !== "");
              assert.ok(Number.isFinite(r.expiresOn.getTime()), `expiresOn ${r.expiresOn}`);
              // Without client_info the account is named by the id token's sub, as MSAL does.
              const answered = replies[Math.min(calls, replies.length) - 1][1];
              if (answered.includes(clientInfo)) {
                assert.equal(r.account.homeAccountId, account.homeAccountId);
              } else assert.ok(r.account.homeAccountId !== "");
              assert.equal(r.fromBroker, false);
            } else if (out.error instanceof InteractionRequiredError) {
              const error = out.error.server?.error;
              if (error === "invalid_grant") {
                assert.equal(
                  app.getTokenCache().findRefreshToken({ clientId: CLIENT_ID, account }),
                  undefined,
                  "a rejected refresh token is removed",
                );
              }
            }
            // Whatever happened, the cache the app keeps (and would persist) reads back.
            const text = app.getTokenCache().serialize();
            const reread = new TokenCache();
            reread.deserialize(text);
            assert.equal(reread.serialize(), text);
            await app.close();
            faults.check();
          }),
          fuzzParameters(150),
        );
      } finally {
        faults.stop();
      }
    },
  );
});
