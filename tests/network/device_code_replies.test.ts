/**
 * The device-code flow's replies (src/network/device_code.ts): the device authorization reply
 * read field by field (fallbacks, message, errors), the request's form, and the polling's
 * outcomes (declined, a 200 that is no token, the app's signal). Every poll loop here is
 * bounded: a fake server that is polled too often throws instead of looping.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError, ServerError } from "../../src/errors.ts";
import {
  type DeviceCodeInfo,
  pollDeviceCode,
  processDeviceCodeResponse,
  requestDeviceCode,
} from "../../src/network/device_code.ts";
import type { FetchLike } from "../../src/network/http.ts";

const CLIENT = "11111111-1111-1111-1111-111111111111";
const GRANT = { clientId: CLIENT, scopes: ["openid"] };
const ENDPOINT = "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode";
const TOKEN = "https://login.microsoftonline.com/common/oauth2/v2.0/token";

const BODY = {
  user_code: "ABC",
  device_code: "d",
  verification_uri: "https://microsoft.com/devicelogin",
  expires_in: 900,
};

const ok = (body: Record<string, unknown>) => processDeviceCodeResponse({ status: 200, body }, 0);

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A token endpoint answering each poll from `replies` (the last one repeats), at most 20. */
function server(...replies: [number, unknown][]) {
  const forms: URLSearchParams[] = [];
  const fetch: FetchLike = (_url, init) => {
    forms.push(new URLSearchParams(String(init?.body)));
    if (forms.length > 20) {
      return Promise.reject(new Error("polled 20 times: the loop does not end"));
    }
    const [status, body] = replies[Math.min(forms.length, replies.length) - 1];
    return Promise.resolve(json(status, body));
  };
  return { fetch, forms };
}

function info(overrides: Partial<DeviceCodeInfo> = {}): DeviceCodeInfo {
  return {
    userCode: "ABC",
    deviceCode: "the-device-code",
    verificationUri: "https://microsoft.com/devicelogin",
    expiresIn: 900,
    interval: 1,
    message: "m",
    expiresAt: Date.now() + 900_000,
    ...overrides,
  };
}

const noWait = { delay: () => Promise.resolve() };

describe("the device authorization reply", () => {
  it("an interval as a numeric string, with several digits or decimals", () => {
    assert.equal(ok({ ...BODY, interval: "12" }).interval, 12);
    assert.equal(ok({ ...BODY, interval: " 2.5 " }).interval, 2.5);
    assert.equal(ok({ ...BODY, interval: "2.55" }).interval, 2.55);
    // Not a number, nor a string: the default, even when its text would read as one.
    assert.equal(ok({ ...BODY, interval: [7] }).interval, 5);
  });

  it("verification_url (ADFS, older Entra) when verification_uri is absent or empty", () => {
    const url = "https://adfs.contoso.com/adfs/oauth2/deviceauth";
    assert.equal(
      ok({ ...BODY, verification_uri: undefined, verification_url: url }).verificationUri,
      url,
    );
    assert.equal(ok({ ...BODY, verification_uri: "", verification_url: url }).verificationUri, url);
  });

  it("the server's message, trimmed; a blank one is replaced by ours", () => {
    assert.equal(ok({ ...BODY, message: "  Go to the page.  " }).message, "Go to the page.");
    assert.equal(
      ok({ ...BODY, message: "   " }).message,
      "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and "
        + "enter the code ABC to authenticate.",
    );
  });

  it("verification_uri_complete only when the server sends it", () => {
    const complete = "https://microsoft.com/devicelogin?otc=ABC";
    assert.equal(
      ok({ ...BODY, verification_uri_complete: complete }).verificationUriComplete,
      complete,
    );
    assert.equal("verificationUriComplete" in ok(BODY), false);
  });

  it("names what is missing", () => {
    assert.throws(
      () => ok({ ...BODY, expires_in: undefined }),
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "invalid_response"
        && /device code response: expires_in is missing/.test(err.message),
    );
    assert.throws(
      () => ok({ ...BODY, user_code: undefined }),
      (err: unknown) => err instanceof EntraAuthError && /device code response/.test(err.message),
    );
  });

  it("an error reply: the server's error when it has one, else the HTTP status", () => {
    assert.throws(
      () =>
        processDeviceCodeResponse({
          status: 400,
          body: { error: "invalid_client", error_description: "AADSTS7000218: no." },
        }, 0),
      (err: unknown) => err instanceof ServerError && err.error === "invalid_client",
    );
    assert.throws(
      () => processDeviceCodeResponse({ status: 502, body: {} }, 0),
      (err: unknown) =>
        err instanceof EntraAuthError && !(err instanceof ServerError)
        && err.code === "invalid_response" && /device code request: HTTP 502/.test(err.message),
    );
  });
});

