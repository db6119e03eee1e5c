import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EntraEmulator, TEST_CLIENT_ID } from "../../src/testing/entra_emulator/mod.ts";
import {
  ALICE_OID,
  authorizeCode,
  CONSENT_APP,
  FAMILY_APP,
  LONE_APP,
  makeEmulator,
  postForm,
  REDIRECT,
  verifyJwt,
} from "./entra_emulator_helpers.ts";

// These tests inject the emulator as fetch and address real Entra host names.
const AUTHORITY = "https://login.microsoftonline.com/common";
const TOKEN = `${AUTHORITY}/oauth2/v2.0/token`;
const DEVICE = `${AUTHORITY}/oauth2/v2.0/devicecode`;
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

async function tokensFor(emulator: EntraEmulator): Promise<Record<string, string>> {
  const { params, verifier } = await authorizeCode(emulator, AUTHORITY);
  const res = await postForm(emulator.fetch, TOKEN, {
    client_id: TEST_CLIENT_ID,
    grant_type: "authorization_code",
    code: params.get("code") ?? "",
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_info: "1",
  });
  assert.equal(res.status, 200);
  return await res.json() as Record<string, string>;
}

function refresh(
  emulator: EntraEmulator,
  token: string,
  clientId = TEST_CLIENT_ID,
  scope = "openid offline_access User.Read",
) {
  return postForm(emulator.fetch, TOKEN, {
    client_id: clientId,
    grant_type: "refresh_token",
    refresh_token: token,
    scope,
    client_info: "1",
  });
}

async function errorCode(res: Response): Promise<[number, string, number]> {
  const body = await res.json() as { error: string; error_codes: number[]; };
  return [res.status, body.error, body.error_codes[0]];
}

describe("refresh tokens", () => {
  it("rotates: a new refresh token each time, the old one stays valid by default", async () => {
    const emulator = makeEmulator({ lifetimes: { refreshIn: 1800, accessToken: 4000 } });
    const first = await tokensFor(emulator);
    const res = await refresh(
      emulator,
      first.refresh_token,
      TEST_CLIENT_ID,
      "openid offline_access https://graph.microsoft.com/Mail.Read",
    );
    assert.equal(res.status, 200);
    const second = await res.json();
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(second.refresh_in, 1800);
    assert.equal(second.expires_in, 4000);
    assert.equal(second.scope, "Mail.Read openid");
    const claims = await verifyJwt(second.access_token, await emulator.jwks());
    assert.equal(claims.scp, "Mail.Read");
    assert.equal(claims.exp, Number(claims.iat) + 4000);
    const id = await verifyJwt(second.id_token, await emulator.jwks());
    assert.equal(id.iss, `https://login.microsoftonline.com/${id.tid}/v2.0`);
    assert.equal(
      (await refresh(emulator, first.refresh_token)).status,
      200,
      "old refresh token still valid",
    );
    assert.deepEqual(await errorCode(await refresh(emulator, "not-a-token")), [
      400,
      "invalid_grant",
      9002313,
    ]);
    assert.deepEqual(
      await errorCode(
        await refresh(
          emulator,
          first.refresh_token,
          TEST_CLIENT_ID,
          "https://graph.microsoft.com/User.Read api://other/x",
        ),
      ),
      [400, "invalid_scope", 28000],
    );
  });

  it("revokes redeemed refresh tokens when configured", async () => {
    const emulator = makeEmulator({ revokeRedeemedRefreshTokens: true });
    const first = await tokensFor(emulator);
    const res = await refresh(emulator, first.refresh_token);
    assert.equal(res.status, 200);
    const second = await res.json();
    assert.deepEqual(await errorCode(await refresh(emulator, first.refresh_token)), [
      400,
      "invalid_grant",
      50173,
    ]);
    assert.equal((await refresh(emulator, second.refresh_token)).status, 200);
  });

  it("expires refresh tokens and supports revocation through the API", async () => {
    const emulator = makeEmulator({ lifetimes: { refreshToken: 100 } });
    const first = await tokensFor(emulator);
    emulator.advanceTime(101);
    assert.deepEqual(await errorCode(await refresh(emulator, first.refresh_token)), [
      400,
      "invalid_grant",
      700082,
    ]);
    const second = await tokensFor(emulator);
    assert.equal(emulator.revokeRefreshTokens("alice@contoso.onmicrosoft.com"), 2);
    assert.deepEqual(await errorCode(await refresh(emulator, second.refresh_token)), [
      400,
      "invalid_grant",
      50173,
    ]);
  });

  it("lets FOCI family apps redeem each other's refresh tokens, and no one else", async () => {
    const emulator = makeEmulator();
    const first = await tokensFor(emulator);
    assert.equal(first.foci, "1");
    const res = await refresh(emulator, first.refresh_token, FAMILY_APP);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.foci, "1");
    const id = await verifyJwt(body.id_token, await emulator.jwks());
    assert.equal(id.aud, FAMILY_APP);
    assert.equal(id.oid, ALICE_OID);
    // The family app's refresh token works back in the first app.
    assert.equal((await refresh(emulator, body.refresh_token, TEST_CLIENT_ID)).status, 200);
    assert.deepEqual(await errorCode(await refresh(emulator, first.refresh_token, LONE_APP)), [
      400,
      "invalid_grant",
      70000,
    ]);
    const lone = await (await refresh(emulator, first.refresh_token, TEST_CLIENT_ID)).json();
    assert.equal(lone.foci, "1");
    // An app needing consent gets consent_required.
    const consent = await refresh(emulator, first.refresh_token, CONSENT_APP);
    assert.equal(consent.status, 400);
  });
});

