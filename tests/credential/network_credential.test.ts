/**
 * EntraAuthCredential without a broker, against the Entra ID emulator: interactive sign-in
 * (browser flow) only through authenticate() or when allowed, silent tokens from the cache
 * afterwards, and a token for a named tenant from a derived app that shares the cache.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import {
  decodeJwtClaims,
  EntraAuthCredential,
  EntraAuthError,
  InteractionRequiredError,
} from "../../mod.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const SCOPE = "https://graph.microsoft.com/User.Read";

function setup(allowInteraction = false) {
  const emulator = makeNetworkEmulator();
  const credential = new EntraAuthCredential({
    app: {
      clientId: TEST_CLIENT_ID,
      authority: "https://login.microsoftonline.com/organizations",
      fetch: emulator.fetch,
      openBrowser: fetchBrowser(emulator),
    },
    loginHint: ALICE,
    allowInteraction,
  });
  const tokenCalls = () => emulator.requests().filter((r) => r.path.endsWith("/oauth2/v2.0/token"));
  return { emulator, credential, tokenCalls };
}

describe("EntraAuthCredential without a broker (Entra ID emulator)", () => {
  it("needs authenticate() when interaction is off, then serves tokens silently", {
    timeout: 30_000,
  }, async () => {
    const { credential, tokenCalls } = setup();
    await assert.rejects(credential.getToken(SCOPE), InteractionRequiredError);
    assert.equal(tokenCalls().length, 0);
    const account = await credential.authenticate(SCOPE);
    assert.equal(account.username, ALICE);
    const calls = tokenCalls().length;
    const token = await credential.getToken(SCOPE);
    assert.equal(decodeJwtClaims(token.token).tid, TEST_TENANT_ID);
    assert.equal(tokenCalls().length, calls, "served from the cache");
    assert.ok(token.refreshAfterTimestamp > Date.now());
  });

  it("signs in through the browser by itself when allowed", { timeout: 30_000 }, async () => {
    const { credential } = setup(true);
    const token = await credential.getToken([SCOPE]);
    assert.equal(credential.account?.username, ALICE);
    assert.ok(token.token);
  });

  it("gets a token for a named tenant from the account's cached refresh token", {
    timeout: 30_000,
  }, async () => {
    const { credential, tokenCalls } = setup();
    await credential.authenticate(SCOPE);
    const before = tokenCalls().length;
    const token = await credential.getToken(SCOPE, { tenantId: TEST_TENANT_ID });
    assert.equal(decodeJwtClaims(token.token).tid, TEST_TENANT_ID);
    // The derived app for that tenant found the account in the shared cache: no sign-in.
    const after = tokenCalls().slice(before);
    for (const call of after) {
      assert.equal((call.form as Record<string, string>).grant_type, "refresh_token");
    }
  });

  it("falls back to a device code when there is no browser (SSH), when given a callback", {
    timeout: 60_000,
  }, async () => {
    const emulator = makeNetworkEmulator();
    let shown = "";
    const credential = new EntraAuthCredential({
      app: {
        clientId: TEST_CLIENT_ID,
        authority: "https://login.microsoftonline.com/organizations",
        fetch: emulator.fetch,
      },
      allowInteraction: true,
      deviceCodeCallback: (info) => {
        shown = info.message;
        setTimeout(() => emulator.approveDeviceCode(info.userCode, ALICE), 50);
      },
    });
    const saved = process.env.SSH_CONNECTION;
    process.env.SSH_CONNECTION = "127.0.0.1 50000 127.0.0.1 22";
    try {
      const token = await credential.getToken(SCOPE);
      assert.ok(token.token);
      assert.match(shown, /code/i);
      assert.equal(credential.account?.username, ALICE);
      // Without a callback, the no_browser error stands.
      const noCallback = new EntraAuthCredential({
        app: { clientId: TEST_CLIENT_ID, fetch: emulator.fetch },
        allowInteraction: true,
      });
      await assert.rejects(
        noCallback.getToken(SCOPE),
        (e: unknown) => e instanceof EntraAuthError && e.code === "no_browser",
      );
    } finally {
      if (saved === undefined) delete process.env.SSH_CONNECTION;
      else process.env.SSH_CONNECTION = saved;
    }
  });
});
