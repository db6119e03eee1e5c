/**
 * The plaintext persistent cache file shared with @azure/msal-node, in every runtime:
 * msal-node runs in a Node process of its own (tests/support/msal_node_driver.mjs) with the
 * file cache plug-in its docs show. msal-node reads our file and returns a silent token
 * offline; we read the file msal-node wrote and return a silent token offline; each side's
 * later writes keep the other's. (tests/persistence/msal_node_interop.test.ts runs msal-node
 * in-process, under Node only.)
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { PublicClientApplication } from "../../src/public_client_application.ts";
import { CLIENT, requestContext, TENANT, tokenResponse, user } from "../cache/helpers.ts";
import { runMsalNode } from "../support/msal_node_process.ts";
import { tempFolder } from "./support.ts";

const realNow = () => Math.floor(Date.now() / 1000);

function ourApp(path: string) {
  return new PublicClientApplication({
    clientId: CLIENT,
    authority: `https://login.microsoftonline.com/${TENANT}`,
    cache: { cachePlugin: createPersistentCache({ path, encryption: "plaintext" }) },
    fetch: () => Promise.reject(new Error("offline: entra-auth tried the network")),
  });
}

describe("persistent cache ⇄ msal-node (msal-node in a Node process)", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("msal-node reads our file and returns a silent token without the network", {
    timeout: 60_000,
  }, async () => {
    const path = join(folder.dir, "ours.json");
    const saved = await withCache(
      new TokenCache({ now: realNow }),
      createPersistentCache({ path, encryption: "plaintext" }),
      (c) =>
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
        ),
    );
    const run = await runMsalNode({
      cache: { file: path },
      steps: [
        { op: "accounts" },
        { op: "silent", homeAccountId: saved.account.homeAccountId, scopes: ["Mail.Read"] },
      ],
    });
    const [accounts, silent] = run.results;
    assert.deepEqual(accounts.map((a: { username: string; }) => a.username), ["user1@contoso.com"]);
    assert.equal(silent.accessToken, "our-at", JSON.stringify(silent));
    assert.equal(silent.fromCache, true);
    assert.deepEqual(run.networkCalls, []);
  });

  it("we read the file msal-node wrote, silently; then both keep both", {
    timeout: 60_000,
  }, async () => {
    const path = join(folder.dir, "msal.json");
    const first = await runMsalNode({
      cache: { file: path },
      tokenResponses: [{
        ...tokenResponse(user(3), {
          scope: "User.Read Files.Read openid profile offline_access",
          accessToken: "msal-at",
          refreshToken: "msal-rt",
        }),
        expires_in: "3599",
      }],
      steps: [{ op: "byCode", scopes: ["User.Read", "Files.Read"] }],
    });
    assert.equal(first.results[0].error, undefined, JSON.stringify(first.results[0]));

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
    const second = await runMsalNode({
      cache: { file: path },
      steps: [
        { op: "silent", homeAccountId: account.homeAccountId, scopes: ["Files.Read"] },
        { op: "silent", homeAccountId: account.homeAccountId, scopes: ["Calendars.Read"] },
      ],
    });
    assert.deepEqual(second.results.map((r) => r.accessToken ?? r.error), [
      "msal-at",
      "our-cal-at",
    ]);
    assert.deepEqual(second.networkCalls, []);
  });
});
