/**
 * Device code polling stops at the code's expiry: no poll is sent when the next one would
 * fall after `expires_in`, and the local expiry is an `EntraAuthError` with code `timeout`
 * (not a server reply). The clock is virtual: each wait moves it forward.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError, ServerError } from "../../src/errors.ts";
import { type DeviceCodeInfo, pollDeviceCode } from "../../src/network/device_code.ts";
import type { FetchLike } from "../../src/network/http.ts";

const PENDING = JSON.stringify({
  error: "authorization_pending",
  error_description: "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.",
  error_codes: [70016],
});

async function pollWithVirtualClock(expiresInMs: number, intervalS: number) {
  const realNow = Date.now;
  let now = realNow();
  const start = now;
  const polls: number[] = [];
  Date.now = () => now;
  try {
    const info: DeviceCodeInfo = {
      userCode: "ABCD1234",
      deviceCode: "the-device-code",
      verificationUri: "https://login.microsoftonline.com/common/oauth2/deviceauth",
      expiresIn: expiresInMs / 1000,
      interval: intervalS,
      message: "Enter ABCD1234",
      expiresAt: start + expiresInMs,
    };
    const fetch: FetchLike = () => {
      polls.push(now - start);
      // A loop that never reaches the expiry fails instead of hanging (the clock is virtual).
      if (polls.length > 100) throw new Error("polled 100 times: the expiry never came");
      return Promise.resolve(
        new Response(PENDING, { status: 400, headers: { "content-type": "application/json" } }),
      );
    };
    const err = await pollDeviceCode(
      "https://login.microsoftonline.com/common/oauth2/v2.0/token",
      info,
      { clientId: "11111111-1111-1111-1111-111111111111", scopes: ["openid"] },
      { clientId: "11111111-1111-1111-1111-111111111111", scopes: ["openid"] },
      { fetch },
      {
        delay: (ms) => {
          now += ms;
          return Promise.resolve();
        },
      },
    ).then(() => undefined, (e) => e);
    return { err, polls };
  } finally {
    Date.now = realNow;
  }
}

describe("device code expiry", () => {
  it("sends no poll that would fall after the code's expiry", { timeout: 10_000 }, async () => {
    const { err, polls } = await pollWithVirtualClock(2_500, 1);
    assert.deepEqual(polls, [1_000, 2_000], "polls at 1 s and 2 s; 3 s is past the expiry");
    assert.ok(err instanceof EntraAuthError && !(err instanceof ServerError), String(err));
    assert.equal(err.code, "timeout");
    assert.match(err.message, /expired/);
  });

  it("polls up to the very end of the code's life", { timeout: 10_000 }, async () => {
    const { err, polls } = await pollWithVirtualClock(3_000, 1);
    assert.deepEqual(polls, [1_000, 2_000, 3_000]);
    assert.equal((err as EntraAuthError).code, "timeout");
  });

  it("a code that expires before the first interval is never polled", {
    timeout: 10_000,
  }, async () => {
    const { err, polls } = await pollWithVirtualClock(4_000, 5);
    assert.deepEqual(polls, []);
    assert.equal((err as EntraAuthError).code, "timeout");
  });
});
