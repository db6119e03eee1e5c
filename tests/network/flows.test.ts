import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { clearAuthorityCache } from "../../src/network/authority_metadata.ts";
import {
  acquireByAuthCode,
  acquireByDeviceCode,
  acquireByRefreshToken,
  type DeviceCodeInfo,
} from "../../src/network/client.ts";
import { decodeBase64urlJson } from "../../src/network/validate.ts";
import type { EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE,
  ALICE_OID,
  FAMILY_APP,
  fetchBrowser,
  LONE_APP,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com";

beforeEach(() => clearAuthorityCache());

async function rejectsWith(p: Promise<unknown>, code: string): Promise<EntraAuthError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EntraAuthError, `not an EntraAuthError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

function interactive(emulator: EntraEmulator, extra: Record<string, unknown> = {}) {
  return acquireByAuthCode({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    loginHint: ALICE,
    fetch: emulator.fetch,
    openBrowser: fetchBrowser(emulator),
    timeoutMs: 10_000,
    ...extra,
  });
}

describe("acquireByAuthCode (fetch as the browser)", () => {
  it("runs authorize with PKCE S256, state, nonce and the options; redeems the code", async () => {
    const emulator = makeNetworkEmulator();
    const { response, context, idTokenClaims } = await interactive(emulator, {
      domainHint: "contoso.com",
      extraQueryParameters: { msafed: "0" },
      extraScopesToConsent: ["Mail.Read"],
      claims: "{\"id_token\":{\"acrs\":{\"essential\":true,\"values\":[\"c1\"]}}}",
      clientCapabilities: ["CP1"],
      maxAge: 3600,
    });
    const authorize = emulator.requests().find((r) => r.endpoint === "authorize")!;
    const q = authorize.query;
    assert.equal(q.response_type, "code");
    assert.equal(q.code_challenge_method, "S256");
    assert.match(q.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.state, /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.nonce, /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.redirect_uri, /^http:\/\/localhost:\d+$/);
    assert.equal(q.scope, "User.Read Mail.Read openid profile offline_access");
    assert.equal(q.login_hint, ALICE);
    assert.equal(q.domain_hint, "contoso.com");
    assert.equal(q.max_age, "3600");
    assert.equal(q.msafed, "0");
    assert.equal(q.client_info, "1");
    assert.equal(q.response_mode, "query");
    assert.deepEqual(JSON.parse(q.claims), {
      id_token: { acrs: { essential: true, values: ["c1"] } },
      access_token: { xms_cc: { values: ["CP1"] } },
    });
    const token = emulator.requests().find((r) => r.endpoint === "token")!;
    assert.equal(token.form.grant_type, "authorization_code");
    assert.equal(token.form.redirect_uri, q.redirect_uri);
    assert.match(token.form.code_verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(token.form.scope, "User.Read openid profile offline_access");
    assert.equal(token.telemetry["x-client-current-telemetry"], "4|169,0|");

    assert.equal(response.token_type, "Bearer");
    assert.equal(typeof response.access_token, "string");
    assert.equal(typeof response.refresh_token, "string");
    assert.equal(response.foci, "1");
    assert.deepEqual(decodeBase64urlJson(response.client_info!, "ci"), {
      uid: ALICE_OID,
      utid: TEST_TENANT_ID,
    });
    assert.equal(idTokenClaims?.nonce, q.nonce);
    assert.equal(idTokenClaims?.preferred_username, ALICE);
    assert.deepEqual(
      { ...context, requestedAt: 0 },
      {
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        environment: "login.microsoftonline.com",
        tenant: "contoso.onmicrosoft.com",
        authorityType: "MSSTS",
        scopes: ["User.Read"],
        claims: "{\"id_token\":{\"acrs\":{\"essential\":true,\"values\":[\"c1\"]}}}",
        requestedAt: 0,
      },
    );
    assert.ok(Math.abs(context.requestedAt - Date.now() / 1000) < 60);
  });

  it("keeps a path and a fixed port of the redirect URI", async () => {
    const emulator = makeNetworkEmulator();
    const probe = await import("../../src/network/loopback_server.ts");
    const free = await probe.startLoopbackServer({ accept: () => true });
    const port = free.port;
    await free.close();
    await interactive(emulator, { redirectUri: `http://127.0.0.1:${port}/cb` });
    const authorize = emulator.requests().find((r) => r.endpoint === "authorize")!;
    assert.equal(authorize.query.redirect_uri, `http://127.0.0.1:${port}/cb`);
  });

  it("turns redirect errors into typed errors", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "error",
      error: "access_denied",
      code: 65004,
      match: { endpoint: "authorize" },
    });
    const denied = await rejectsWith(interactive(emulator), "server_error");
    assert.ok(denied instanceof ServerError);
    assert.equal(denied.error, "access_denied");
    assert.deepEqual(denied.errorCodes, [65004]);
    assert.match(denied.correlationId ?? "", /^[0-9a-f-]{36}$/);

    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      claims: "{\"access_token\":{\"acrs\":{\"essential\":true,\"values\":[\"p1\"]}}}",
      match: { endpoint: "authorize" },
    });
    const ir = await rejectsWith(interactive(emulator), "interaction_required");
    assert.ok(ir instanceof InteractionRequiredError);
    assert.equal(ir.server?.error, "interaction_required");
    assert.equal(
      ir.claims,
      "{\"access_token\":{\"acrs\":{\"essential\":true,\"values\":[\"p1\"]}}}",
    );
    assert.ok(!emulator.requests().some((r) => r.endpoint === "token"));
  });

  it("ignores a redirect with a forged state and waits for the real one", async () => {
    const emulator = makeNetworkEmulator();
    const statuses: number[] = [];
    const browser = fetchBrowser(emulator);
    const result = await interactive(emulator, {
      redirectUri: "http://127.0.0.1",
      openBrowser: async (url: string) => {
        const redirect = new URL(new URL(url).searchParams.get("redirect_uri")!);
        const forged = await fetch(`${redirect.origin}/?code=forged&state=attacker`);
        statuses.push(forged.status);
        await forged.body?.cancel();
        await browser(url);
      },
    });
    assert.deepEqual(statuses, [400]);
    assert.equal(typeof result.response.access_token, "string");
  });

  it("reports a refused authorization code as invalid_grant", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "error",
      error: "invalid_grant",
      code: 70008,
      match: { endpoint: "token", grantType: "authorization_code" },
    });
    const err = await rejectsWith(interactive(emulator), "invalid_grant");
    assert.ok(err instanceof ServerError);
    assert.deepEqual(err.errorCodes, [70008]);
  });

  it("retries a throttled code redemption and fails on a malformed reply", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "status", status: 429, retryAfter: 0, match: { endpoint: "token" } });
    const { response } = await interactive(emulator);
    assert.equal(typeof response.access_token, "string");
    assert.deepEqual(
      emulator.requests().filter((r) => r.endpoint === "token").map((r) => r.status),
      [429, 200],
    );
    emulator.addFault({ kind: "truncated", match: { endpoint: "token" } });
    await rejectsWith(interactive(emulator), "invalid_response");
  });

  it("times out and cancels while waiting for the browser, closing the port", async () => {
    const emulator = makeNetworkEmulator();
    let port = 0;
    const neverRedirects = (url: string) => {
      port = Number(new URL(new URL(url).searchParams.get("redirect_uri")!).port);
    };
    await rejectsWith(
      interactive(emulator, { openBrowser: neverRedirects, timeoutMs: 100 }),
      "timeout",
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(
      interactive(emulator, { openBrowser: neverRedirects, signal: controller.signal }),
      "aborted",
    );
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`), "loopback port still open");
  });

  it("fails with no_browser when the opener cannot show one", async () => {
    const emulator = makeNetworkEmulator();
    const err = await rejectsWith(
      interactive(emulator, {
        openBrowser: () => {
          throw new EntraAuthError("no_browser", "no display; use device code");
        },
      }),
      "no_browser",
    );
    assert.match(err.message, /device code/);
  });
});

function deviceCode(emulator: EntraEmulator, extra: Record<string, unknown> = {}) {
  const shown: DeviceCodeInfo[] = [];
  const waits: number[] = [];
  const run = acquireByDeviceCode({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    scopes: ["User.Read"],
    fetch: emulator.fetch,
    deviceCodeCallback: (info) => {
      shown.push(info);
    },
    delay: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...extra,
  });
  return { run, shown, waits };
}

describe("acquireByDeviceCode", () => {
  it("shows the code, polls at the interval until approved, and returns the tokens", async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 2 } });
    let polls = 0;
    const { run, shown, waits } = deviceCode(emulator, {
      delay: (ms: number) => {
        waits.push(ms);
        if (++polls === 3) emulator.approveDeviceCode(shown[0].userCode, ALICE);
        return Promise.resolve();
      },
    });
    const { response, context } = await run;
    assert.equal(shown.length, 1);
    assert.match(shown[0].userCode, /^[A-Z0-9]{9}$/);
    assert.match(shown[0].message, new RegExp(shown[0].userCode));
    assert.match(shown[0].verificationUri, /\/oauth2\/deviceauth$/);
    assert.deepEqual(waits, [2000, 2000, 2000]);
    assert.equal(typeof response.access_token, "string");
    assert.equal(context.scopes[0], "User.Read");
    const tokens = emulator.requests().filter((r) => r.endpoint === "token");
    assert.equal(tokens.length, 3);
    assert.equal(tokens[0].form.grant_type, "urn:ietf:params:oauth:grant-type:device_code");
    assert.equal(tokens[0].telemetry["x-client-current-telemetry"], "4|671,0|");
    const dc = emulator.requests().find((r) => r.endpoint === "devicecode")!;
    assert.equal(dc.form.scope, "User.Read openid profile offline_access");
  });

  it("adds 5 s to the interval on slow_down", async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    emulator.addFault({ kind: "error", error: "slow_down", match: { endpoint: "token" } });
    let polls = 0;
    const { run, shown, waits } = deviceCode(emulator, {
      delay: (ms: number) => {
        waits.push(ms);
        if (++polls === 3) emulator.approveDeviceCode(shown[0].userCode, ALICE);
        return Promise.resolve();
      },
    });
    await run;
    assert.deepEqual(waits, [1000, 6000, 6000]);
  });

  it("reports a declined sign-in as user_canceled", async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    const { run, shown } = deviceCode(emulator, {
      delay: () => {
        emulator.declineDeviceCode(shown[0].userCode);
        return Promise.resolve();
      },
    });
    const err = await rejectsWith(run, "user_canceled");
    assert.equal((err as ServerError).error, "authorization_declined");
  });

  it("reports expired_token and bad_verification_code", async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    const expiring = deviceCode(emulator, {
      delay: () => {
        emulator.advanceTime(3600);
        return Promise.resolve();
      },
    });
    const expired = await rejectsWith(expiring.run, "timeout");
    assert.equal((expired as ServerError).error, "expired_token");
    emulator.addFault({
      kind: "error",
      error: "bad_verification_code",
      match: { endpoint: "token" },
    });
    const bad = await rejectsWith(deviceCode(emulator).run, "server_error");
    assert.equal((bad as ServerError).error, "bad_verification_code");
  });

  it("stops when the code expires locally and when canceled", async () => {
    const emulator = makeNetworkEmulator({ lifetimes: { deviceCode: 1, deviceCodeInterval: 5 } });
    await rejectsWith(deviceCode(emulator).run, "timeout");
    const slow = makeNetworkEmulator({ lifetimes: { deviceCodeInterval: 1 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    await rejectsWith(
      deviceCode(slow, { signal: controller.signal, delay: undefined }).run,
      "aborted",
    );
    assert.ok(Date.now() - started < 900, "abort did not interrupt the wait");
  });

  it("rejects a malformed device code reply", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "malformed_json", match: { endpoint: "devicecode" } });
    const { run, shown } = deviceCode(emulator);
    await rejectsWith(run, "invalid_response");
    assert.equal(shown.length, 0);
  });
});

async function signedIn(emulator: EntraEmulator, clientId = TEST_CLIENT_ID) {
  const { run, shown } = deviceCode(emulator, {
    clientId,
    delay: () => {
      emulator.approveDeviceCode(shown[0].userCode, ALICE);
      return Promise.resolve();
    },
  });
  return (await run).response;
}

describe("acquireByRefreshToken", () => {
  it("redeems a refresh token and returns the rotated one", async () => {
    const emulator = makeNetworkEmulator();
    const first = await signedIn(emulator);
    const { response, context } = await acquireByRefreshToken({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      scopes: ["User.Read"],
      refreshToken: first.refresh_token!,
      fetch: emulator.fetch,
      cacheInfo: 3,
    });
    assert.equal(typeof response.access_token, "string");
    assert.notEqual(response.refresh_token, first.refresh_token);
    assert.equal(context.authorityType, "MSSTS");
    const token = emulator.requests().filter((r) => r.endpoint === "token").at(-1)!;
    assert.equal(token.form.grant_type, "refresh_token");
    assert.equal(token.form.client_info, "1");
    assert.equal(token.telemetry["x-client-current-telemetry"], "4|85,3|");
  });

  it("turns invalid_grant into InteractionRequiredError with the server's reply", async () => {
    const emulator = makeNetworkEmulator();
    const first = await signedIn(emulator);
    emulator.revokeRefreshTokens(ALICE);
    const err = await rejectsWith(
      acquireByRefreshToken({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        scopes: ["User.Read"],
        refreshToken: first.refresh_token!,
        fetch: emulator.fetch,
      }),
      "interaction_required",
    );
    assert.ok(err instanceof InteractionRequiredError);
    assert.equal(err.server?.error, "invalid_grant");
    assert.equal(err.server?.httpStatus, 400);
    assert.ok((err.server?.errorCodes ?? []).length > 0);
    assert.match(err.server?.correlationId ?? "", /^[0-9a-f-]{36}$/);
  });

  it("maps interaction_required with claims and suberror", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      suberror: "basic_action",
      claims: "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1\"}}}",
      match: { endpoint: "token", grantType: "refresh_token" },
    });
    const err = await rejectsWith(
      acquireByRefreshToken({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        scopes: ["User.Read"],
        refreshToken: "rt",
        fetch: emulator.fetch,
      }),
      "interaction_required",
    );
    assert.equal((err as InteractionRequiredError).server?.subError, "basic_action");
    assert.equal(
      (err as InteractionRequiredError).claims,
      "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1\"}}}",
    );
  });

  it("redeems a family refresh token for another family app, and not for an outsider", async () => {
    const emulator = makeNetworkEmulator();
    const first = await signedIn(emulator);
    assert.equal(first.foci, "1");
    const family = await acquireByRefreshToken({
      clientId: FAMILY_APP,
      authority: AUTHORITY,
      scopes: ["User.Read"],
      refreshToken: first.refresh_token!,
      familyId: "1",
      fetch: emulator.fetch,
    });
    assert.equal(family.context.clientId, FAMILY_APP);
    assert.equal(family.response.foci, "1");
    const err = await rejectsWith(
      acquireByRefreshToken({
        clientId: LONE_APP,
        authority: AUTHORITY,
        scopes: ["User.Read"],
        refreshToken: first.refresh_token!,
        familyId: "1",
        fetch: emulator.fetch,
      }),
      "interaction_required",
    );
    assert.match(err.message, /family refresh token/);
  });

  it("rejects empty arguments", async () => {
    await rejectsWith(
      acquireByRefreshToken({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        scopes: [],
        refreshToken: "",
      }),
      "invalid_argument",
    );
  });
});