describe("device code", () => {
  async function start(emulator: EntraEmulator, clientId = TEST_CLIENT_ID) {
    const res = await postForm(emulator.fetch, DEVICE, {
      client_id: clientId,
      scope: "openid offline_access User.Read",
    });
    assert.equal(res.status, 200);
    return await res.json() as {
      user_code: string;
      device_code: string;
      verification_uri: string;
      expires_in: number;
      interval: number;
      message: string;
    };
  }
  const poll = (emulator: EntraEmulator, deviceCode: string, clientId = TEST_CLIENT_ID) =>
    postForm(emulator.fetch, TOKEN, {
      client_id: clientId,
      grant_type: DEVICE_GRANT,
      device_code: deviceCode,
    });

  it("issues a device code and walks the verification page to tokens", async () => {
    const emulator = makeEmulator();
    const dc = await start(emulator);
    assert.match(dc.user_code, /^[A-Z0-9]{9}$/);
    assert.equal(dc.verification_uri, "https://login.microsoftonline.com/common/oauth2/deviceauth");
    assert.equal(dc.expires_in, 900);
    assert.equal(dc.interval, 5);
    assert.ok(dc.message.includes(dc.user_code) && dc.message.includes(dc.verification_uri));
    assert.deepEqual(await errorCode(await poll(emulator, dc.device_code)), [
      400,
      "authorization_pending",
      70016,
    ]);

    const page = await emulator.fetch(dc.verification_uri);
    assert.match(await page.text(), /name="otc"/);
    const wrongCode = await postForm(emulator.fetch, dc.verification_uri, {
      step: "code",
      otc: "NOPE",
    });
    assert.match(await wrongCode.text(), /AADSTS70018/);
    const signin = await postForm(emulator.fetch, dc.verification_uri, {
      step: "code",
      otc: dc.user_code.toLowerCase(),
    });
    assert.match(await signin.text(), /Sign in to Family One/);
    const badPw = await postForm(emulator.fetch, dc.verification_uri, {
      step: "signin",
      otc: dc.user_code,
      username: "alice@contoso.onmicrosoft.com",
      password: "x",
      action: "approve",
    });
    assert.match(await badPw.text(), /AADSTS50126/);
    const done = await postForm(emulator.fetch, dc.verification_uri, {
      step: "signin",
      otc: dc.user_code,
      username: "alice@contoso.onmicrosoft.com",
      password: "pw-alice",
      action: "approve",
    });
    assert.match(await done.text(), /You have signed in to Family One/);
    const res = await poll(emulator, dc.device_code);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(body.refresh_token);
    assert.equal((await verifyJwt(body.id_token, await emulator.jwks())).oid, ALICE_OID);
    assert.deepEqual(await errorCode(await poll(emulator, dc.device_code)), [
      400,
      "bad_verification_code",
      70019,
    ]);
  });

  it("answers authorization_declined, expired_token, bad_verification_code and slow_down", async () => {
    const emulator = makeEmulator({ deviceCodeSlowDown: true });
    const declined = await start(emulator);
    await postForm(emulator.fetch, declined.verification_uri, {
      step: "signin",
      otc: declined.user_code,
      action: "decline",
    });
    assert.deepEqual(await errorCode(await poll(emulator, declined.device_code)), [
      400,
      "authorization_declined",
      70000,
    ]);

    const slow = await start(emulator);
    assert.deepEqual(await errorCode(await poll(emulator, slow.device_code)), [
      400,
      "authorization_pending",
      70016,
    ]);
    assert.deepEqual(await errorCode(await poll(emulator, slow.device_code)), [
      400,
      "slow_down",
      70016,
    ]);
    emulator.advanceTime(9);
    assert.deepEqual(await errorCode(await poll(emulator, slow.device_code)), [
      400,
      "slow_down",
      70016,
    ], "interval was 10 s, now 15 s");
    emulator.advanceTime(15);
    assert.deepEqual(await errorCode(await poll(emulator, slow.device_code)), [
      400,
      "authorization_pending",
      70016,
    ]);
    emulator.approveDeviceCode(slow.user_code, "alice@contoso.onmicrosoft.com");
    emulator.advanceTime(16);
    assert.equal((await poll(emulator, slow.device_code)).status, 200);

    const other = await start(emulator);
    assert.deepEqual(await errorCode(await poll(emulator, other.device_code, FAMILY_APP)), [
      400,
      "bad_verification_code",
      70019,
    ]);
    assert.deepEqual(await errorCode(await poll(emulator, "garbage")), [
      400,
      "bad_verification_code",
      70019,
    ]);
    emulator.advanceTime(901);
    assert.deepEqual(await errorCode(await poll(emulator, other.device_code)), [
      400,
      "expired_token",
      70020,
    ]);
    assert.throws(
      () => emulator.approveDeviceCode(other.user_code, "alice@contoso.onmicrosoft.com"),
      /expired/,
    );
  });

  it("takes decisions through the control endpoint", async () => {
    const emulator = makeEmulator();
    const dc = await start(emulator);
    const res = await emulator.fetch(`http://127.0.0.1/_emulator/devicecodes/${dc.user_code}`, {
      method: "POST",
      body: JSON.stringify({ action: "approve", username: "alice@contoso.onmicrosoft.com" }),
    });
    assert.equal(res.status, 200);
    assert.equal((await poll(emulator, dc.device_code)).status, 200);
  });
});
