/**
 * The shared cache format: what saveTokenResponse writes (keys, snake_case fields, string
 * timestamps, targets), what deserialize accepts, what survives a read-modify-write, and
 * every corrupt input refused without touching the cache.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CacheError } from "../../src/cache/cache_error.ts";
import { parseCache } from "../../src/cache/parse.ts";
import { claimsHash, sha256 } from "../../src/cache/sha256.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { repoPath } from "../support/paths.ts";
import {
  CLIENT,
  clientInfo,
  clock,
  now,
  requestContext,
  TENANT,
  tokenResponse,
  user,
} from "./helpers.ts";

const fixture = (name: string) =>
  readFileSync(repoPath("tests", "cache", "fixtures", name), "utf8");
const u1 = user(1);
const home = `${u1.uid}.${u1.utid}`;

function saved(): {
  cache: TokenCache;
  json: Record<string, Record<string, Record<string, unknown>>>;
} {
  const cache = new TokenCache({ now });
  cache.saveTokenResponse(
    tokenResponse(u1, { scope: "User.Read  Mail.Read openid profile", refreshIn: 1800 }),
    requestContext(),
  );
  return { cache, json: JSON.parse(cache.serialize()) };
}

describe("what saveTokenResponse writes", () => {
  it("writes the five sections with MSAL's keys and snake_case fields", () => {
    const { json } = saved();
    assert.deepEqual(Object.keys(json), [
      "AccessToken",
      "RefreshToken",
      "IdToken",
      "Account",
      "AppMetadata",
    ]);
    const env = "login.windows.net";
    const atKey =
      `${home}-${env}-accesstoken-${CLIENT}-${TENANT}-user.read mail.read openid profile`;
    assert.deepEqual(Object.keys(json.AccessToken), [atKey]);
    const at = json.AccessToken[atKey];
    assert.deepEqual(at, {
      home_account_id: home,
      environment: env,
      credential_type: "AccessToken",
      client_id: CLIENT,
      secret: at.secret,
      realm: TENANT,
      target: "User.Read Mail.Read openid profile",
      cached_at: String(clock.now),
      expires_on: String(clock.now + 3600),
      extended_expires_on: String(clock.now + 7200),
      token_type: "Bearer",
      refresh_on: String(clock.now + 1800),
    });
    assert.deepEqual(json.RefreshToken, {
      [`${home}-${env}-refreshtoken-${CLIENT}--`]: {
        home_account_id: home,
        environment: env,
        credential_type: "RefreshToken",
        client_id: CLIENT,
        secret: `rt-${u1.uid}`,
      },
    });
    const idt = json.IdToken[`${home}-${env}-idtoken-${CLIENT}-${TENANT}-`];
    assert.equal(idt.credential_type, "IdToken");
    assert.equal(idt.realm, TENANT);
    assert.deepEqual(json.Account, {
      [`${home}-${env}-${TENANT}`]: {
        home_account_id: home,
        environment: env,
        realm: TENANT,
        local_account_id: u1.uid,
        username: u1.username,
        authority_type: "MSSTS",
        name: u1.name,
        client_info: clientInfo(u1.uid, u1.utid),
      },
    });
    assert.deepEqual(json.AppMetadata, {
      [`appmetadata-${env}-${CLIENT}`]: { client_id: CLIENT, environment: env },
    });
  });

  it("omits refresh_on without refresh_in, and uses expires_in when ext_expires_in is absent", () => {
    const cache = new TokenCache({ now });
    const response = tokenResponse(u1);
    delete response.ext_expires_in;
    cache.saveTokenResponse(response, requestContext({ requestedAt: clock.now - 10 }));
    const at = Object.values(JSON.parse(cache.serialize()).AccessToken)[0] as Record<
      string,
      string
    >;
    assert.equal(at.refresh_on, undefined);
    assert.equal(at.expires_on, String(clock.now - 10 + 3600));
    assert.equal(at.extended_expires_on, at.expires_on);
  });

  it("accepts expires_in as a string", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(
      tokenResponse(u1, { extra: { expires_in: "120" as unknown as number } }),
      requestContext(),
    );
    const at = Object.values(JSON.parse(cache.serialize()).AccessToken)[0] as Record<
      string,
      string
    >;
    assert.equal(at.expires_on, String(clock.now + 120));
  });

  it("keeps the requested host when the cloud is unknown", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(
      tokenResponse(u1),
      requestContext({ environment: "LOGIN.Example.Test" }),
    );
    const account = Object.values(JSON.parse(cache.serialize()).Account)[0] as Record<
      string,
      string
    >;
    assert.equal(account.environment, "login.example.test");
  });

  it("appends msal-node's claims hash and scheme to claims-bound and pop keys", () => {
    const claims = "{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}";
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(u1, { scope: "Files.Read" }), requestContext({ claims }));
    cache.saveTokenResponse(
      tokenResponse(u1, { scope: "Sites.Read", tokenType: "pop" }),
      requestContext(),
    );
    const ats = JSON.parse(cache.serialize()).AccessToken as Record<string, Record<string, string>>;
    const hash = claimsHash(claims);
    const claimsKey =
      `${home}-login.windows.net-accesstoken-${CLIENT}-${TENANT}-files.read-${hash.toLowerCase()}-`;
    assert.equal(ats[claimsKey].requestedClaims, claims);
    assert.equal(ats[claimsKey].requestedClaimsHash, hash);
    const popKey =
      `${home}-login.windows.net-accesstoken_with_authscheme-${CLIENT}-${TENANT}-sites.read--pop`;
    assert.equal(ats[popKey].credential_type, "AccessToken_With_AuthScheme");
    assert.equal(ats[popKey].token_type, "pop");
  });

  it("the claims hash is the unpadded base64url SHA-256 of the claims' UTF-8 text", () => {
    // Enough inputs that the digests' base64 holds "+", "/" and "=" (each turned or dropped).
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const claims = `{"access_token":{"xms_cc":{"values":["CP${i}"]}},"n":"é${i}"}`;
      const expected = createHash("sha256").update(claims, "utf8").digest("base64url");
      assert.equal(claimsHash(claims), expected, claims);
      const plain = createHash("sha256").update(claims, "utf8").digest("base64");
      for (const c of "+/=") if (plain.includes(c)) seen.add(c);
    }
    assert.deepEqual([...seen].sort(), ["+", "/", "="]);
  });

  it("hashes with SHA-256 (FIPS 180-4 test vectors)", () => {
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    assert.equal(
      hex(sha256(new TextEncoder().encode("abc"))),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      hex(
        sha256(
          new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        ),
      ),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    assert.equal(
      hex(sha256(new Uint8Array(0))),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("writes family_id on the refresh token (keyed by the family) and the app metadata", () => {
    const cache = new TokenCache({ now });
    cache.saveTokenResponse(tokenResponse(u1, { foci: "1" }), requestContext());
    const json = JSON.parse(cache.serialize());
    const rt = json.RefreshToken[`${home}-login.windows.net-refreshtoken-1--`];
    assert.equal(rt.family_id, "1");
    assert.equal(rt.client_id, CLIENT);
    assert.equal(json.AppMetadata[`appmetadata-login.windows.net-${CLIENT}`].family_id, "1");
  });

  it("writes ADFS accounts from the id token: sub as home account id, upn as username", () => {
    const cache = new TokenCache({ now });
    const response = tokenResponse(u1, { clientInfo: false, idToken: false });
    response.id_token = `e30.${
      btoa(JSON.stringify({ sub: "adfs-sub", upn: "a@fs.test", name: "A" }))
    }.s`;
    const saved = cache.saveTokenResponse(
      response,
      requestContext({ environment: "fs.contoso.test", tenant: "adfs", authorityType: "ADFS" }),
    );
    assert.equal(saved.account.homeAccountId, "adfs-sub");
    assert.equal(saved.account.username, "a@fs.test");
    assert.equal(saved.account.tenantId, "adfs");
    const account = JSON.parse(cache.serialize()).Account["adfs-sub-fs.contoso.test-adfs"];
    assert.equal(account.authority_type, "ADFS");
    assert.equal(account.local_account_id, "adfs-sub");
  });

  it("refuses a response that names no account, leaving the cache unchanged", () => {
    const cache = new TokenCache({ now });
    const before = cache.serialize();
    assert.throws(
      () =>
        cache.saveTokenResponse(
          tokenResponse(u1, { clientInfo: false, idToken: false }),
          requestContext(),
        ),
      (err: unknown) => err instanceof CacheError && err.reason === "invalid_response",
    );
    assert.equal(cache.serialize(), before);
  });
});

describe("read-modify-write", () => {
  it("round-trips its own output exactly", () => {
    const { cache } = saved();
    const copy = new TokenCache({ now });
    copy.deserialize(cache.serialize());
    assert.equal(copy.serialize(), cache.serialize());
  });

  it("preserves unknown fields and sections through deserialize, modify, serialize", () => {
    const cache = new TokenCache({ now });
    cache.deserialize(fixture("msal_node_style.json"));
    const u7 = user(7);
    // modify: a new token for the same account and another user's sign-in
    cache.saveTokenResponse(tokenResponse(u7, { scope: "Calendars.Read" }), requestContext());
    cache.saveTokenResponse(tokenResponse(user(8)), requestContext());
    const out = JSON.parse(cache.serialize());
    const original = JSON.parse(fixture("msal_node_style.json"));
    assert.deepEqual(out.ServerTelemetry, original.ServerTelemetry);
    assert.deepEqual(out.x_vendor_section, original.x_vendor_section);
    const at = Object.entries(original.AccessToken)[0];
    assert.deepEqual(out.AccessToken[at[0]], at[1]);
    const accountKey = Object.keys(original.Account)[0];
    assert.deepEqual(
      out.Account[accountKey].tenantProfiles,
      original.Account[accountKey].tenantProfiles,
    );
    assert.deepEqual(out.Account[accountKey].x_future_field, { nested: [1, 2, 3] });
    assert.equal(out.Account[accountKey].last_modification_time, "1799999000");
  });

  it("accepts {} and null sections as an empty cache", () => {
    const cache = new TokenCache({ now });
    cache.deserialize("{}");
    assert.equal(cache.getAccounts().length, 0);
    cache.deserialize("{\"AccessToken\":null,\"Account\":{}}");
    assert.equal(cache.accessTokenCount, 0);
  });

  it("keeps a __proto__ member as data", () => {
    const cache = new TokenCache({ now });
    cache.deserialize("{\"__proto__\":{\"polluted\":true},\"AccessToken\":{}}");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(JSON.parse(cache.serialize())["__proto__"], { polluted: true });
  });
});

describe("corrupt or wrong-shape input", () => {
  const valid = JSON.parse(fixture("msal_node_style.json"));
  const atKey = Object.keys(valid.AccessToken)[0];
  const mutate = (f: (c: typeof valid) => void) => {
    const copy = structuredClone(valid);
    f(copy);
    return JSON.stringify(copy);
  };
  const text = JSON.stringify(valid);
  const cases: [string, string, string][] = [
    ["empty", "", "empty"],
    ["whitespace", "  \n", "empty"],
    ["truncated at 1/3", text.slice(0, Math.floor(text.length / 3)), "not_json"],
    ["truncated by one byte", text.slice(0, -1), "not_json"],
    ["not JSON", "AccessToken=1", "not_json"],
    ["binary garbage", "\u0000\u00ff\u0001", "not_json"],
    ["an array", "[]", "wrong_shape"],
    ["null", "null", "wrong_shape"],
    ["a number", "42", "wrong_shape"],
    ["a string", "\"cache\"", "wrong_shape"],
    ["a section that is an array", "{\"AccessToken\":[]}", "wrong_shape"],
    ["a section that is a string", "{\"Account\":\"x\"}", "wrong_shape"],
    ["an entry that is a number", "{\"AccessToken\":{\"k\":5}}", "wrong_shape"],
    ["an entry that is null", "{\"IdToken\":{\"k\":null}}", "wrong_shape"],
    [
      "an access token without secret",
      mutate((c) => delete c.AccessToken[atKey].secret),
      "wrong_shape",
    ],
    [
      "an access token without target",
      mutate((c) => delete c.AccessToken[atKey].target),
      "wrong_shape",
    ],
    ["a missing expires_on", mutate((c) => delete c.AccessToken[atKey].expires_on), "wrong_shape"],
    [
      "a wrong credential_type",
      mutate((c) => c.AccessToken[atKey].credential_type = "IdToken"),
      "wrong_shape",
    ],
    ["a numeric client_id", mutate((c) => c.AccessToken[atKey].client_id = 7), "wrong_shape"],
    [
      "an account without realm",
      mutate((c) => delete (Object.values(c.Account)[0] as Record<string, unknown>).realm),
      "wrong_shape",
    ],
    [
      "a refresh token with a numeric family_id",
      mutate((c) => (Object.values(c.RefreshToken)[0] as Record<string, unknown>).family_id = 1),
      "wrong_shape",
    ],
    [
      "app metadata without client_id",
      mutate((c) => delete (Object.values(c.AppMetadata)[0] as Record<string, unknown>).client_id),
      "wrong_shape",
    ],
    [
      "an id token without realm",
      mutate((c) => delete (Object.values(c.IdToken)[0] as Record<string, unknown>).realm),
      "wrong_shape",
    ],
  ];
  for (const [name, input, reason] of cases) {
    it(`refuses ${name} and leaves the cache untouched`, () => {
      const { cache } = saved();
      const before = cache.serialize();
      const version = cache.version;
      assert.throws(
        () => cache.deserialize(input),
        (err: unknown) =>
          err instanceof CacheError && err.code === "cache_error" && err.reason === reason
          && /not changed/.test(err.message),
      );
      assert.equal(cache.serialize(), before);
      assert.equal(cache.version, version);
      assert.equal(cache.getAccounts().length, 1);
    });
  }

  it("names the offending field", () => {
    const cache = new TokenCache({ now });
    try {
      cache.deserialize(mutate((c) => delete c.AccessToken[atKey].target));
      assert.fail("no error");
    } catch (err) {
      assert.ok(err instanceof CacheError);
      assert.equal(err.path, `AccessToken[${JSON.stringify(atKey)}].target`);
    }
  });

  // A timestamp that is not epoch seconds as a digit string costs that access token only
  // (it can be fetched again), never the whole cache (issue 8, item 7).
  for (
    const [name, input] of [
      ["a numeric expires_on", (c: typeof valid) => c.AccessToken[atKey].expires_on = 1800003600],
      ["a non-numeric expires_on", (c: typeof valid) => c.AccessToken[atKey].expires_on = "soon"],
      ["an exponent expires_on", (c: typeof valid) => c.AccessToken[atKey].expires_on = "1e+21"],
      ["a bad refresh_on", (c: typeof valid) => c.AccessToken[atKey].refresh_on = "-5"],
    ] as const
  ) {
    it(`skips only the access token with ${name}`, () => {
      const cache = new TokenCache({ now });
      const text = mutate(input);
      assert.deepEqual(parseCache(text).skipped.length, 1);
      cache.deserialize(text);
      const out = JSON.parse(cache.serialize());
      assert.equal(out.AccessToken[atKey], undefined);
      assert.equal(cache.getAccounts().length, 1);
      assert.deepEqual(Object.keys(out.RefreshToken), Object.keys(valid.RefreshToken));
    });
  }
});
