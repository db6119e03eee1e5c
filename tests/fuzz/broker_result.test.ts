/**
 * Fuzzing what the broker path parses: the native strings MSALRuntime hands back (the sized
 * getter convention, any bytes), its error reports, and, through the real libmsalruntime.so
 * against the broker emulator, the broker's reply JSON (which MSALRuntime parses and the
 * binding reads back: id token claims, account fields, scopes, expiry).
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeString, readSizedString, readSizedStringAsync } from "../../ffi/strings.ts";
import {
  type AccountInfo,
  brokerErrorFrom,
  EntraAuthError,
  type ErrorCode,
  PublicClientApplication,
} from "../../mod.ts";
import { addFault, brokerSkip, clearFaults, CLIENT_ID } from "../support/broker.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
  settle,
  settleAsync,
  watchProcessFaults,
} from "../support/fuzz.ts";
import { jwt, mutated, nastyValue, oddNumber, oddString } from "../support/fuzz_arbitraries.ts";

/** A native getter's behaviour: what it reports as needed, and what it writes. */
const getterStep = fc.record({
  fits: fc.boolean(),
  needed: fc.oneof(
    fc.integer({ min: -5, max: 5_000 }),
    fc.constantFrom(0, 2 ** 31 - 1, -(2 ** 31), 1e9),
  ),
  bytes: fc.uint8Array({ maxLength: 64 }),
});

const BROKER_CODES: readonly ErrorCode[] = [
  "interaction_required",
  "user_canceled",
  "network_error",
  "redirect_uri_not_registered",
  "broker_error",
];

describe("fuzz: native strings and broker error reports", () => {
  it(
    "any buffer decodes to a string up to its first NUL",
    { timeout: fuzzTestTimeout(300, 10) },
    () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint16Array({ maxLength: 100 })),
          fc.oneof(fc.nat(300), oddNumber),
          (buffer, units) => {
            const text = decodeString(buffer, units);
            assert.equal(typeof text, "string");
            assert.ok(!text.includes("\u0000"));
          },
        ),
        fuzzParameters(300),
      );
    },
  );

  it(
    "the sized-getter convention gives the string or a typed error, whatever sizes the native side reports",
    {
      timeout: fuzzTestTimeout(200, 50),
    },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(getterStep, { minLength: 1, maxLength: 6 }),
          fc.constantFrom<"utf8" | "utf16">("utf8", "utf16"),
          fc.constantFrom(0, 1, 256),
          async (steps, encoding, initial) => {
            let call = 0;
            const attempt = (buffer: Uint8Array | Uint16Array | null, size: Int32Array) => {
              const step = steps[Math.min(call++, steps.length - 1)];
              if (step.fits && buffer !== null) {
                buffer.set(step.bytes.subarray(0, buffer.length));
                return true;
              }
              size[0] = step.needed;
              return false;
            };
            const codes: readonly ErrorCode[] = ["native_call_failed"];
            const sync = settle(() => readSizedString(encoding, attempt, initial), codes);
            if (sync.ok) assert.equal(typeof sync.value, "string");
            call = 0;
            const out = await settleAsync(
              () =>
                readSizedStringAsync(encoding, (b, s) => Promise.resolve(attempt(b, s)), initial),
              codes,
              5_000,
            );
            assert.equal(out.ok, sync.ok);
            assert.ok(call <= 4, "at most four native calls");
          },
        ),
        fuzzParameters(200),
      );
    },
  );

  it(
    "any broker error report maps to a typed broker error",
    { timeout: fuzzTestTimeout(300, 10) },
    () => {
      fc.assert(
        fc.property(
          fc.record({
            status: fc.oneof(fc.integer({ min: -1, max: 25 }), fc.integer()),
            errorCode: fc.oneof(fc.integer(), oddNumber),
            tag: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
            context: fc.oneof(
              oddString,
              fc.constantFrom(
                "AADSTS50011: The redirect URI 'https://x/' specified in the request does not match",
                "AADSTS50011",
                "AADSTS50011 redirect URI '",
              ),
            ),
          }),
          oddString,
          (info, operation) => {
            const out = settle(() => {
              throw brokerErrorFrom(info, operation);
            }, BROKER_CODES);
            assert.equal(out.ok, false);
            if (!out.ok) assert.ok(out.error.message.length > 0);
          },
        ),
        fuzzParameters(300),
      );
    },
  );
});

const NOW_MS = Date.now();
/** The most cases a long run gives the property through the real MSALRuntime (see there). */
const BROKER_RUNS_CAP = 500;
/** Replaced by the scopes each case requests (the broker declines a reply without them). */
const GRANTED = "\u0000GRANTED\u0000";

