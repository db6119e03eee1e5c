/**
 * Interoperability with @azure/msal-node, in every runtime: msal-node runs in a Node process
 * of its own (tests/support/msal_node_driver.mjs), as it does for the users who share a cache
 * with us. msal-node loads a cache we wrote and returns a silent token from it without the
 * network; we read a cache msal-node wrote and find its tokens; msal-node reads our
 * additions to its cache. (tests/cache/msal_node_interop.test.ts runs msal-node in-process,
 * under Node only.)
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { runMsalNode } from "../support/msal_node_process.ts";
import { CLIENT, OTHER_CLIENT, requestContext, TENANT, tokenResponse, user } from "./helpers.ts";

// Tokens must be valid against the real clock: msal-node reads Date.now().
const realNow = () => Math.floor(Date.now() / 1000);

describe("msal-node interop (msal-node in a Node process)", () => {
  it("msal-node loads a cache we wrote and returns a silent token without the network", {
    timeout: 60_000,
  }, async () => {
    const ours = new TokenCache({ now: realNow });
    const u1 = user(1);
    const saved = ours.saveTokenResponse(
      tokenResponse(u1, {
        scope: "User.Read Mail.Read openid profile offline_access",
        accessToken: "our-at",
        refreshIn: 1800,
      }),
      requestContext({
        requestedAt: realNow(),
        tenant: TENANT,
        authority: `https://login.microsoftonline.com/${TENANT}`,
      }),
    );
    ours.saveTokenResponse(
      tokenResponse(user(2), { accessToken: "other-user-at" }),
      requestContext({ requestedAt: realNow() }),
    );
    const run = await runMsalNode({
      cache: { serialized: ours.serialize() },
      steps: [
        { op: "accounts" },
        { op: "silent", homeAccountId: saved.account.homeAccountId, scopes: ["Mail.Read"] },
      ],
    });
    const [accounts, silent] = run.results;
    assert.equal(accounts.length, 2, JSON.stringify(accounts));
    const account = accounts.find((a: { homeAccountId: string; }) =>
      a.homeAccountId === saved.account.homeAccountId
    );
    assert.ok(account, "msal-node lists our account");
    assert.equal(account.username, u1.username);
    assert.equal(account.tenantId, TENANT);
    assert.equal(account.name, u1.name);
    assert.equal(silent.error, undefined, JSON.stringify(silent.error));
    assert.equal(silent.accessToken, "our-at");
    assert.equal(silent.fromCache, true);
    assert.equal(silent.account.username, u1.username);
    assert.deepEqual(run.networkCalls, [], "no network call");
  });

  it("we read a cache msal-node wrote, and msal-node reads what we add to it", {
    timeout: 60_000,
  }, async () => {
    const u3 = user(3);
    const requestedAt = realNow();
    const written = await runMsalNode({
      tokenResponses: [{
        ...tokenResponse(u3, {
          scope: "User.Read Files.Read openid profile offline_access",
          accessToken: "msal-at",
          refreshToken: "msal-rt",
          foci: "1",
        }),
        expires_in: "3599",
      }],
      steps: [{ op: "byCode", scopes: ["User.Read", "Files.Read"] }, { op: "serialize" }],
    });
    assert.equal(written.results[0].error, undefined, JSON.stringify(written.results[0]));
    const ours = new TokenCache({ now: realNow });
    ours.deserialize(written.results[1]);
    const [account] = ours.getAccounts({ clientId: CLIENT });
    assert.equal(account.homeAccountId, `${u3.uid}.${TENANT}`);
    assert.equal(account.environment, "login.windows.net");
    assert.equal(account.username, u3.username);
    const asked = { ...account, environment: "login.microsoftonline.com" };
    const at = ours.findAccessToken({ clientId: CLIENT, account: asked, scopes: ["files.read"] });
    assert.equal(at?.entity.secret, "msal-at");
    assert.ok(Math.abs(at.expiresOn.getTime() / 1000 - (requestedAt + 3599)) <= 5);
    assert.equal(
      ours.findRefreshToken({ clientId: OTHER_CLIENT, account: asked, familyId: "1" })?.entity
        .secret,
      "msal-rt",
      "msal-node's family refresh token serves another family app here",
    );
    assert.equal(ours.findIdToken({ clientId: CLIENT, account: asked })?.claims.tid, TENANT);

    ours.saveTokenResponse(
      tokenResponse(u3, { scope: "Calendars.Read", accessToken: "our-cal-at" }),
      requestContext({ requestedAt: realNow() }),
    );
    const back = await runMsalNode({
      cache: { serialized: ours.serialize() },
      steps: [
        { op: "silent", homeAccountId: account.homeAccountId, scopes: ["Files.Read"] },
        { op: "silent", homeAccountId: account.homeAccountId, scopes: ["Calendars.Read"] },
      ],
    });
    assert.deepEqual(back.results.map((r) => r.accessToken ?? r.error), [
      "msal-at",
      "our-cal-at",
    ]);
    assert.deepEqual(back.networkCalls, []);
  });
});
