/**
 * The plaintext file is MSAL's shared format, both ways, with @azure/msal-node (Node only:
 * a Node library and a dev dependency) using the file cache plug-in its docs show: msal-node
 * reads our file and returns a silent token offline; we read the file msal-node wrote through
 * its plug-in and return a silent token offline; each side's later writes keep the other's.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { currentRuntime } from "../../ffi/runtime.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { PublicClientApplication } from "../../src/public_client_application.ts";
import { CLIENT, requestContext, TENANT, tokenResponse, user } from "../cache/helpers.ts";
import { msalNodeApp, OfflineNetwork } from "../cache/msal_node.ts";
import { loudSkip } from "../support/skip.ts";
import { tempFolder } from "./support.ts";

const skip = currentRuntime() === "node"
  ? false
  : loudSkip(
    `msal-node in-process runs under Node only, not ${currentRuntime()}; the same interop `
      + `runs here with msal-node in a Node process: tests/persistence/msal_node_process.test.ts`,
  );

const realNow = () => Math.floor(Date.now() / 1000);

/** msal-node's file cache plug-in, as its documentation shows it. */
function msalFilePlugin(path: string) {
  return {
    cachePlugin: {
      beforeCacheAccess: async (ctx: { tokenCache: { deserialize(s: string): void; }; }) => {
        if (existsSync(path)) ctx.tokenCache.deserialize(await readFile(path, "utf-8"));
      },
      afterCacheAccess: async (
        ctx: { cacheHasChanged: boolean; tokenCache: { serialize(): string; }; },
      ) => {
        if (ctx.cacheHasChanged) await writeFile(path, ctx.tokenCache.serialize());
      },
    },
  };
}

function ourApp(path: string) {
  return new PublicClientApplication({
    clientId: CLIENT,
    authority: `https://login.microsoftonline.com/${TENANT}`,
    cache: { cachePlugin: createPersistentCache({ path, encryption: "plaintext" }) },
    fetch: () => Promise.reject(new Error("offline: entra-auth tried the network")),
  });
}

describe("persistent cache ⇄ msal-node", { skip }, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("msal-node reads our file and returns a silent token without the network", async () => {
    const path = join(folder.dir, "ours.json");
    const plugin = createPersistentCache({ path, encryption: "plaintext" });
    await withCache(new TokenCache({ now: realNow }), plugin, (c) =>
      c.saveTokenResponse(
        tokenResponse(user(1), {
          scope: "User.Read Mail.Read openid profile",
          accessToken: "our-at",
        }),
        requestContext({
          requestedAt: realNow(),
          tenant: TENANT,
          authority: `https://login.microsoftonline.com/${TENANT}`,
        }),
      ));
    const network = new OfflineNetwork();
    const app = await msalNodeApp(network, msalFilePlugin(path));
    const [account] = await app.getTokenCache().getAllAccounts();
    assert.equal(account.username, "user1@contoso.com");
    const result = await app.acquireTokenSilent({ account, scopes: ["Mail.Read"] });
    assert.equal(result.accessToken, "our-at");
    assert.equal(result.fromCache, true);
    assert.deepEqual(network.calls, []);
  });

  it("we read the file msal-node wrote through its plug-in, silently; then both keep both", async () => {
    const path = join(folder.dir, "msal.json");
    const network = new OfflineNetwork();
    network.tokenResponses.push({
      ...tokenResponse(user(3), {
        scope: "User.Read Files.Read openid profile offline_access",
        accessToken: "msal-at",
        refreshToken: "msal-rt",
      }),
      expires_in: "3599",
    });
    const msal = await msalNodeApp(network, msalFilePlugin(path));
    await msal.acquireTokenByCode({
      code: "code",
      scopes: ["User.Read", "Files.Read"],
      redirectUri: "http://localhost",
    });

    const app = ourApp(path);
    const [account] = await app.getAccounts();
    assert.equal(account.username, "user3@contoso.com");
    const silent = await app.acquireTokenSilent({ account, scopes: ["Files.Read"] });
    assert.equal(silent.accessToken, "msal-at");

    // We add a token through our plug-in (a merge into msal-node's file)…
    await withCache(
      new TokenCache({ now: realNow }),
      createPersistentCache({ path, encryption: "plaintext" }),
      (c) =>
        c.saveTokenResponse(
          tokenResponse(user(3), { scope: "Calendars.Read", accessToken: "our-cal-at" }),
          requestContext({ requestedAt: realNow() }),
        ),
    );
    // …and a fresh msal-node reads both its token and ours, offline.
    const msal2 = await msalNodeApp(new OfflineNetwork(), msalFilePlugin(path));
    const [msalAccount] = await msal2.getTokenCache().getAllAccounts();
    for (const [scope, expected] of [["Files.Read", "msal-at"], ["Calendars.Read", "our-cal-at"]]) {
      const r = await msal2.acquireTokenSilent({ account: msalAccount, scopes: [scope] });
      assert.equal(r.accessToken, expected);
    }
  });
});
