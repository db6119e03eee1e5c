/**
 * The token cache's smaller methods and its lookup shortcuts, from the mutants that survived
 * the cache tests: the per-account lookup keys when the account object or the clouds change,
 * the best of several valid access tokens, the clock-back slack at its boundary, the
 * compare-and-delete of a refused refresh token, removals that remove nothing, the id token
 * of another tenant, and the app metadata of an app outside the family.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { AccountInfo } from "../../src/result.ts";
import {
  CLIENT,
  clock,
  GUEST_TENANT,
  now,
  OTHER_CLIENT,
  requestContext,
  tokenResponse,
  user,
} from "./helpers.ts";

const at = (cache: TokenCache, account: AccountInfo, scopes = ["User.Read"]) =>
  cache.findAccessToken({ clientId: CLIENT, account, scopes })?.entity.secret;

describe("TokenCache lookups", () => {
  it("the same account object, changed, finds the changed account's tokens", () => {
    const cache = new TokenCache({ now });
    const one = cache.saveTokenResponse(
      tokenResponse(user(1), { accessToken: "one" }),
      requestContext(),
    ).account;
    const two = cache.saveTokenResponse(
      tokenResponse(user(2), { accessToken: "two" }),
      requestContext(),
    ).account;
    const guest = cache.saveTokenResponse(
      tokenResponse(user(1), { accessToken: "guest", tid: GUEST_TENANT }),
      requestContext({ tenant: GUEST_TENANT }),
    ).account;
    const account = { ...one };
    assert.equal(at(cache, account), "one");
    account.homeAccountId = two.homeAccountId;
    assert.equal(at(cache, account), "two", "another home account id");
    account.homeAccountId = one.homeAccountId;
    account.tenantId = guest.tenantId;
    assert.equal(at(cache, account), "guest", "another tenant");
    account.tenantId = one.tenantId;
    assert.equal(at(cache, account), "one");
    account.environment = "login.chinacloudapi.cn";
    assert.equal(at(cache, account), undefined, "another cloud");
  });

  it("the same account object finds its tokens under an alias learnt later (addCloud)", () => {
    const cloud = { aliases: ["login.example.test"], preferredCache: "login.example.test" };
    const cache = new TokenCache({ now, clouds: [cloud] });
    const saved = cache.saveTokenResponse(
      tokenResponse(user(1), { accessToken: "mine" }),
      requestContext({ environment: "login.example.test" }),
    ).account;
    const account = { ...saved, environment: "sts.example.test" };
    assert.equal(at(cache, account), undefined, "not an alias yet");
    cache.addCloud({
      aliases: ["login.example.test", "sts.example.test"],
      preferredCache: "login.example.test",
    });
    assert.equal(at(cache, account), "mine");
    assert.equal(
      cache.findIdToken({ clientId: CLIENT, account })?.claims.preferred_username,
      "user1@contoso.com",
    );
  });

  it("of several valid tokens with every scope, returns the one that expires last", () => {
    for (const order of [["early", "late"], ["late", "early"]]) {
      const cache = new TokenCache({ now });
      const { account } = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
      const doc = JSON.parse(cache.serialize());
      const [[key, entry]] = Object.entries(doc.AccessToken) as [string, Record<string, string>][];
      delete doc.AccessToken[key];
      const expires = { early: clock.now + 1_000, late: clock.now + 3_000 };
      for (const name of order as ("early" | "late")[]) {
        doc.AccessToken[`${key}-${name}`] = {
          ...entry,
          secret: name,
          target: `User.Read ${name}.scope`,
          expires_on: String(expires[name]),
        };
      }
      cache.deserialize(JSON.stringify(doc));
      assert.equal(at(cache, account), "late", `stored ${order.join(", ")}`);
    }
  });

  it("a token cached up to a minute in the future is served (the clock may go back)", () => {
    for (const [ahead, served] of [[60, true], [61, false]] as const) {
      let t = clock.now + ahead;
      const cache = new TokenCache({ now: () => t });
      const { account } = cache.saveTokenResponse(
        tokenResponse(user(1), { accessToken: "x" }),
        requestContext({ requestedAt: t }),
      );
      t = clock.now;
      assert.equal(at(cache, account), served ? "x" : undefined, `cached ${ahead} s ahead`);
    }
  });

  it("with the default clock, an access token that expired is not served", () => {
    const cache = new TokenCache();
    const realNow = Math.floor(Date.now() / 1000);
    const { account } = cache.saveTokenResponse(
      tokenResponse(user(1), { accessToken: "old", expiresIn: 3_600 }),
      requestContext({ requestedAt: realNow - 7_200 }),
    );
    assert.equal(at(cache, account), undefined);
  });

  it("finds the id token of another tenant when asked, and none of an unknown one", () => {
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    cache.saveTokenResponse(
      tokenResponse(user(1), { tid: GUEST_TENANT }),
      requestContext({ tenant: GUEST_TENANT }),
    );
    const q = (tenantId?: string) =>
      cache.findIdToken({ clientId: CLIENT, account, tenantId })?.claims.tid;
    assert.equal(q(), account.tenantId);
    assert.equal(q(GUEST_TENANT), GUEST_TENANT);
    assert.equal(q("44444444-4444-4444-4444-444444444444"), undefined);
    assert.equal(
      cache.findIdToken({ clientId: OTHER_CLIENT, account, tenantId: GUEST_TENANT }),
      undefined,
    );
  });

  it("getAccounts filters by home account id", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const two = cache.saveTokenResponse(tokenResponse(user(2)), requestContext()).account;
    const found = cache.getAccounts({ homeAccountId: two.homeAccountId.toUpperCase() });
    assert.deepEqual(found.map((a) => a.username), ["user2@contoso.com"]);
  });
});

describe("TokenCache changes", () => {
  it("findRefreshTokenByKey returns the key and entry, or undefined", () => {
    const cache = new TokenCache({ now });
    const saved = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const key = saved.refreshTokenKey!;
    const found = cache.findRefreshTokenByKey(key);
    assert.equal(found?.key, key);
    assert.equal(found?.entity.secret, `rt-${user(1).uid}`);
    assert.equal(cache.findRefreshTokenByKey(`${key}-other`), undefined);
  });

  it("removeRefreshToken with a secret removes only a token that still holds it", () => {
    const cache = new TokenCache({ now });
    const saved = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const key = saved.refreshTokenKey!;
    const version = cache.version;
    assert.equal(cache.removeRefreshToken(key, "a newer secret"), false);
    assert.ok(cache.findRefreshTokenByKey(key), "kept: it holds another secret");
    assert.equal(cache.version, version, "nothing changed");
    assert.equal(cache.removeRefreshToken(key, `rt-${user(1).uid}`), true);
    assert.equal(cache.findRefreshTokenByKey(key), undefined);
    assert.ok(cache.version > version);
    assert.equal(cache.removeRefreshToken(key, `rt-${user(1).uid}`), false, "gone already");
  });

  it("removals of what is not there change nothing (the version stays)", () => {
    const cache = new TokenCache({ now });
    const saved = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    const version = cache.version;
    assert.equal(cache.removeRefreshToken("no-such-key"), false);
    assert.equal(cache.removeAccessToken("no-such-key"), false);
    assert.equal(
      cache.removeAccount({ ...saved.account, homeAccountId: "nobody.nowhere" }),
      false,
    );
    assert.equal(cache.version, version);
  });

  it("removeAccessToken removes that access token", () => {
    const cache = new TokenCache({ now });
    const saved = cache.saveTokenResponse(tokenResponse(user(1)), requestContext());
    assert.ok(at(cache, saved.account));
    const version = cache.version;
    assert.equal(cache.removeAccessToken(saved.accessToken.key), true);
    assert.equal(at(cache, saved.account), undefined);
    assert.equal(cache.accessTokenCount, 0);
    assert.ok(cache.version > version);
  });

  it("markOutsideFamily records an unknown app, and leaves a known one alone", () => {
    const cache = new TokenCache({ now });
    const env = "login.microsoftonline.com";
    const version = cache.version;
    assert.equal(cache.markOutsideFamily({ clientId: OTHER_CLIENT, environment: env }), true);
    assert.ok(cache.version > version);
    assert.equal(cache.getAppMetadata({ clientId: OTHER_CLIENT, environment: env })?.family_id, "");
    cache.saveTokenResponse(tokenResponse(user(1), { foci: "1" }), requestContext());
    const known = cache.version;
    assert.equal(cache.markOutsideFamily({ clientId: CLIENT, environment: env }), false);
    assert.equal(cache.getAppMetadata({ clientId: CLIENT, environment: env })?.family_id, "1");
    assert.equal(cache.version, known);
  });
});