describe("requestDeviceCode", { timeout: 10_000 }, () => {
  it("sends the claims only when the app asked for some", async () => {
    const forms: URLSearchParams[] = [];
    const fetch: FetchLike = (_url, init) => {
      forms.push(new URLSearchParams(String(init?.body)));
      return Promise.resolve(json(200, BODY));
    };
    await requestDeviceCode(ENDPOINT, GRANT, { fetch });
    await requestDeviceCode(ENDPOINT, { ...GRANT, claims: "{\"id_token\":{}}" }, { fetch });
    assert.equal(forms[0].has("claims"), false);
    assert.equal(forms[1].get("claims"), "{\"id_token\":{}}");
    assert.equal(forms[1].get("client_id"), CLIENT);
  });

  it("names the request when the network fails", async () => {
    const fetch: FetchLike = () => Promise.reject(new TypeError("connection refused"));
    await assert.rejects(
      requestDeviceCode(ENDPOINT, GRANT, { fetch }),
      (err: unknown) => err instanceof EntraAuthError && /^device code request /.test(err.message),
    );
  });
});

describe("pollDeviceCode's outcomes", { timeout: 10_000 }, () => {
  it("access_denied, like authorization_declined, is the user's no", async () => {
    for (const error of ["access_denied", "authorization_declined"]) {
      const { fetch } = server([400, { error: "authorization_pending" }], [400, { error }]);
      await assert.rejects(
        pollDeviceCode(TOKEN, info(), GRANT, GRANT, { fetch }, noWait),
        (err: unknown) =>
          err instanceof ServerError && err.code === "user_canceled"
          && err.message === "The user declined the device code sign-in.",
        error,
      );
    }
  });

  it("a 200 reply is read as tokens, whatever error it names", async () => {
    const { fetch, forms } = server([200, { error: "authorization_pending" }]);
    await assert.rejects(
      pollDeviceCode(TOKEN, info(), GRANT, GRANT, { fetch }, noWait),
      (err: unknown) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
    assert.equal(forms.length, 1);
    assert.equal(forms[0].get("device_code"), "the-device-code");
  });

  it("the local expiry's message says what to do", async () => {
    const { fetch } = server([400, { error: "authorization_pending" }]);
    await assert.rejects(
      pollDeviceCode(TOKEN, info({ expiresAt: Date.now() + 500 }), GRANT, GRANT, { fetch }, noWait),
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "timeout"
        && err.message
          === "The device code expired after 900 s before the user completed the sign-in. Start again.",
    );
  });

  it("names the poll when the network fails", async () => {
    const fetch: FetchLike = () => Promise.reject(new TypeError("connection refused"));
    await assert.rejects(
      pollDeviceCode(TOKEN, info(), GRANT, GRANT, { fetch }, noWait),
      (err: unknown) =>
        err instanceof EntraAuthError && /^device code token request /.test(err.message),
    );
  });

  it("the app's signal (options.signal) ends the default wait", async () => {
    const { fetch, forms } = server([400, { error: "authorization_pending" }]);
    const controller = new AbortController();
    const polling = pollDeviceCode(
      TOKEN,
      info({ expiresAt: Date.now() + 1_500 }),
      GRANT,
      GRANT,
      { fetch },
      { signal: controller.signal },
    );
    controller.abort();
    await assert.rejects(
      polling,
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "aborted"
        && err.message === "The device code sign-in was canceled by the application.",
    );
    assert.equal(forms.length, 0);
  });
});
