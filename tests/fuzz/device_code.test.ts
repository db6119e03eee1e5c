/**
 * Fuzzing the device code flow: the device authorization reply, and the polling replies
 * (pending, slow_down, declined, expired, a token, junk) with the waits they cause.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ErrorCode } from "../../src/errors.ts";
import {
  type DeviceCodeInfo,
  pollDeviceCode,
  processDeviceCodeResponse,
} from "../../src/network/device_code.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
  settle,
  settleAsync,
  watchProcessFaults,
} from "../support/fuzz.ts";
import { CLIENT_ID, mutated, nastyValue, oddString } from "../support/fuzz_arbitraries.ts";

/** The longest wait a JavaScript timer honours (2^31 − 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const NOW = Date.UTC(2026, 10, 30);

const validDeviceCode = fc.record({
  user_code: fc.constantFrom("ABCD-EFGH", "G7QJ3Q2MB", "\u00c5\u00c4\u00d6"),
  device_code: fc.string({ minLength: 1, maxLength: 200 }),
  verification_uri: fc.constantFrom(
    "https://microsoft.com/devicelogin",
    "https://id.example/device",
  ),
  verification_url: fc.constant("https://microsoft.com/devicelogin"),
  verification_uri_complete: fc.constant("https://id.example/device?user_code=ABCD-EFGH"),
  expires_in: fc.oneof(
    fc.integer({ min: 1, max: 1800 }),
    fc.integer({ min: 1, max: 1800 }).map(String),
  ),
  interval: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom("5", 5.5)),
  message: fc.string({ unit: "grapheme", maxLength: 80 }),
}, { requiredKeys: ["user_code", "device_code", "expires_in"] });

const deviceReply = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(200, 200, 400), mutated(validDeviceCode, 3)) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(400, 401, 200),
      mutated(
        fc.record({ error: fc.constantFrom("invalid_client", "invalid_scope", "invalid_grant") }),
      ),
    ),
  },
).map(([status, body]) => ({ status, body }));

const CODES: readonly ErrorCode[] = ["invalid_response", "server_error", "interaction_required"];

function checkInfo(info: DeviceCodeInfo): void {
  for (const name of ["userCode", "deviceCode", "verificationUri", "message"] as const) {
    assert.ok(typeof info[name] === "string" && info[name] !== "", name);
  }
  assert.notEqual(info.message.trim(), "", "the user is told where to go");
  assert.ok(Number.isFinite(info.expiresIn) && info.expiresIn >= 0);
  assert.ok(Number.isFinite(info.interval) && info.interval >= 1);
  assert.ok(
    info.verificationUriComplete === undefined || typeof info.verificationUriComplete === "string",
  );
}

/** One polling reply. */
const pollReply = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      { status: 400, body: "{\"error\":\"authorization_pending\"}" },
      { status: 400, body: "{\"error\":\"slow_down\"}" },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { status: 400, body: "{\"error\":\"authorization_declined\"}" },
      { status: 400, body: "{\"error\":\"access_denied\"}" },
      { status: 400, body: "{\"error\":\"expired_token\"}" },
      { status: 400, body: "{\"error\":\"bad_verification_code\"}" },
      { status: 400, body: "{\"error\":\"invalid_grant\",\"error_codes\":[70000]}" },
      {
        status: 200,
        body: "{\"token_type\":\"Bearer\",\"access_token\":\"at\",\"expires_in\":3599}",
      },
      { status: 200, body: "{\"access_token\":\"at\"}" },
      { status: 400, body: "{\"error\":\"\"}" },
      { status: 400, body: "{}" },
    ),
  },
  {
    weight: 1,
    arbitrary: nastyValue.map((v) => ({ status: 400, body: JSON.stringify({ error: v }) })),
  },
  { weight: 1, arbitrary: oddString.map((body) => ({ status: 400, body })) },
);

describe("fuzz: device code", () => {
  it("the device authorization reply gives a usable code or a typed error", {
    timeout: fuzzTestTimeout(400, 10),
  }, () => {
    fc.assert(
      fc.property(deviceReply, (reply) => {
        const out = settle(() => processDeviceCodeResponse(reply, NOW), CODES);
        if (out.ok) {
          assert.equal(reply.status, 200);
          checkInfo(out.value);
        }
      }),
      fuzzParameters(400),
    );
  });

  it(
    "the reply's interval and lifetime are ones a timer and a Date can honour",
    {
      timeout: fuzzTestTimeout(400, 10),
    },
    () => {
      fc.assert(
        fc.property(deviceReply, (reply) => {
          const out = settle(() => processDeviceCodeResponse(reply, NOW), CODES);
          if (!out.ok) return;
          assert.ok(out.value.interval * 1000 <= MAX_TIMER_MS, `interval ${out.value.interval}`);
          assert.ok(
            Number.isFinite(new Date(out.value.expiresAt).getTime()),
            `expiresAt ${out.value.expiresAt}`,
          );
        }),
        fuzzParameters(400),
      );
    },
  );

  it("polling ends in tokens or a typed error, waiting the interval (+5 s per slow_down)", {
    timeout: fuzzTestTimeout(200, 100),
  }, async () => {
    const faults = watchProcessFaults();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(pollReply, { maxLength: 30 }),
          fc.integer({ min: 1, max: 10 }),
          fc.integer({ min: 1, max: 900 }),
          async (replies, interval, expiresIn) => {
            const info: DeviceCodeInfo = {
              userCode: "U",
              deviceCode: "D",
              verificationUri: "https://microsoft.com/devicelogin",
              expiresIn,
              interval,
              message: "m",
              expiresAt: Date.now() + expiresIn * 1000,
            };
            let polls = 0;
            let slowDowns = 0;
            const waits: number[] = [];
            const fetch = () => {
              const next = replies[polls++]
                ?? { status: 400, body: "{\"error\":\"expired_token\"}" };
              return Promise.resolve(
                new Response(next.body, {
                  status: next.status,
                  headers: { "content-type": "application/json" },
                }),
              );
            };
            const delay = (ms: number) => {
              waits.push(ms);
              if (polls > 0 && replies[polls - 1]?.body === "{\"error\":\"slow_down\"}") {
                slowDowns++;
              }
              return Promise.resolve();
            };
            const out = await settleAsync(
              () =>
                pollDeviceCode(
                  "http://127.0.0.1:9/token",
                  info,
                  { clientId: CLIENT_ID, scopes: ["openid"] },
                  { clientId: CLIENT_ID, scopes: ["openid"] },
                  { fetch, maxRetryAfterMs: 0, requestTimeoutMs: 5_000 },
                  { delay },
                ),
              [...CODES, "user_canceled", "timeout", "nonce_mismatch"],
              5_000,
            );
            if (out.ok) assert.ok(out.value.response.access_token);
            assert.ok(polls <= replies.length + 1, "no poll after the server ended it");
            assert.equal(waits.length, polls, "one wait before each poll");
            for (const ms of waits) {
              assert.ok(Number.isFinite(ms) && ms >= 1000 && ms <= MAX_TIMER_MS, `wait ${ms}`);
            }
            assert.equal(waits.at(-1) ?? interval * 1000, (interval + 5 * slowDowns) * 1000);
            faults.check();
          },
        ),
        fuzzParameters(200),
      );
    } finally {
      faults.stop();
    }
  });
});
