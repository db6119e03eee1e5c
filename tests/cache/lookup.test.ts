/**
 * Lookups and removals: valid access tokens only (expiry buffer, refresh_on), scopes,
 * claims and schemes, replacement of overlapping tokens, cloud aliases, refresh tokens and
 * FOCI, accounts deduplicated across realms and aliases, removeAccount, and a cache of
 * 10,000 access tokens.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { authenticationResultFrom } from "../../src/cache/result.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { AccountInfo } from "../../src/result.ts";
import { repoPath } from "../support/paths.ts";
import {
  CLIENT,
  clock,
  GUEST_TENANT,
  now,
  OTHER_CLIENT,
  requestContext,
  TENANT,
  tokenResponse,
  user,
} from "./helpers.ts";

const fixture = () =>
  readFileSync(repoPath("tests", "cache", "fixtures", "msal_node_style.json"), "utf8");
const u1 = user(1);

function signedIn(options: Parameters<typeof tokenResponse>[1] = {}, context = requestContext()) {
  const cache = new TokenCache({ now });
  const saved = cache.saveTokenResponse(tokenResponse(u1, options), context);
  return { cache, account: saved.account };
}

describe("findAccessToken", () => {
  it("finds a valid token for a subset of its scopes, case-insensitively, ignoring OIDC scopes", () => {
    const { cache, account } = signedIn({ scope: "User.Read Mail.Read openid profile" });
    for (
      const scopes of [["User.Read"], ["mail.read", "USER.READ"], [
        "openid",
        "offline_access",
        "User.Read",
      ]]
    ) {
      const found = cache.findAccessToken({ clientId: CLIENT, account, scopes });
      assert.ok(found, scopes.join(" "));
      assert.deepEqual(found.scopes, ["User.Read", "Mail.Read", "openid", "profile"]);
      assert.equal(found.refreshDue, false);
    }
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["Files.Read"] }),
      undefined,
    );
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read", "Files.Read"] }),
      undefined,
    );
  });

  it("treats a token expiring within 5 minutes as expired, like MSAL", () => {
    const { cache, account } = signedIn({ expiresIn: 3600 });
    const q = { clientId: CLIENT, account, scopes: ["User.Read"] };
    const start = clock.now;
    try {
      clock.now = start + 3600 - 300;
      assert.ok(cache.findAccessToken(q), "exactly 300 s left: still valid");
      clock.now = start + 3600 - 299;
      assert.equal(cache.findAccessToken(q), undefined);
      clock.now = start + 7200;
      assert.equal(cache.findAccessToken(q), undefined);
    } finally {
      clock.now = start;
    }
  });

  it("honours a custom expiry buffer and refuses a token cached in the future", () => {
    const cache = new TokenCache({ now, expiryBufferSeconds: 0 });
    const { account } = cache.saveTokenResponse(
      tokenResponse(u1, { expiresIn: 100 }),
      requestContext(),
    );
    const start = clock.now;
    try {
      clock.now = start + 99;
      assert.ok(cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }));
      clock.now = start - 30; // within the slack for other writers' rounding
      assert.ok(cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }));
      clock.now = start - 120; // clock turned back: cached_at is in the future
      assert.equal(
        cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }),
        undefined,
      );
    } finally {
      clock.now = start;
    }
  });

  it("reports refresh_on passed", () => {
    const { cache, account } = signedIn({ refreshIn: 600 });
    const start = clock.now;
    try {
      clock.now = start + 601;
      const found = cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] });
      assert.equal(found?.refreshDue, true);
    } finally {
      clock.now = start;
    }
  });

  it("matches only the same client, account and tenant", () => {
    const { cache, account } = signedIn();
    assert.equal(
      cache.findAccessToken({ clientId: OTHER_CLIENT, account, scopes: ["User.Read"] }),
      undefined,
    );
    const other = { ...account, homeAccountId: "x.y" };
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account: other, scopes: ["User.Read"] }),
      undefined,
    );
    assert.equal(
      cache.findAccessToken({
        clientId: CLIENT,
        account,
        scopes: ["User.Read"],
        tenantId: GUEST_TENANT,
      }),
      undefined,
    );
    cache.saveTokenResponse(
      tokenResponse(u1, { tid: GUEST_TENANT, oid: "guest-oid", accessToken: "guest-at" }),
      requestContext({ tenant: GUEST_TENANT }),
    );
    const guest = cache.findAccessToken({
      clientId: CLIENT,
      account,
      scopes: ["User.Read"],
      tenantId: GUEST_TENANT,
    });
    assert.equal(guest?.entity.secret, "guest-at");
    assert.notEqual(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] })?.entity.secret,
      "guest-at",
    );
  });

  it("keeps claims-bound and pop tokens apart from bearer tokens", () => {
    const claims = "{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}";
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Files.Read", accessToken: "claims-at" }),
      requestContext({ claims }),
    );
    cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Files.Read", accessToken: "pop-at", tokenType: "pop" }),
      requestContext(),
    );
    cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Files.Read", accessToken: "bearer-at" }),
      requestContext(),
    );
    const q = { clientId: CLIENT, account, scopes: ["Files.Read"] };
    assert.equal(cache.findAccessToken(q)?.entity.secret, "bearer-at");
    assert.equal(cache.findAccessToken({ ...q, claims })?.entity.secret, "claims-at");
    assert.equal(cache.findAccessToken({ ...q, claims: "{\"other\":1}" }), undefined);
    assert.equal(cache.findAccessToken({ ...q, tokenType: "pop" })?.entity.secret, "pop-at");
    assert.equal(cache.findAccessToken({ ...q, tokenType: "Bearer" })?.entity.secret, "bearer-at");
    assert.equal(cache.accessTokenCount, 3);
  });
});

describe("saving replaces overlapping access tokens, as MSAL does", () => {
  it("replaces a token whose scopes overlap, keeps the others", () => {
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(
      tokenResponse(u1, { scope: "User.Read Mail.Read", accessToken: "a" }),
      requestContext(),
    );
    cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Calendars.Read openid", accessToken: "b" }),
      requestContext(),
    );
    cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Mail.Read Files.Read openid", accessToken: "c" }),
      requestContext(),
    );
    assert.equal(cache.accessTokenCount, 2);
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["User.Read"] }),
      undefined,
    );
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["Mail.Read"] })?.entity.secret,
      "c",
    );
    assert.equal(
      cache.findAccessToken({ clientId: CLIENT, account, scopes: ["Calendars.Read"] })?.entity
        .secret,
      "b",
    );
  });

  it("does not replace tokens of another client, tenant or account", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(u1), requestContext());
    cache.saveTokenResponse(tokenResponse(u1), requestContext({ clientId: OTHER_CLIENT }));
    cache.saveTokenResponse(tokenResponse(u1, { tid: GUEST_TENANT }), requestContext());
    cache.saveTokenResponse(tokenResponse(user(2)), requestContext());
    assert.equal(cache.accessTokenCount, 4);
  });

  it("replaces the same token written under another alias of the cloud", () => {
    const cache = new TokenCache({ now });
    cache.deserialize(fixture()); // msal-node wrote User.Read Mail.Read under login.windows.net
    cache.saveTokenResponse(
      tokenResponse(user(7), { scope: "Mail.Read", accessToken: "new" }),
      requestContext({ environment: "login.microsoft.com" }),
    );
    const ats = Object.values(JSON.parse(cache.serialize()).AccessToken) as { secret: string; }[];
    assert.deepEqual(ats.map((a) => a.secret), ["new"]);
  });
});

describe("cloud aliases", () => {
  const u7: AccountInfo = {
    homeAccountId: `${user(7).uid}.${TENANT}`,
    environment: "login.microsoftonline.com",
    tenantId: TENANT,
    username: "",
    localAccountId: "",
  };

  it("serves a request to any alias from tokens msal-node wrote under login.windows.net", () => {
    const cache = new TokenCache({ now });
    cache.deserialize(fixture());
    for (
      const environment of [
        "login.microsoftonline.com",
        "login.microsoft.com",
        "sts.windows.net",
        "LOGIN.WINDOWS.NET",
      ]
    ) {
      const found = cache.findAccessToken({
        clientId: CLIENT,
        account: { ...u7, environment },
        scopes: ["mail.read"],
      });
      assert.equal(found?.entity.secret, "at-from-msal-node", environment);
      assert.ok(
        cache.findRefreshToken({
          clientId: CLIENT,
          account: { ...u7, environment },
          familyId: "1",
        }),
      );
      assert.equal(
        cache.findIdToken({ clientId: CLIENT, account: { ...u7, environment } })?.claims.name,
        "User 7",
      );
    }
    assert.equal(
      cache.findAccessToken({
        clientId: CLIENT,
        account: { ...u7, environment: "login.microsoftonline.us" },
        scopes: ["mail.read"],
      }),
      undefined,
    );
  });

  it("matches China and US Government aliases by default", () => {
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(
      tokenResponse(u1),
      requestContext({ environment: "login.chinacloudapi.cn" }),
    );
    assert.equal(account.environment, "login.partner.microsoftonline.cn");
    assert.ok(
      cache.findAccessToken({
        clientId: CLIENT,
        account: { ...account, environment: "login.chinacloudapi.cn" },
        scopes: ["User.Read"],
      }),
    );
    const gov = cache.saveTokenResponse(
      tokenResponse(u1),
      requestContext({ environment: "login.usgovcloudapi.net" }),
    ).account;
    assert.equal(gov.environment, "login.microsoftonline.us");
    assert.equal(cache.getAccounts().length, 2);
  });

  it("takes an alias table as a constructor option, and more clouds later", () => {
    const cloud = {
      aliases: ["login.example.test", "sts.example.test"],
      preferredCache: "login.example.test",
    };
    const cache = new TokenCache({ now, clouds: [cloud] });
    const { account } = cache.saveTokenResponse(
      tokenResponse(u1),
      requestContext({ environment: "sts.example.test" }),
    );
    assert.equal(account.environment, "login.example.test");
    assert.ok(
      cache.findAccessToken({
        clientId: CLIENT,
        account: { ...account, environment: "sts.example.test" },
        scopes: ["User.Read"],
      }),
    );
    // the default table is replaced: the public cloud's aliases are now separate clouds
    cache.saveTokenResponse(
      tokenResponse(u1),
      requestContext({ environment: "login.microsoftonline.com" }),
    );
    const pub = { ...account, environment: "login.microsoftonline.com" };
    assert.equal(
      cache.findAccessToken({
        clientId: CLIENT,
        account: { ...pub, environment: "login.windows.net" },
        scopes: ["User.Read"],
      }),
      undefined,
    );
    cache.addCloud({
      aliases: ["login.microsoftonline.com", "login.windows.net"],
      preferredCache: "login.windows.net",
    });
    assert.ok(
      cache.findAccessToken({
        clientId: CLIENT,
        account: { ...pub, environment: "login.windows.net" },
        scopes: ["User.Read"],
      }),
    );
  });
});

describe("refresh tokens", () => {
  it("finds the client's refresh token; rotation replaces it; removeRefreshToken removes it", () => {
    const { cache, account } = signedIn({ refreshToken: "rt-1" });
    assert.equal(cache.findRefreshToken({ clientId: CLIENT, account })?.entity.secret, "rt-1");
    cache.saveTokenResponse(
      tokenResponse(u1, { refreshToken: "rt-2", scope: "Mail.Read" }),
      requestContext(),
    );
    const found = cache.findRefreshToken({ clientId: CLIENT, account });
    assert.equal(found?.entity.secret, "rt-2");
    assert.equal(Object.keys(JSON.parse(cache.serialize()).RefreshToken).length, 1);
    assert.equal(cache.findRefreshToken({ clientId: OTHER_CLIENT, account }), undefined);
    const version = cache.version;
    assert.equal(cache.removeRefreshToken(found!.key), true);
    assert.equal(cache.version, version + 1);
    assert.equal(cache.removeRefreshToken(found!.key), false);
    assert.equal(cache.findRefreshToken({ clientId: CLIENT, account }), undefined);
  });

  it("lets any app of the family use a family refresh token (FOCI)", () => {
    const { cache, account } = signedIn({ foci: "1", refreshToken: "family-rt" });
    assert.equal(cache.findRefreshToken({ clientId: OTHER_CLIENT, account }), undefined);
    assert.equal(
      cache.findRefreshToken({ clientId: OTHER_CLIENT, account, familyId: "1" })?.entity.secret,
      "family-rt",
    );
    assert.equal(
      cache.findRefreshToken({ clientId: OTHER_CLIENT, account, familyId: "2" }),
      undefined,
    );
    assert.equal(
      cache.getAppMetadata({ clientId: CLIENT, environment: "login.microsoftonline.com" })
        ?.family_id,
      "1",
    );
    // the other app refreshes with it and gets a rotated family token: one family token remains
    cache.saveTokenResponse(
      tokenResponse(u1, { foci: "1", refreshToken: "family-rt-2" }),
      requestContext({ clientId: OTHER_CLIENT }),
    );
    assert.equal(
      cache.findRefreshToken({ clientId: CLIENT, account, familyId: "1" })?.entity.secret,
      "family-rt-2",
    );
    assert.equal(Object.keys(JSON.parse(cache.serialize()).RefreshToken).length, 1);
  });
});

describe("accounts", () => {
  it("returns one account per user and cloud, deduplicated across realms and aliases", () => {
    const cache = new TokenCache({ now });
    cache.deserialize(fixture()); // user 7 under login.windows.net
    cache.saveTokenResponse(
      tokenResponse(u1, { tid: GUEST_TENANT, oid: "guest-oid" }),
      requestContext({ tenant: GUEST_TENANT }),
    );
    cache.saveTokenResponse(tokenResponse(u1), requestContext());
    cache.saveTokenResponse(
      tokenResponse(user(7), { tid: GUEST_TENANT }),
      requestContext({ environment: "login.microsoft.com" }),
    );
    const accounts = cache.getAccounts();
    assert.equal(accounts.length, 2);
    const a1 = accounts.find((a) => a.username === u1.username)!;
    assert.equal(a1.homeAccountId, `${u1.uid}.${TENANT}`);
    assert.equal(a1.tenantId, TENANT, "the home tenant's entry describes the account");
    assert.equal(a1.localAccountId, u1.uid);
    assert.equal(a1.name, u1.name);
    assert.equal(a1.environment, "login.windows.net");
    assert.equal(a1.idTokenClaims?.tid, TENANT);
    assert.equal(a1.idTokenClaims?.preferred_username, u1.username);
    const a7 = accounts.find((a) => a.username === "user7@contoso.com")!;
    assert.equal(a7.tenantId, TENANT);
    assert.equal(a7.idTokenClaims?.name, "User 7");
    assert.equal(Object.keys(JSON.parse(cache.serialize()).Account).length, 4);
  });

  it("filters by home account id, environment and client", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(u1), requestContext());
    cache.saveTokenResponse(tokenResponse(user(2)), requestContext());
    assert.equal(cache.getAccounts({ homeAccountId: `${u1.uid}.${TENANT}` }).length, 1);
    assert.equal(cache.getAccounts({ environment: "sts.windows.net" }).length, 2);
    assert.equal(cache.getAccounts({ environment: "login.microsoftonline.us" }).length, 0);
    assert.equal(cache.getAccounts({ clientId: OTHER_CLIENT })[0].idTokenClaims, undefined);
    assert.ok(cache.getAccounts({ clientId: CLIENT })[0].idTokenClaims);
  });

  it("leaves the id token claims out when asked (the same accounts, nothing decoded)", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(u1), requestContext());
    cache.saveTokenResponse(tokenResponse(user(2)), requestContext());
    const full = cache.getAccounts({ clientId: CLIENT });
    const bare = cache.getAccounts({ clientId: CLIENT, idTokenClaims: false });
    assert.equal(bare.length, 2);
    assert.ok(full.every((a) => a.idTokenClaims));
    assert.deepEqual(bare, full.map(({ idTokenClaims: _, ...rest }) => rest));
  });

  it("removeAccount removes the account in every realm and alias with all its tokens", () => {
    const cache = new TokenCache({ now });
    const { account } = cache.saveTokenResponse(tokenResponse(u1, { foci: "1" }), requestContext());
    cache.saveTokenResponse(
      tokenResponse(u1, { tid: GUEST_TENANT }),
      requestContext({ clientId: OTHER_CLIENT }),
    );
    cache.saveTokenResponse(tokenResponse(user(2)), requestContext());
    const json0 = JSON.parse(cache.serialize());
    json0.Account["x-login.microsoftonline.com-y"] = {
      ...json0.Account[Object.keys(json0.Account)[0]],
      environment: "login.microsoftonline.com",
    };
    cache.deserialize(JSON.stringify(json0));
    assert.equal(cache.removeAccount({ ...account, environment: "login.microsoft.com" }), true);
    const json = JSON.parse(cache.serialize());
    for (const section of ["AccessToken", "RefreshToken", "IdToken", "Account"]) {
      for (const entry of Object.values(json[section]) as { home_account_id: string; }[]) {
        assert.notEqual(entry.home_account_id, account.homeAccountId, section);
      }
      assert.ok(Object.keys(json[section]).length >= 1, `user 2 keeps its ${section}`);
    }
    assert.equal(Object.keys(json.AppMetadata).length, 2, "app metadata stays");
    assert.deepEqual(cache.getAccounts().map((a) => a.username), [user(2).username]);
    assert.equal(cache.removeAccount(account), false);
  });
});

describe("results and scale", () => {
  it("builds an AuthenticationResult from a lookup", () => {
    const { cache, account } = signedIn({ scope: "User.Read openid" });
    const accessToken = cache.findAccessToken({
      clientId: CLIENT,
      account,
      scopes: ["User.Read"],
    })!;
    const idToken = cache.findIdToken({ clientId: CLIENT, account });
    const result = authenticationResultFrom({
      accessToken,
      idToken,
      account,
      correlationId: "c-1",
    });
    assert.equal(result.accessToken, accessToken.entity.secret);
    assert.equal(result.authorizationHeader, `Bearer ${accessToken.entity.secret}`);
    assert.equal(result.tokenType, "Bearer");
    assert.deepEqual(result.scopes, ["User.Read", "openid"]);
    assert.equal(result.expiresOn.getTime(), (clock.now + 3600) * 1000);
    assert.equal(result.idTokenClaims.preferred_username, u1.username);
    assert.equal(result.tenantId, TENANT);
    assert.equal(result.fromBroker, false);
    assert.equal(result.correlationId, "c-1");
  });

  it("holds 10,000 access tokens and finds each one", () => {
    const cache = new TokenCache({ now });
    const accounts: AccountInfo[] = [];
    for (let u = 0; u < 500; u++) {
      for (let s = 0; s < 20; s++) {
        const saved = cache.saveTokenResponse(
          tokenResponse(user(u), { scope: `api://res${s}/.default`, accessToken: `at-${u}-${s}` }),
          requestContext(),
        );
        if (s === 0) accounts.push(saved.account);
      }
    }
    assert.equal(cache.accessTokenCount, 10_000);
    for (let u = 0; u < 500; u += 7) {
      for (let s = 0; s < 20; s += 3) {
        const found = cache.findAccessToken({
          clientId: CLIENT,
          account: accounts[u],
          scopes: [`api://RES${s}/.default`],
        });
        assert.equal(found?.entity.secret, `at-${u}-${s}`);
      }
    }
    const copy = new TokenCache({ now });
    copy.deserialize(cache.serialize());
    assert.equal(copy.accessTokenCount, 10_000);
    assert.equal(copy.getAccounts().length, 500);
  });
});
