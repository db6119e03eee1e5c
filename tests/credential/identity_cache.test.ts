/**
 * entraAuthCache, @azure/identity's cache plug-in over entra-auth's persistent cache: the
 * factory it registers gives msal-node (7.2.3 here; @azure/identity 4.13.1 uses 5.6.0, whose
 * ICachePlugin and TokenCacheContext are the same) a cache plug-in that reads the accounts
 * entra-auth wrote, and whose writes entra-auth reads back. Without a keyring it falls back to
 * plain text only when identity allows it (unsafeAllowUnencryptedStorage).
 */

import { useIdentityPlugin } from "@azure/identity";
import { PublicClientApplication as MsalNodeApp } from "@azure/msal-node";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KeyringFailure, type SecretStore } from "../../ffi/keyring/failure.ts";
import {
  type CachePlugin,
  EntraAuthError,
  PersistentCacheError,
  PublicClientApplication,
} from "../../mod.ts";
import {
  createEntraAuthCache,
  entraAuthCache,
  identityCachePlugin,
  type TokenCachePersistenceOptions,
} from "../../src/credential/identity_plugin.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;

describe("entraAuthCache: @azure/identity's cache plug-in", () => {
  const dir = mkdtempSync(join(tmpdir(), "entra-identity-cache-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("registers with @azure/identity, and refuses another context", () => {
    useIdentityPlugin(entraAuthCache);
    assert.throws(
      () => createEntraAuthCache()({}),
      (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
    );
  });

  it(
    "shares accounts both ways between entra-auth and msal-node",
    { timeout: 30_000 },
    async () => {
      let factory: ((o?: TokenCachePersistenceOptions) => Promise<unknown>) | undefined;
      createEntraAuthCache({ encryption: "plaintext", directory: dir })({
        cachePluginControl: { setPersistence: (f: typeof factory) => (factory = f) },
        nativeBrokerPluginControl: { setNativeBroker: () => {} },
      });
      assert.ok(factory, "a persistence factory was registered");
      // What @azure/identity asks for with tokenCachePersistenceOptions: { enabled: true }.
      const name = "msal.cache.nocae";

      const emulator = makeNetworkEmulator();
      const ours = new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
        openBrowser: fetchBrowser(emulator),
        persistentCache: { encryption: "plaintext", path: join(dir, `${name}.json`) },
      });
      const signedIn = await ours.acquireTokenInteractive({
        scopes: ["https://graph.microsoft.com/User.Read"],
        loginHint: ALICE,
      });
      assert.equal(signedIn.account.username, ALICE);

      const plugin = await factory!({ enabled: true, name });
      const msal = new MsalNodeApp({
        auth: { clientId: TEST_CLIENT_ID, authority: AUTHORITY },
        // deno-lint-ignore no-explicit-any
        cache: { cachePlugin: plugin as any },
      });
      const accounts = await msal.getTokenCache().getAllAccounts();
      assert.deepEqual(accounts.map((a) => a.username), [ALICE]);

      await msal.getTokenCache().removeAccount(accounts[0]);
      const again = new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
        persistentCache: { encryption: "plaintext", path: join(dir, `${name}.json`) },
      });
      assert.deepEqual(await again.getAccounts(), [], "msal-node's removal reached our file");
    },
  );

  it("falls back to plain text without a keyring only when identity allows it", async () => {
    const noKeyring: SecretStore = {
      description: "no keyring (test)",
      lookup: () => Promise.reject(new KeyringFailure("unavailable", "no Secret Service")),
      store: () => Promise.reject(new KeyringFailure("unavailable", "no Secret Service")),
      clear: () => Promise.reject(new KeyringFailure("unavailable", "no Secret Service")),
    };
    const emulator = makeNetworkEmulator();
    const signIn = (plugin: CachePlugin) =>
      new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
        openBrowser: fetchBrowser(emulator),
        cache: { cachePlugin: plugin },
      }).acquireTokenInteractive({ scopes: ["User.Read"], loginHint: ALICE });
    const strict = identityCachePlugin({ directory: dir, secretStore: noKeyring }, {
      name: "strict",
    });
    await assert.rejects(
      signIn(strict),
      (e: unknown) => e instanceof PersistentCacheError && e.reason === "keyring_unavailable",
    );
    const lenient = identityCachePlugin({ directory: dir, secretStore: noKeyring }, {
      name: "lenient",
      unsafeAllowUnencryptedStorage: true,
    });
    await signIn(lenient);
    const text = readFileSync(join(dir, "lenient.json"), "utf8");
    assert.match(text, /"RefreshToken"/, "written in plain text");
  });
});
