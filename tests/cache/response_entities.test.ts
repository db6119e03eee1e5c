/**
 * What a token response writes to the cache, field by field (src/cache/response_entities.ts,
 * src/cache/account.ts): who the account is, the realm, the scopes, the lifetimes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountEntityFrom,
  accountInfoFrom,
  type AccountSource,
  decodeClientInfo,
  homeAccountIdOf,
  realmOf,
} from "../../src/cache/account.ts";
import { CacheError } from "../../src/cache/cache_error.ts";
import { entitiesFromResponse, withRequestedForms } from "../../src/cache/response_entities.ts";
import { claimsHash } from "../../src/cache/sha256.ts";
import type { TokenResponse } from "../../src/token_response.ts";
import { b64url, clientInfo, jwt, requestContext } from "./helpers.ts";

const ENV = "login.windows.net";

function source(overrides: Partial<AccountSource> = {}): AccountSource {
  return {
    idTokenClaims: {},
    authorityType: "MSSTS",
    environment: ENV,
    tenant: "organizations",
    ...overrides,
  };
}

function response(overrides: Partial<TokenResponse> = {}): TokenResponse {
  return {
    token_type: "Bearer",
    scope: "User.Read",
    expires_in: 3600,
    access_token: "at",
    client_info: clientInfo("u", "t"),
    ...overrides,
  } as TokenResponse;
}

describe("decodeClientInfo", () => {
  it("reads base64url without padding, with - and _", () => {
    // "uid":"?>?" encodes to text with + and / in plain base64 ("Pz4/" → "Pz4_").
    const raw = b64url(JSON.stringify({ uid: "?>?", utid: "~~~" }));
    assert.match(raw, /[-_]/);
    assert.doesNotMatch(raw, /=/);
    assert.deepEqual(decodeClientInfo(raw), { uid: "?>?", utid: "~~~" });
  });

  it("reads non-ASCII text as UTF-8", () => {
    assert.deepEqual(decodeClientInfo(b64url(JSON.stringify({ uid: "é", utid: "ü" }))), {
      uid: "é",
      utid: "ü",
    });
  });

  it("treats absent, empty, malformed or incomplete client_info as none", () => {
    for (
      const value of [
        undefined,
        "",
        "%%%",
        b64url("not json"),
        b64url("null"),
        b64url(JSON.stringify({ uid: "u" })),
        b64url(JSON.stringify({ utid: "t" })),
        b64url(JSON.stringify({ uid: "", utid: "t" })),
        b64url(JSON.stringify({ uid: 1, utid: "t" })),
        b64url(JSON.stringify({ uid: "u", utid: 2 })),
      ]
    ) {
      assert.equal(decodeClientInfo(value), undefined, String(value));
    }
  });

  it("returns uid and utid only", () => {
    const info = decodeClientInfo(b64url(JSON.stringify({ uid: "u", utid: "t", x: 1 })));
    assert.deepEqual(info, { uid: "u", utid: "t" });
  });
});

describe("homeAccountIdOf and realmOf", () => {
  it("uid.utid from client_info; the id token's sub without it", () => {
    assert.equal(homeAccountIdOf(source({ clientInfo: clientInfo("u", "t") })), "u.t");
    assert.equal(homeAccountIdOf(source({ idTokenClaims: { sub: "s" } })), "s");
    assert.equal(homeAccountIdOf(source()), "");
    assert.equal(homeAccountIdOf(source({ idTokenClaims: { sub: "" } })), "");
    assert.equal(homeAccountIdOf(source({ idTokenClaims: { sub: 7 } })), "");
  });

  it("a client_info with an empty utid falls back to sub", () => {
    const s = source({ clientInfo: clientInfo("u", ""), idTokenClaims: { sub: "s" } });
    assert.equal(homeAccountIdOf(s), "s");
  });

  it("ADFS ignores client_info: sub is the home account id", () => {
    const s = source({
      authorityType: "ADFS",
      clientInfo: clientInfo("u", "t"),
      idTokenClaims: { sub: "s" },
    });
    assert.equal(homeAccountIdOf(s), "s");
    assert.equal(homeAccountIdOf({ ...s, authorityType: "Generic" }), "u.t");
  });

  it("realm: the id token's tid, else the request's tenant", () => {
    assert.equal(realmOf(source({ idTokenClaims: { tid: "t1" } })), "t1");
    assert.equal(realmOf(source()), "organizations");
    assert.equal(realmOf(source({ idTokenClaims: { tid: "" } })), "organizations");
  });
});

describe("accountEntityFrom", () => {
  it("local account id: oid, else sub, else client_info's uid, else empty", () => {
    const ci = clientInfo("uid", "utid");
    const local = (claims: Record<string, unknown>, info?: string) =>
      accountEntityFrom("h", source({ idTokenClaims: claims, clientInfo: info }))
        .local_account_id;
    assert.equal(local({ oid: "o", sub: "s" }, ci), "o");
    assert.equal(local({ sub: "s" }, ci), "s");
    assert.equal(local({}, ci), "uid");
    assert.equal(local({}), "");
  });

  it("username: preferred_username, else upn, else email, else empty", () => {
    const username = (claims: Record<string, unknown>) =>
      accountEntityFrom("h", source({ idTokenClaims: claims })).username;
    assert.equal(username({ preferred_username: "p", upn: "u", email: "e" }), "p");
    assert.equal(username({ upn: "u", email: "e" }), "u");
    assert.equal(username({ email: "e" }), "e");
    assert.equal(username({}), "");
  });

  it("writes exactly MSAL's fields; name and client_info only when present", () => {
    const ci = clientInfo("u", "t");
    assert.deepEqual(
      accountEntityFrom(
        "u.t",
        source({
          clientInfo: ci,
          idTokenClaims: { oid: "o", tid: "t", preferred_username: "a@b", name: "A" },
        }),
      ),
      {
        home_account_id: "u.t",
        environment: ENV,
        realm: "t",
        local_account_id: "o",
        username: "a@b",
        authority_type: "MSSTS",
        name: "A",
        client_info: ci,
      },
    );
    const bare = accountEntityFrom("s", source({ idTokenClaims: { sub: "s", name: "" } }));
    assert.deepEqual(Object.keys(bare).sort(), [
      "authority_type",
      "environment",
      "home_account_id",
      "local_account_id",
      "realm",
      "username",
    ]);
  });
});

describe("accountInfoFrom", () => {
  const entity = {
    home_account_id: "u.t",
    environment: ENV,
    realm: "t",
    local_account_id: "u",
    username: "a@b",
    authority_type: "MSSTS",
  };

  it("maps the entry's fields; name and claims only when there are some", () => {
    assert.deepEqual(accountInfoFrom(entity), {
      homeAccountId: "u.t",
      environment: ENV,
      tenantId: "t",
      username: "a@b",
      localAccountId: "u",
    });
    const claims = { tid: "t" };
    const info = accountInfoFrom({ ...entity, name: "A" }, claims);
    assert.equal(info.name, "A");
    assert.equal(info.idTokenClaims, claims);
    assert.equal("name" in accountInfoFrom({ ...entity, name: "" }), false);
  });
});

describe("entitiesFromResponse", () => {
  const context = requestContext({ requestedAt: 1_800_000_000.9 });

  it("lifetimes: whole seconds from the request's time; strings accepted", () => {
    const e = entitiesFromResponse(
      response({ expires_in: "3600" as never, ext_expires_in: 7200, refresh_in: 1800 }),
      context,
      ENV,
      1_800_000_005.7,
    );
    assert.equal(e.accessToken.expires_on, "1800003600");
    assert.equal(e.accessToken.extended_expires_on, "1800007200");
    assert.equal(e.accessToken.refresh_on, "1800001800");
    assert.equal(e.accessToken.cached_at, "1800000005");
  });

  it("without expires_in the token is expired at once; ext defaults to expires_in", () => {
    const e = entitiesFromResponse(
      response({ expires_in: undefined as never, ext_expires_in: null as never }),
      context,
      ENV,
      1_800_000_000,
    );
    assert.equal(e.accessToken.expires_on, "1800000000");
    assert.equal(e.accessToken.extended_expires_on, "1800000000");
  });

  it("refresh_in of 0 writes no refresh_on", () => {
    const e = entitiesFromResponse(response({ refresh_in: 0 }), context, ENV, 1_800_000_000);
    assert.equal("refresh_on" in e.accessToken, false);
  });

  it("refuses a lifetime that is not a number of seconds, naming the field", () => {
    for (
      const [field, value] of [
        ["expires_in", -1],
        ["expires_in", "soon"],
        ["ext_expires_in", Infinity],
        ["refresh_in", true],
        ["refresh_in", NaN],
      ] as const
    ) {
      assert.throws(
        () =>
          entitiesFromResponse(response({ [field]: value } as never), context, ENV, 1_800_000_000),
        (err: unknown) =>
          err instanceof CacheError && err.reason === "invalid_response"
          && err.message === `The token response's ${field} is not a number of seconds.`,
        `${field}: ${String(value)}`,
      );
    }
    // Zero is a number of seconds.
    entitiesFromResponse(response({ expires_in: 0 }), context, ENV, 1_800_000_000);
  });

  it("refuses a response that names no account, saying what to do", () => {
    assert.throws(
      () =>
        entitiesFromResponse(
          response({ client_info: undefined }),
          context,
          ENV,
          1_800_000_000,
        ),
      (err: unknown) =>
        err instanceof CacheError && err.reason === "invalid_response"
        && /names no account/.test(err.message) && /openid scope and send client_info=1/.test(
          err.message,
        ),
    );
  });

  it("every entry carries the account, environment, client and realm", () => {
    const idToken = jwt({ sub: "s", tid: "t9", oid: "o" });
    const e = entitiesFromResponse(
      response({ id_token: idToken, refresh_token: "rt", foci: "1" }),
      context,
      ENV,
      1_800_000_000,
    );
    assert.deepEqual(e.idTokenClaims, { sub: "s", tid: "t9", oid: "o" });
    assert.deepEqual(e.refreshToken, {
      home_account_id: "u.t",
      environment: ENV,
      credential_type: "RefreshToken",
      client_id: context.clientId,
      secret: "rt",
      family_id: "1",
    });
    assert.deepEqual(e.idToken, {
      home_account_id: "u.t",
      environment: ENV,
      credential_type: "IdToken",
      client_id: context.clientId,
      secret: idToken,
      realm: "t9",
    });
    assert.deepEqual(e.appMetadata, {
      client_id: context.clientId,
      environment: ENV,
      family_id: "1",
    });
    assert.equal(e.account.realm, "t9");
    assert.equal(e.accessToken.realm, "t9");
    assert.equal(e.accessToken.home_account_id, "u.t");
    assert.equal(e.accessToken.environment, ENV);
    assert.equal(e.accessToken.client_id, context.clientId);
    assert.equal(e.accessToken.secret, "at");
    assert.equal(e.accessToken.credential_type, "AccessToken");
    assert.equal(e.accessToken.token_type, "Bearer");
  });

  it("without foci, no family_id anywhere; without id token, no claims", () => {
    const e = entitiesFromResponse(
      response({ refresh_token: "rt" }),
      context,
      ENV,
      1_800_000_000,
    );
    assert.equal("family_id" in e.refreshToken!, false);
    assert.deepEqual(e.appMetadata, { client_id: context.clientId, environment: ENV });
    assert.deepEqual(e.idTokenClaims, {});
    assert.equal(e.idToken, undefined);
    assert.equal(e.account.realm, "organizations");
  });

  it("a pop token keeps its type and credential type; claims are stored with their hash", () => {
    const claims = "{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}";
    const e = entitiesFromResponse(
      response({ token_type: "pop" }),
      requestContext({ claims }),
      ENV,
      1_800_000_000,
    );
    assert.equal(e.accessToken.credential_type, "AccessToken_With_AuthScheme");
    assert.equal(e.accessToken.token_type, "pop");
    assert.equal(e.accessToken.requestedClaims, claims);
    assert.equal(e.accessToken.requestedClaimsHash, claimsHash(claims));
    const plain = entitiesFromResponse(response(), context, ENV, 1_800_000_000);
    assert.equal("requestedClaims" in plain.accessToken, false);
    assert.equal("requestedClaimsHash" in plain.accessToken, false);
  });

  it("target: the granted scopes, in the form the app asked for; else the requested ones", () => {
    const graph = requestContext({
      scopes: ["https://graph.microsoft.com/User.Read", "openid"],
    });
    const e = entitiesFromResponse(
      response({ scope: "User.Read openid" }),
      graph,
      ENV,
      1_800_000_000,
    );
    assert.equal(e.accessToken.target, "https://graph.microsoft.com/User.Read openid");
    const none = entitiesFromResponse(
      response({ scope: undefined as never }),
      requestContext({ scopes: ["A  B"] }),
      ENV,
      1_800_000_000,
    );
    assert.equal(none.accessToken.target, "A B");
  });
});

describe("withRequestedForms", () => {
  it("maps Graph's short scopes back to the requested long form, case-insensitively", () => {
    assert.deepEqual(
      withRequestedForms(
        ["user.read", "Mail.Read", "openid"],
        [
          "HTTPS://graph.microsoft.com/User.Read",
          "00000003-0000-0000-c000-000000000000/Mail.Read",
        ],
      ),
      [
        "HTTPS://graph.microsoft.com/User.Read",
        "00000003-0000-0000-c000-000000000000/Mail.Read",
        "openid",
      ],
    );
  });

  it("leaves scopes of other resources, and requests without Graph scopes, alone", () => {
    const granted = ["User.Read"];
    assert.equal(withRequestedForms(granted, ["User.Read"]), granted);
    assert.deepEqual(withRequestedForms(granted, ["https://other.example/User.Read"]), granted);
  });
});
