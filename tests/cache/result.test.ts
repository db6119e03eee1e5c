/**
 * The AuthenticationResult built from cached entries (src/cache/result.ts): the scheme and
 * header of a PoP token, whose id token claims the app sees, the optional dates, the authority.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authenticationResultFrom, type ResultSource } from "../../src/cache/result.ts";
import type { AccessTokenMatch, IdTokenMatch } from "../../src/cache/types.ts";
import type { AccountInfo } from "../../src/result.ts";

const ACCOUNT: AccountInfo = {
  homeAccountId: "u.t",
  environment: "login.windows.net",
  tenantId: "t",
  username: "a@contoso.com",
  localAccountId: "u",
};

function accessToken(entity: Record<string, string> = {}): AccessTokenMatch {
  return {
    key: "k",
    entity: {
      home_account_id: "u.t",
      environment: "login.windows.net",
      credential_type: "AccessToken",
      client_id: "c",
      secret: "at",
      realm: "t",
      target: "user.read",
      expires_on: "1800003600",
      ...entity,
    },
    scopes: ["user.read"],
    expiresOn: new Date(1_800_003_600_000),
    refreshDue: false,
  };
}

const ID_TOKEN: IdTokenMatch = {
  key: "i",
  entity: {
    home_account_id: "u.t",
    environment: "login.windows.net",
    credential_type: "IdToken",
    client_id: "c",
    secret: "id-token",
    realm: "t",
  },
  claims: { tid: "t", name: "A" },
};

function result(overrides: Partial<ResultSource> = {}) {
  return authenticationResultFrom({
    accessToken: accessToken(),
    account: ACCOUNT,
    correlationId: "corr",
    ...overrides,
  });
}

describe("authenticationResultFrom", () => {
  it("a Bearer token: its header, scopes (a copy), tenant, and the defaults", () => {
    const match = accessToken();
    const r = result({ accessToken: match });
    assert.equal(r.tokenType, "Bearer");
    assert.equal(r.authorizationHeader, "Bearer at");
    assert.deepEqual(r.scopes, ["user.read"]);
    assert.notEqual(r.scopes, match.scopes);
    assert.equal(r.idToken, "");
    assert.deepEqual(r.idTokenClaims, {});
    assert.equal(r.account, ACCOUNT);
    assert.equal(r.tenantId, "t");
    assert.equal(r.fromCache, false);
    assert.equal(r.fromBroker, false);
    assert.equal(r.correlationId, "corr");
    assert.equal(r.authority, "https://login.windows.net/t");
    assert.equal("refreshOn" in r, false);
    assert.equal("extExpiresOn" in r, false);
  });

  it("a PoP token, whatever the case of its type, is sent with the PoP scheme", () => {
    for (const type of ["pop", "PoP", "POP"]) {
      const r = result({ accessToken: accessToken({ token_type: type }) });
      assert.equal(r.tokenType, "pop");
      assert.equal(r.authorizationHeader, "PoP at");
    }
    assert.equal(
      result({ accessToken: accessToken({ token_type: "bearer" }) }).tokenType,
      "Bearer",
    );
  });

  it("the id token's claims, also on an account that had none", () => {
    const r = result({ idToken: ID_TOKEN });
    assert.equal(r.idToken, "id-token");
    assert.deepEqual(r.idTokenClaims, ID_TOKEN.claims);
    assert.deepEqual(r.account, { ...ACCOUNT, idTokenClaims: ID_TOKEN.claims });
    assert.equal(ACCOUNT.idTokenClaims, undefined, "the account passed in is not changed");
  });

  it("an account's own claims stay; they serve when there is no id token", () => {
    const account = { ...ACCOUNT, idTokenClaims: { tid: "t", mine: true } };
    const withId = result({ account, idToken: ID_TOKEN });
    assert.equal(withId.account, account);
    assert.deepEqual(withId.idTokenClaims, ID_TOKEN.claims);
    const without = result({ account });
    assert.equal(without.account, account);
    assert.deepEqual(without.idTokenClaims, account.idTokenClaims);
  });

  it("refresh_on and extended_expires_on as dates; absent, zero or junk as none", () => {
    const r = result({
      accessToken: accessToken({ refresh_on: "1800001800", extended_expires_on: "1800007200" }),
    });
    assert.equal(r.refreshOn?.getTime(), 1_800_001_800_000);
    assert.equal(r.extExpiresOn?.getTime(), 1_800_007_200_000);
    for (const junk of ["", "0", "-5", "soon", "Infinity"]) {
      const j = result({
        accessToken: accessToken({ refresh_on: junk, extended_expires_on: junk }),
      });
      assert.equal("refreshOn" in j, false, junk);
      assert.equal("extExpiresOn" in j, false, junk);
    }
  });

  it("the authority and fromCache as given", () => {
    const r = result({ authority: "https://login.microsoftonline.com/common", fromCache: true });
    assert.equal(r.authority, "https://login.microsoftonline.com/common");
    assert.equal(r.fromCache, true);
  });
});
