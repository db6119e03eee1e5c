/**
 * Interoperability with @azure/msal-node (Node only: msal-node is a Node library and a dev
 * dependency): msal-node loads a cache we wrote and returns a silent token from it without
 * the network, and we read a cache msal-node wrote and find its tokens.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { currentRuntime } from "../../ffi/runtime.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { loudSkip } from "../support/skip.ts";
import { CLIENT, OTHER_CLIENT, requestContext, TENANT, tokenResponse, user } from "./helpers.ts";
import { msalNodeApp, OfflineNetwork } from "./msal_node.ts";

const skip = currentRuntime() === "node"
  ? false
  : loudSkip(
    `msal-node in-process runs under Node only, not ${currentRuntime()}; the same interop `
      + `runs here with msal-node in a Node process: tests/cache/msal_node_process.test.ts`,
  );

// Tokens must be valid against the real clock: msal-node reads Date.now().
const realNow = () => Math.floor(Date.now() / 1000);

describe("msal-node interop", { skip }, () => {
  it("msal-node loads a cache we wrote and returns a silent token without the network", async () => {
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
    const network = new OfflineNetwork();
    const serialized = ours.serialize();
    const app = await msalNodeApp(network, {
      cachePlugin: {
        beforeCacheAccess: (ctx) => Promise.resolve(ctx.tokenCache.deserialize(serialized)),
        afterCacheAccess: () => Promise.resolve(),
      },
    });
    const accounts = await app.getTokenCache().getAllAccounts();
    assert.equal(accounts.length, 2);
    const account = accounts.find((a) => a.homeAccountId === saved.account.homeAccountId);
    assert.ok(account, "msal-node lists our account");
    assert.equal(account.username, u1.username);
    assert.equal(account.tenantId, TENANT);
    assert.equal(account.idTokenClaims?.name, u1.name);
    const result = await app.acquireTokenSilent({ account, scopes: ["Mail.Read"] });
    assert.equal(result.accessToken, "our-at");
    assert.equal(result.fromCache, true);
    assert.equal(result.account?.username, u1.username);
    assert.deepEqual(network.calls, [], "no network call");
  });

  it("we read a cache msal-node wrote (acquireTokenByCode) and find its tokens", async () => {
    const network = new OfflineNetwork();
    const u3 = user(3);
    const requestedAt = realNow();
    network.tokenResponses.push({
      ...tokenResponse(u3, {
        scope: "User.Read Files.Read openid profile offline_access",
        accessToken: "msal-at",
        refreshToken: "msal-rt",
        foci: "1",
      }),
      expires_in: "3599",
    });
    const app = await msalNodeApp(network);
    await app.acquireTokenByCode({
      code: "code",
      scopes: ["User.Read", "Files.Read"],
      redirectUri: "http://localhost",
    });
    const written = app.getTokenCache().serialize();
    const ours = new TokenCache({ now: realNow });
    ours.deserialize(written);
    const [account] = ours.getAccounts({ clientId: CLIENT });
    assert.equal(account.homeAccountId, `${u3.uid}.${TENANT}`);
    assert.equal(account.environment, "login.windows.net");
    assert.equal(account.username, u3.username);
    assert.equal(account.idTokenClaims?.preferred_username, u3.username);
    const asked = { ...account, environment: "login.microsoftonline.com" };
    const at = ours.findAccessToken({ clientId: CLIENT, account: asked, scopes: ["files.read"] });
    assert.equal(at?.entity.secret, "msal-at");
    assert.ok(Math.abs(at.expiresOn.getTime() / 1000 - (requestedAt + 3599)) <= 2);
    assert.equal(
      ours.findRefreshToken({ clientId: OTHER_CLIENT, account: asked, familyId: "1" })?.entity
        .secret,
      "msal-rt",
    );
    assert.equal(ours.findIdToken({ clientId: CLIENT, account: asked })?.claims.tid, TENANT);

    // and back: we add a token; msal-node still reads everything, including its own fields
    ours.saveTokenResponse(
      tokenResponse(u3, { scope: "Calendars.Read", accessToken: "our-cal-at" }),
      requestContext({ requestedAt: realNow() }),
    );
    const app2 = await msalNodeApp(new OfflineNetwork());
    app2.getTokenCache().deserialize(ours.serialize());
    const [msalAccount] = await app2.getTokenCache().getAllAccounts();
    assert.equal(
      (await app2.acquireTokenSilent({ account: msalAccount, scopes: ["Files.Read"] })).accessToken,
      "msal-at",
    );
    assert.equal(
      (await app2.acquireTokenSilent({ account: msalAccount, scopes: ["Calendars.Read"] }))
        .accessToken,
      "our-cal-at",
    );
  });
});
