/**
 * The cache's indexes (from the mutants that survived the cache_store run): loading a cache
 * replaces every index, tokens of other flows or schemes never serve a plain request, a token
 * is returned only when it holds every requested scope, and removing one tenant's entry of an
 * account keeps the others.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import {
  CLIENT,
  GUEST_TENANT,
  now,
  requestContext,
  TENANT,
  tokenResponse,
  user,
} from "./helpers.ts";

type Doc = Record<string, Record<string, Record<string, unknown>>>;

/** A cache with one signed-in user, its document, and the access token's entry. */
function signedIn() {
  const cache = new TokenCache({ now });
  const { account } = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
  const doc = JSON.parse(cache.serialize()) as Doc;
  const [[atKey, at]] = Object.entries(doc.AccessToken);
  return { cache, account, doc, atKey, at };
}

describe("TokenCache indexes", () => {
  it("deserialize replaces every index: nothing of the previous cache is found", () => {
    const { cache, account, doc } = signedIn();
    const q = { clientId: CLIENT, account };
    cache.deserialize("{}");
    assert.deepEqual(cache.getAccounts(), []);
    assert.equal(cache.findAccessToken({ ...q, scopes: ["User.Read"] }), undefined);
    assert.equal(cache.findRefreshToken(q), undefined);
    assert.equal(cache.findIdToken(q), undefined);
    assert.equal(
      cache.getAppMetadata({ clientId: CLIENT, environment: account.environment }),
      undefined,
    );
    assert.equal(cache.removeAccount(account), false);
    cache.deserialize(JSON.stringify(doc));
    assert.equal(cache.getAccounts().length, 1);
    assert.ok(cache.findAccessToken({ ...q, scopes: ["User.Read"] }));
  });

  it("a token of another flow (on-behalf-of, extra key components) never serves a plain request", () => {
    for (
      const extra of [
        { userAssertionHash: "hash-of-an-assertion" },
        { additionalCacheKeyComponents: { fmi_path: "x" } },
        { credential_type: "AccessToken_With_AuthScheme" },
      ]
    ) {
      const { cache, account, doc, atKey, at } = signedIn();
      doc.AccessToken[atKey] = { ...at, ...extra };
      cache.deserialize(JSON.stringify(doc));
      assert.equal(
        cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }),
        undefined,
        JSON.stringify(extra),
      );
    }
    const { cache, account, doc, atKey, at } = signedIn();
    doc.AccessToken[atKey] = { ...at, additionalCacheKeyComponents: {} };
    cache.deserialize(JSON.stringify(doc));
    assert.ok(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }),
      "no components: ours",
    );
  });

  it("returns a token only if it holds every requested scope", () => {
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(
      tokenResponse(user(1), { scope: "User.Read", accessToken: "read" }),
      requestContext(),
    );
    cache.saveTokenResponse(
      tokenResponse(user(1), { scope: "Mail.Read", accessToken: "mail" }),
      requestContext(),
    );
    const find = (scopes: string[]) =>
      cache.findAccessToken({ clientId: CLIENT, account, scopes })?.entity.secret;
    assert.equal(find(["User.Read"]), "read");
    assert.equal(find(["Mail.Read"]), "mail");
    assert.equal(find(["User.Read", "Mail.Read"]), undefined, "no token holds both");
    assert.equal(find(["Mail.Read", "User.Read"]), undefined, "no token holds both");
  });

  it("replacing one tenant's entry of an account keeps the home tenant's", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const guest = () =>
      cache.saveTokenResponse(
        tokenResponse(user(1), { tid: GUEST_TENANT }),
        requestContext({ tenant: GUEST_TENANT }),
      );
    guest();
    guest(); // replaces the guest tenant's entries
    const accounts = cache.getAccounts();
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0].tenantId, TENANT, "described by its home tenant's entry");
  });
});
