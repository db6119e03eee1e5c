/**
 * Testing your own app's sign-in against the Entra ID emulator, in-process and offline: no
 * tenant, no network, no browser. Run it with `node --test`, `bun test` or `deno test -A`.
 *
 * The emulator answers as Entra ID's v2.0 endpoints do (instance discovery, metadata, authorize,
 * token, device code) for its own tenant, users and apps. Hook it up with `fetch:
 * emulator.fetch`: the app keeps its real authority URL, and nothing leaves the process.
 *
 * @module
 */

import { InteractionRequiredError, PublicClientApplication } from "entra-auth"; // JSR: "@entra-auth/core"
import {
  createEntraEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "entra-auth-testing/entra-emulator"; // JSR: "@entra-auth/core/testing/entra-emulator"
import assert from "node:assert/strict";
import { describe, it } from "node:test";

const USER = "alice@contoso.onmicrosoft.com"; // the emulator's default user
const SCOPES = ["User.Read"];

function setup() {
  const emulator = createEntraEmulator(); // or { users, apps, tenants, lifetimes, ... }
  const app = new PublicClientApplication({
    clientId: TEST_CLIENT_ID,
    authority: `https://login.microsoftonline.com/${TEST_TENANT_ID}`,
    fetch: emulator.fetch, // every request of the app goes to the emulator
    // The "browser": follow the authorize page (the emulator signs in the login_hint user
    // by itself) and deliver its redirect to the app's loopback server, as a browser would.
    openBrowser: async (url) => {
      const page = await emulator.fetch(url, { redirect: "manual" });
      const redirect = page.headers.get("location");
      if (!redirect) throw new Error(`authorize page did not redirect: ${page.status}`);
      void fetch(redirect).then((r) => r.body?.cancel());
    },
  });
  return { emulator, app };
}

describe("my app's sign-in", { timeout: 60_000 }, () => {
  it("signs in with a device code approved by the test", async () => {
    const { emulator, app } = setup();
    const result = await app.acquireTokenByDeviceCode({
      scopes: SCOPES,
      // The test plays the user: approve the code shown to them.
      deviceCodeCallback: (info) => emulator.approveDeviceCode(info.userCode, USER),
    });
    assert.equal(result.account.username, USER);
    assert.equal(result.fromCache, false);
  });

  it("signs in through the browser, then silently from the cache", async () => {
    const { app } = setup();
    const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: USER });
    const again = await app.acquireTokenSilent({ scopes: SCOPES, account: first.account });
    assert.equal(again.fromCache, true);
    assert.equal(again.accessToken, first.accessToken);
  });

  it("asks for interaction when the refresh token is revoked", async () => {
    const { emulator, app } = setup();
    const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: USER });
    emulator.revokeRefreshTokens(USER);
    await assert.rejects(
      app.acquireTokenSilent({ scopes: SCOPES, account: first.account, forceRefresh: true }),
      InteractionRequiredError,
    );
  });
});