/** The broker's token reply for `account`, as microsoft-identity-broker sends it over D-Bus. */
function validBrokerReply(account: AccountInfo): fc.Arbitrary<Record<string, unknown>> {
  const iat = Math.floor(NOW_MS / 1000);
  const idClaims = {
    aud: CLIENT_ID,
    iss: `https://login.microsoftonline.com/${account.tenantId}/v2.0`,
    iat,
    nbf: iat,
    exp: iat + 3600,
    name: "Test User",
    oid: account.localAccountId,
    preferred_username: account.username,
    sub: "c3ViamVjdA",
    tid: account.tenantId,
    ver: "2.0",
  };
  return fc.record({
    accessToken: fc.oneof(
      fc.constant(jwt({ aud: "https://graph.microsoft.com", iat, exp: iat + 3600 })),
      fc.string({ minLength: 1 }),
    ),
    accessTokenType: fc.constantFrom(0, 0, 0, 1),
    account: mutated(
      fc.constant({
        environment: account.environment,
        givenName: "Test",
        familyName: "User",
        homeAccountId: account.homeAccountId,
        localAccountId: account.localAccountId,
        name: "Test User",
        passwordExpiry: 0,
        realm: account.tenantId,
        username: account.username,
      }),
      2,
    ),
    clientInfo: fc.constant(
      btoa(JSON.stringify({ uid: account.localAccountId, utid: account.tenantId })).replace(
        /=+$/,
        "",
      ),
    ),
    expiresOn: fc.oneof(
      { weight: 3, arbitrary: fc.constant(NOW_MS + 3_600_000) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(0, -1, 1e21, 8.64e15 + 1, 2 ** 63, NOW_MS - 1, "3600"),
      },
    ),
    extendedExpiresOn: fc.constant(NOW_MS + 7_200_000),
    grantedScopes: fc.constant(GRANTED),
    idToken: fc.oneof(
      {
        weight: 3,
        arbitrary: mutated(fc.constant(idClaims as Record<string, unknown>), 3).map((c) => jwt(c)),
      },
      { weight: 1, arbitrary: fc.constantFrom("", "a.b.c", "e30.WzFd.c", "e30.bnVsbA.c") },
    ),
  });
}

function brokerReply(account: AccountInfo): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: mutated(validBrokerReply(account), 3).map((r) => ({ brokerTokenResponse: r })),
    },
    { weight: 1, arbitrary: nastyValue.map((v) => ({ brokerTokenResponse: v })) },
    { weight: 1, arbitrary: nastyValue },
  );
}

describe("fuzz: broker replies through the real MSALRuntime", { skip: brokerSkip }, () => {
  let pca: PublicClientApplication;
  let account: AccountInfo;
  let counter = 0;

  before(async () => {
    await clearFaults();
    pca = new PublicClientApplication({
      clientId: CLIENT_ID,
      authority: "https://login.microsoftonline.com/organizations",
      enableBrokerOnLinux: true,
      broker: { silentTimeoutMs: 10_000, interactiveTimeoutMs: 10_000 },
    });
    const [first] = await pca.getAccounts();
    account = first
      ?? (await pca.acquireTokenInteractive({ scopes: ["openid"], parentWindowHandle: 1n }))
        .account;
  });

  after(async () => {
    await clearFaults();
    await pca?.close();
  });

  it("a silent call ends in a valid result or a typed error, whatever the broker replies", {
    // Each case asks for a new scope, and MSALRuntime keeps every token it got in its own
    // in-process cache, whose cost grows with its size (about 250 MB and 140 ms per call after
    // 400 scopes): a long run gives this property at most BROKER_RUNS_CAP cases.
    timeout: fuzzTestTimeout(25, 3_000, BROKER_RUNS_CAP),
  }, async () => {
    const faults = watchProcessFaults();
    try {
      await fc.assert(
        fc.asyncProperty(brokerReply(account), async (response) => {
          await clearFaults();
          const scopes = [`api://entra-auth-fuzz-${NOW_MS}-${++counter}/.default`];
          const reply = JSON.parse(
            JSON.stringify(response ?? null).split(JSON.stringify(GRANTED).slice(1, -1)).join(
              scopes[0],
            ),
          );
          await addFault({
            method: "acquireTokenSilently",
            kind: "reply",
            response: reply,
            count: 1,
          });
          const out = await settleAsync(
            () => pca.acquireTokenSilent({ scopes, account }),
            [...BROKER_CODES, "broker_timeout", "native_call_failed"],
            20_000,
          );
          if (out.ok) {
            const r = out.value;
            assert.equal(typeof r.accessToken, "string");
            assert.ok(
              r.expiresOn instanceof Date && Number.isFinite(r.expiresOn.getTime()),
              String(r.expiresOn),
            );
            assert.ok(
              r.idTokenClaims && typeof r.idTokenClaims === "object"
                && !Array.isArray(r.idTokenClaims),
            );
            for (
              const f of [
                "homeAccountId",
                "environment",
                "tenantId",
                "username",
                "localAccountId",
              ] as const
            ) {
              assert.equal(typeof r.account[f], "string", f);
            }
            assert.ok(r.scopes.every((s) => typeof s === "string" && s !== ""));
          } else {
            assert.ok(out.error instanceof EntraAuthError);
          }
          faults.check();
        }),
        fuzzParameters(25, {}, BROKER_RUNS_CAP),
      );
    } finally {
      faults.stop();
    }
  });
});
