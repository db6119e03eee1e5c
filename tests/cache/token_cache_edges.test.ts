/**
 * The token cache at its edges (from the mutants that survived the cache tests): the
 * default clock, `refresh_on` at its boundary and absent, responses without a refresh or ID
 * token, a rotated refresh token, unknown fields of other libraries' app metadata, and
 * the version counter that only grows.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { CLIENT, clock, now, requestContext, tokenResponse, user } from "./helpers.ts";

const account = (cache: TokenCache) => cache.getAccounts()[0];

describe("TokenCache edges", () => {
  it("with its default clock, serves a token valid for an hour", () => {
    const cache = new TokenCache();
    const realNow = Math.floor(Date.now() / 1000);
    cache.saveTokenResponse(
      tokenResponse(user(1), { accessToken: "fresh" }),
      requestContext({ requestedAt: realNow }),
    );
    const found = cache.findAccessToken({
      clientId: CLIENT,
      account: account(cache),
      scopes: ["User.Read"],
    });
    assert.equal(found?.entity.secret, "fresh");
    assert.equal(found?.refreshDue, false);
  });

  it("refresh_on: due from that second on; never due without one", () => {
    let t = clock.now;
    const cache = new TokenCache({ now: () => t });
    cache.saveTokenResponse(
      tokenResponse(user(1), { refreshIn: 600 }),
      requestContext({ requestedAt: clock.now }),
    );
    const q = () =>
      cache.findAccessToken({ clientId: CLIENT, account: account(cache), scopes: ["User.Read"] });
    t = clock.now + 599;
    assert.equal(q()?.refreshDue, false);
    t = clock.now + 600;
    assert.equal(q()?.refreshDue, true, "due at refresh_on itself");
    const plain = new TokenCache({ now });
    plain.saveTokenResponse(tokenResponse(user(2)), requestContext());
    const found = plain.findAccessToken({
      clientId: CLIENT,
      account: account(plain),
      scopes: ["User.Read"],
    });
    assert.equal(found?.refreshDue, false, "no refresh_in: never due early");
  });

  it("a response without a refresh token or an ID token stores the rest", () => {
    const cache = new TokenCache({ now });
    const saved = cache.saveTokenResponse(
      tokenResponse(user(1), { refreshToken: null, idToken: false }),
      requestContext(),
    );
    assert.equal(saved.refreshTokenKey, undefined);
    assert.equal(saved.idToken, undefined);
    const doc = JSON.parse(cache.serialize());
    assert.equal(Object.keys(doc.RefreshToken).length, 0);
    assert.equal(Object.keys(doc.IdToken).length, 0);
    assert.equal(Object.keys(doc.AccessToken).length, 1);
    assert.equal(Object.keys(doc.Account).length, 1);
  });

  it("a rotated refresh token keeps none of the old one's fields", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(user(1), { foci: "1" }), requestContext());
    const doc1 = JSON.parse(cache.serialize());
    const [key1] = Object.keys(doc1.RefreshToken);
    doc1.RefreshToken[key1].other_library_field = "x";
    cache.deserialize(JSON.stringify(doc1));
    cache.saveTokenResponse(
      tokenResponse(user(1), { refreshToken: "rt-2", foci: "1" }),
      requestContext(),
    );
    const rts = Object.values(JSON.parse(cache.serialize()).RefreshToken) as Record<
      string,
      unknown
    >[];
    assert.equal(rts.length, 1, "the family token was replaced");
    assert.equal(rts[0].secret, "rt-2");
    assert.equal(rts[0].family_id, "1");
    assert.equal(rts[0].other_library_field, undefined, "none of the old token's fields");
  });

  it("app metadata keeps the fields other libraries wrote", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const doc = JSON.parse(cache.serialize());
    const [key] = Object.keys(doc.AppMetadata);
    doc.AppMetadata[key].other_library_field = "kept";
    cache.deserialize(JSON.stringify(doc));
    cache.saveTokenResponse(tokenResponse(user(1), { accessToken: "again" }), requestContext());
    const after = JSON.parse(cache.serialize()).AppMetadata[key];
    assert.equal(after.other_library_field, "kept");
  });

  it("version only grows: on deserialize, save and removal", () => {
    const cache = new TokenCache({ now });
    const seen = [cache.version];
    cache.deserialize("{}");
    seen.push(cache.version);
    const saved = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    seen.push(cache.version);
    assert.equal(cache.removeRefreshToken(saved.refreshTokenKey!), true);
    seen.push(cache.version);
    cache.removeAccount(saved.account);
    seen.push(cache.version);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i] > seen[i - 1], `version went from ${seen[i - 1]} to ${seen[i]}`);
    }
  });
});
