/**
 * PublicClientApplication without a broker, end to end against the Entra ID emulator (its
 * fetch injected): browser sign-in (a fetch-driven browser), device code, silent from the
 * cache, refresh, FOCI, invalid_grant removing the dead refresh token, the cache plug-in.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  InteractionRequiredError,
  PublicClientApplication,
  type PublicClientApplicationOptions,
} from "../../mod.ts";
import type { CachePlugin, TokenCacheContext } from "../../src/cache/plugin.ts";
import {
  ALICE,
  FAMILY_APP,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["https://graph.microsoft.com/User.Read"];

function setup(extra: Partial<PublicClientApplicationOptions> = {}) {
  const emulator = makeNetworkEmulator();
  const app = new PublicClientApplication({
    clientId: TEST_CLIENT_ID,
    authority: AUTHORITY,
    fetch: emulator.fetch,
    openBrowser: fetchBrowser(emulator),
    ...extra,
  });
  return { emulator, app };
}

function tokenRequests(emulator: ReturnType<typeof makeNetworkEmulator>, grant?: string) {
  return emulator.requests().filter((r) =>
    r.path.endsWith("/oauth2/v2.0/token")
    && (grant === undefined || (r.form as Record<string, string> | undefined)?.grant_type === grant)
  );
}

describe("PublicClientApplication without a broker", () => {
  it("signs in through the browser, then serves silent calls from the cache", async () => {
    const { emulator, app } = setup();
    const result = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    assert.equal(result.fromBroker, false);
    assert.equal(result.account.username, ALICE);
    assert.equal(result.account.tenantId, TEST_TENANT_ID);
    assert.equal(result.idTokenClaims.preferred_username, ALICE);
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn.getTime() > Date.now());

    const accounts = await app.getAccounts();
    assert.deepEqual(accounts.map((a) => a.username), [ALICE]);
    const before = tokenRequests(emulator).length;
    const silent = await app.acquireTokenSilent({ scopes: SCOPES, account: accounts[0] });
    assert.equal(silent.accessToken, result.accessToken, "served from the cache");
    assert.equal(tokenRequests(emulator).length, before, "no request for a cached token");

    const cache = JSON.parse(app.getTokenCache().serialize());
    assert.equal(Object.keys(cache.AccessToken).length, 1);
    assert.equal(Object.keys(cache.RefreshToken).length >= 1, true);
  });

  it("refreshes when asked to, or when the token expired", async () => {
    const { emulator, app } = setup();
    const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    const forced = await app.acquireTokenSilent({
      scopes: SCOPES,
      account: first.account,
      forceRefresh: true,
    });
    assert.notEqual(forced.accessToken, first.accessToken);
    assert.equal(tokenRequests(emulator, "refresh_token").length, 1);

    const other = await app.acquireTokenSilent({
      scopes: ["https://storage.azure.com/user_impersonation"],
      account: first.account,
    });
    assert.ok(other.scopes.some((s) => s.includes("storage.azure.com")));
    assert.equal(tokenRequests(emulator, "refresh_token").length, 2);
  });

  it("removes a refresh token the server rejects, then asks for interaction", async () => {
    const { emulator, app } = setup();
    const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    emulator.revokeRefreshTokens(ALICE);
    const err = await app.acquireTokenSilent({
      scopes: SCOPES,
      account: first.account,
      forceRefresh: true,
    }).catch((e) => e);
    assert.ok(err instanceof InteractionRequiredError, String(err));
    assert.equal(err.server?.error, "invalid_grant");
    const cache = JSON.parse(app.getTokenCache().serialize());
    assert.equal(Object.keys(cache.RefreshToken).length, 0, "the dead refresh token is gone");
    const again = await app.acquireTokenSilent({
      scopes: SCOPES,
      account: first.account,
      forceRefresh: true,
    })
      .catch((e) => e);
    assert.ok(again instanceof InteractionRequiredError);
    assert.match(again.message, /No refresh token/);
  });

  it("signs in with a device code", async () => {
    const { emulator, app } = setup();
    let shown = "";
    const result = await app.acquireTokenByDeviceCode({
      scopes: SCOPES,
      deviceCodeCallback: (info) => {
        shown = info.message;
        setTimeout(() => emulator.approveDeviceCode(info.userCode, ALICE), 50);
      },
    });
    assert.match(shown, /code/i);
    assert.equal(result.account.username, ALICE);
  });

  it("shares the family refresh token with another app of the family (FOCI)", async () => {
    const { emulator, app } = setup();
    const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    const sibling = new PublicClientApplication({
      clientId: FAMILY_APP,
      authority: AUTHORITY,
      fetch: emulator.fetch,
    });
    sibling.getTokenCache().deserialize(app.getTokenCache().serialize());
    const result = await sibling.acquireTokenSilent({ scopes: SCOPES, account: first.account });
    assert.equal(result.account.username, ALICE);
    const refresh = tokenRequests(emulator, "refresh_token").at(-1)!;
    assert.equal((refresh.form as Record<string, string>).client_id, FAMILY_APP);
  });

  it("calls the cache plug-in around each access", async () => {
    let stored = "";
    const events: string[] = [];
    const plugin: CachePlugin = {
      beforeCacheAccess(ctx: TokenCacheContext) {
        events.push("before");
        if (stored) ctx.tokenCache.deserialize(stored);
      },
      afterCacheAccess(ctx: TokenCacheContext) {
        events.push(ctx.cacheHasChanged ? "after:changed" : "after");
        if (ctx.cacheHasChanged) stored = ctx.tokenCache.serialize();
      },
    };
    const { emulator, app } = setup({ cache: { cachePlugin: plugin } });
    await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    assert.ok(events.includes("after:changed"));
    assert.match(stored, /"AccessToken"/);
    // A new app instance (another process, say) loads what the plug-in stored.
    const fresh = new PublicClientApplication({
      clientId: TEST_CLIENT_ID,
      authority: AUTHORITY,
      fetch: emulator.fetch,
      cache: { cachePlugin: plugin },
    });
    const [account] = await fresh.getAccounts();
    assert.equal(account?.username, ALICE);
  });
});

describe("PublicClientApplication with a persistent cache", () => {
  it("shares sign-ins between instances through the file", async () => {
    const { mkdtempSync, rmSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "entra-auth-pca-"));
    try {
      const path = join(dir, "cache.json");
      const { app } = setup({ persistentCache: { encryption: "plaintext", path } });
      const first = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
      assert.equal(statSync(path).mode & 0o777, 0o600, "owner-only file");
      const other = new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: () => Promise.reject(new Error("offline: must be served from the file")),
        persistentCache: { encryption: "plaintext", path },
      });
      const [account] = await other.getAccounts();
      const silent = await other.acquireTokenSilent({ scopes: SCOPES, account });
      assert.equal(silent.accessToken, first.accessToken);
      assert.throws(
        () =>
          new PublicClientApplication({
            clientId: TEST_CLIENT_ID,
            persistentCache: { encryption: "plaintext", path },
            cache: { cachePlugin: { beforeCacheAccess() {}, afterCacheAccess() {} } },
          }),
        /either/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PublicClientApplication on a cloud known only by instance discovery", () => {
  it("writes the cloud's preferred cache host, as MSAL does", async () => {
    const { PRIVATE_HOST } = await import("../support/network_emulator.ts");
    const { app } = setup({ authority: `https://sts.private-cloud.example/${TEST_TENANT_ID}` });
    const result = await app.acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    assert.equal(result.account.environment, PRIVATE_HOST);
    const cache = JSON.parse(app.getTokenCache().serialize());
    const environments = Object.values(cache.AccessToken).map((t) =>
      (t as { environment: string; }).environment
    );
    assert.deepEqual(environments, [PRIVATE_HOST]);
    const silent = await app.acquireTokenSilent({ scopes: SCOPES, account: result.account });
    assert.equal(silent.accessToken, result.accessToken);
  });
});
