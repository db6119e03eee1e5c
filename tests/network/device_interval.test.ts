/**
 * A device-code `interval` the server gets wrong (huge, negative, NaN, a string) never turns
 * into a poll flood: it is clamped to 1…300 s, and a wait never overflows `setTimeout`
 * (which fires at once for anything above 2^31-1 ms).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { delay } from "../../src/network/abort.ts";
import { acquireByDeviceCode } from "../../src/network/client.ts";
import {
  MAX_DEVICE_CODE_LIFETIME_S,
  MAX_POLL_INTERVAL_S,
  processDeviceCodeResponse,
} from "../../src/network/device_code.ts";

const METADATA = {
  issuer: "http://127.0.0.1:9/t/v2.0",
  authorization_endpoint: "http://127.0.0.1:9/t/oauth2/v2.0/authorize",
  token_endpoint: "http://127.0.0.1:9/t/oauth2/v2.0/token",
  device_authorization_endpoint: "http://127.0.0.1:9/t/oauth2/v2.0/devicecode",
};

function reply(interval: unknown) {
  return processDeviceCodeResponse({
    status: 200,
    body: {
      user_code: "ABC",
      device_code: "d",
      verification_uri: "https://microsoft.com/devicelogin",
      expires_in: 900,
      interval,
    },
  }, Date.now());
}

describe("device code interval", { timeout: 60_000 }, () => {
  it("is clamped to 1…300 s; junk falls back to 5 s", () => {
    assert.equal(reply(2_200_000).interval, MAX_POLL_INTERVAL_S);
    assert.equal(reply(1e21).interval, MAX_POLL_INTERVAL_S);
    assert.equal(reply("1e21").interval, 5);
    assert.equal(reply(0).interval, 1);
    assert.equal(reply(-5).interval, 5);
    assert.equal(reply("-5").interval, 5);
    assert.equal(reply("abc").interval, 5);
    assert.equal(reply(null).interval, 5);
    assert.equal(reply(Number.NaN).interval, 5);
    assert.equal(reply("7").interval, 7);
    assert.equal(reply(2.5).interval, 2.5);
  });

  it("a huge expires_in is capped at a day, so expiresAt stays a valid Date", () => {
    const now = Date.now();
    const info = processDeviceCodeResponse({
      status: 200,
      body: {
        user_code: "ABC",
        device_code: "d",
        verification_uri: "https://microsoft.com/devicelogin",
        expires_in: "8638204003201",
      },
    }, now);
    assert.equal(info.expiresIn, MAX_DEVICE_CODE_LIFETIME_S);
    assert.equal(info.expiresAt, now + MAX_DEVICE_CODE_LIFETIME_S * 1000);
    assert.ok(Number.isFinite(new Date(info.expiresAt).getTime()));
  });

  it("a huge interval does not flood the token endpoint", async () => {
    let polls = 0;
    const controller = new AbortController();
    const fetch = (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      const json = (status: number, body: unknown) =>
        Promise.resolve(
          new Response(JSON.stringify(body), {
            status,
            headers: { "content-type": "application/json" },
          }),
        );
      if (url.endsWith("/devicecode")) {
        return json(200, {
          user_code: "ABC",
          device_code: "d",
          verification_uri: "https://microsoft.com/devicelogin",
          expires_in: 10_000_000,
          interval: 2_200_000, // 2.2e9 ms: beyond setTimeout's 2^31-1
        });
      }
      polls++;
      // A flood of polls that never waits starves the timer below: end it here instead.
      if (polls > 5) controller.abort();
      return json(400, { error: "authorization_pending" });
    };
    const timer = setTimeout(() => controller.abort(), 1_500);
    try {
      await assert.rejects(
        acquireByDeviceCode({
          clientId: "c",
          authority: "http://127.0.0.1:9/t",
          authorityMetadata: METADATA,
          scopes: ["User.Read"],
          fetch,
          signal: controller.signal,
          deviceCodeCallback: () => {},
        }),
        (err) => err instanceof EntraAuthError && err.code === "aborted",
      );
    } finally {
      clearTimeout(timer);
    }
    assert.ok(polls <= 1, `${polls} polls in 1.5 s`);
  });

  it("delay() never fires early for a wait beyond setTimeout's range", async () => {
    const controller = new AbortController();
    let fired = false;
    const waiting = delay(2 ** 31 + 10, controller.signal, "test").then(() => (fired = true));
    waiting.catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await assert.rejects(waiting);
    assert.equal(fired, false);
  });
});
