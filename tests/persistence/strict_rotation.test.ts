/**
 * An authority that revokes a refresh token once redeemed (strict rotation), and several
 * apps (each its own in-memory cache and plug-in, as separate processes have) refreshing at
 * once through one persistent file. A refresh with a token another app just rotated is
 * refused (`invalid_grant`); removing "the dead refresh token" must only remove that very
 * secret (compare-and-delete), never the fresh one another app committed under the same key.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PublicClientApplication } from "../../mod.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import {
  ALICE,
  fetchBrowser,
  makeNetworkEmulator,
  TEST_CLIENT_ID,
  TEST_TENANT_ID,
} from "../support/network_emulator.ts";
import { tempFolder } from "./support.ts";

const AUTHORITY = `https://login.microsoftonline.com/${TEST_TENANT_ID}`;
const SCOPES = ["https://graph.microsoft.com/User.Read"];

describe("strict refresh-token rotation, several apps on one file", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("a refused stale refresh token never deletes the fresh one: no interaction_required", {
    timeout: 60_000,
  }, async () => {
    const path = join(folder.dir, "cache.json");
    const emulator = makeNetworkEmulator({ revokeRedeemedRefreshTokens: true });
    const app = () =>
      new PublicClientApplication({
        clientId: TEST_CLIENT_ID,
        authority: AUTHORITY,
        fetch: emulator.fetch,
        openBrowser: fetchBrowser(emulator),
        persistentCache: { encryption: "plaintext", path },
      });
    const first = await app().acquireTokenInteractive({ scopes: SCOPES, loginHint: ALICE });
    const apps = Array.from({ length: 4 }, app);
    const failures: string[] = [];
    let refreshed = 0;
    await Promise.all(apps.map(async (a) => {
      for (let round = 0; round < 5; round++) {
        const [account] = await a.getAccounts();
        try {
          await a.acquireTokenSilent({ scopes: SCOPES, account, forceRefresh: true });
          refreshed++;
        } catch (err) {
          failures.push(`${(err as { code?: string; }).code}: ${(err as Error).message}`);
        }
      }
    }));
    assert.deepEqual(failures, [], "no refresh ended in interaction_required");
    assert.equal(refreshed, 20);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(Object.keys(doc.RefreshToken).length, 1, "the refresh token is still there");
    // …and it is the live one: a new app refreshes with it.
    const fresh = app();
    const result = await fresh.acquireTokenSilent({
      scopes: SCOPES,
      account: first.account,
      forceRefresh: true,
    });
    assert.equal(result.account.username, ALICE);
  });
});

describe("TokenCache.removeRefreshToken as compare-and-delete", () => {
  it("removes only the refused secret", () => {
    const cache = new TokenCache();
    cache.saveTokenResponse(tokenResponse(user(1), { refreshToken: "rt-new" }), requestContext());
    const key = Object.keys(JSON.parse(cache.serialize()).RefreshToken)[0];
    assert.equal(cache.removeRefreshToken(key, "rt-old"), false, "a newer secret stays");
    assert.equal(cache.findRefreshTokenByKey(key)?.entity.secret, "rt-new");
    assert.equal(cache.removeRefreshToken(key, "rt-new"), true);
    assert.equal(cache.findRefreshTokenByKey(key), undefined);
  });
});
