/**
 * Fuzzing the serialized token cache (MSAL's shared format, as msal-node, MSAL Python and
 * other processes write it): arbitrary text and mutated caches are read or refused with a
 * `cache_error` leaving the cache unchanged; a cache that was read serializes back to the
 * same content (unknown fields and sections included), and every lookup on it works.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accessTokenKey,
  accountKey,
  appMetadataKey,
  idTokenKey,
  refreshTokenKey,
} from "../../src/cache/keys.ts";
import type {
  AccessTokenEntity,
  AccountEntity,
  AppMetadataEntity,
  IdTokenEntity,
  RefreshTokenEntity,
} from "../../src/cache/schema.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { fc, fuzzParameters, fuzzTestTimeout, settle } from "../support/fuzz.ts";
import {
  b64json,
  extraKey,
  jwt,
  mutated,
  nastyValue,
  oddString,
  setOwn,
} from "../support/fuzz_arbitraries.ts";

type Json = Record<string, unknown>;
const NOW = 1_800_000_000;
const CLIENTS = ["00000000-0000-0000-0000-00000000c1e7", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"];
const ENVIRONMENTS = [
  "login.windows.net",
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "fs.contoso.com",
];

/** Unknown fields other MSAL libraries write, or might. */
const extraFields = fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });

function withExtras<T extends Json>(entity: T, extras: Json): T {
  for (const [k, v] of Object.entries(extras)) if (!(k in entity)) setOwn(entity, k, v);
  return entity;
}

/** Epoch seconds as MSAL writes them (digits), now and then far out of the usual range. */
const seconds = (min: number, max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min, max }).map(String) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "0",
        "0001800003600",
        "8640000000000",
        "8640000000001",
        String(2 ** 53),
        "9".repeat(20),
        "9".repeat(400),
      ),
    },
  );

/** One account with its tokens, as MSAL writes them. */
const accountEntries = fc.record({
  uid: fc.uuid(),
  utid: fc.uuid(),
  environment: fc.constantFrom(...ENVIRONMENTS),
  clientId: fc.constantFrom(...CLIENTS),
  username: fc.constantFrom("ada@contoso.example", "", "\u00e5sa@contoso.example"),
  target: fc.constantFrom(
    "User.Read openid profile",
    "https://graph.microsoft.com/.default",
    "Mail.Read",
  ),
  expiresOn: seconds(NOW - 1000, NOW + 86_400),
  refreshOn: fc.option(seconds(NOW - 1000, NOW + 86_400), { nil: undefined }),
  tokenType: fc.constantFrom(undefined, "Bearer", "pop"),
  familyId: fc.constantFrom(undefined, "1", ""),
  claims: fc.option(fc.constant("{\"access_token\":{\"xms_cc\":{\"values\":[\"CP1\"]}}}"), {
    nil: undefined,
  }),
  extras: extraFields,
}).map((a) => {
  const home = `${a.uid}.${a.utid}`;
  const account: AccountEntity = withExtras({
    home_account_id: home,
    environment: a.environment,
    realm: a.utid,
    local_account_id: a.uid,
    username: a.username,
    authority_type: "MSSTS",
    name: "Ada",
    client_info: b64json({ uid: a.uid, utid: a.utid }),
  }, a.extras);
  const at: AccessTokenEntity = withExtras({
    home_account_id: home,
    environment: a.environment,
    credential_type: a.tokenType === "pop" ? "AccessToken_With_AuthScheme" : "AccessToken",
    client_id: a.clientId,
    secret: "at-secret",
    realm: a.utid,
    target: a.target,
    cached_at: String(NOW - 10),
    expires_on: a.expiresOn,
    extended_expires_on: a.expiresOn,
  }, a.extras);
  if (a.refreshOn !== undefined) at.refresh_on = a.refreshOn;
  if (a.tokenType !== undefined) at.token_type = a.tokenType;
  if (a.claims !== undefined) at.requestedClaims = a.claims;
  const rt: RefreshTokenEntity = withExtras({
    home_account_id: home,
    environment: a.environment,
    credential_type: "RefreshToken",
    client_id: a.clientId,
    secret: "rt-secret",
  }, a.extras);
  if (a.familyId !== undefined) rt.family_id = a.familyId;
  const idt: IdTokenEntity = {
    home_account_id: home,
    environment: a.environment,
    credential_type: "IdToken",
    client_id: a.clientId,
    secret: jwt({ aud: a.clientId, oid: a.uid, tid: a.utid, preferred_username: a.username }),
    realm: a.utid,
  };
  const meta: AppMetadataEntity = { client_id: a.clientId, environment: a.environment };
  if (a.familyId !== undefined) meta.family_id = a.familyId;
  return { account, at, rt, idt, meta };
});

/** A valid cache with unknown top-level sections. */
const validCache = fc.record({
  accounts: fc.array(accountEntries, { maxLength: 4 }),
  extraSections: fc.dictionary(
    fc.oneof(
      fc.constantFrom("EntraAuthSync", "__proto__", "AccessToken_With_AuthScheme"),
      extraKey,
    ),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 2 },
  ),
}).map(({ accounts, extraSections }) => {
  const root: Json = {
    AccessToken: {},
    RefreshToken: {},
    IdToken: {},
    Account: {},
    AppMetadata: {},
  };
  const put = (section: string, key: string, entity: Json) =>
    setOwn(root[section] as Json, key, entity);
  for (const a of accounts) {
    put("Account", accountKey(a.account), a.account);
    put("AccessToken", accessTokenKey(a.at), a.at);
    put("RefreshToken", refreshTokenKey(a.rt), a.rt);
    put("IdToken", idTokenKey(a.idt), a.idt);
    put("AppMetadata", appMetadataKey(a.meta), a.meta);
  }
  for (const [k, v] of Object.entries(extraSections)) if (!(k in root)) setOwn(root, k, v);
  return root;
});

/** A valid cache with one entry, section or field mutated. */
const mutatedCache = fc.tuple(validCache, fc.nat(), fc.nat(), fc.nat(), nastyValue, fc.nat(3)).map(
  ([root, s, e, f, value, how]) => {
    const copy = JSON.parse(JSON.stringify(root)) as Json;
    const sections = Object.keys(copy);
    const section = sections[s % sections.length];
    const entries = copy[section];
    if (how === 0 || typeof entries !== "object" || entries === null || Array.isArray(entries)) {
      setOwn(copy, section, value);
      return copy;
    }
    const keys = Object.keys(entries);
    if (keys.length === 0) {
      setOwn(entries as Json, String(value), value);
      return copy;
    }
    const entry = (entries as Json)[keys[e % keys.length]];
    if (how === 1 || typeof entry !== "object" || entry === null) {
      setOwn(entries as Json, keys[e % keys.length], value);
      return copy;
    }
    const fields = Object.keys(entry);
    if (how === 2 && fields.length > 0) delete (entry as Json)[fields[f % fields.length]];
    else if (fields.length > 0) setOwn(entry as Json, fields[f % fields.length], value);
    return copy;
  },
);

const cacheText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validCache.map((c) => JSON.stringify(c)) },
  { weight: 4, arbitrary: mutatedCache.map((c) => JSON.stringify(c)) },
  {
    weight: 1,
    arbitrary: fc.tuple(validCache, fc.nat()).map(([c, n]) => {
      const s = JSON.stringify(c);
      return s.slice(0, n % (s.length + 1));
    }),
  },
  { weight: 1, arbitrary: mutated(fc.constant({} as Json)).map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: oddString },
);

/** Every lookup an app or a flow makes on a cache that was read. */
function exercise(cache: TokenCache): void {
  const accounts = cache.getAccounts();
  for (const account of accounts) {
    for (
      const field of [
        "homeAccountId",
        "environment",
        "tenantId",
        "username",
        "localAccountId",
      ] as const
    ) {
      assert.equal(typeof account[field], "string", field);
    }
    for (const clientId of CLIENTS) {
      const at = cache.findAccessToken({ clientId, account, scopes: ["User.Read"] });
      if (at) assert.ok(Number.isFinite(at.expiresOn.getTime()), `expiresOn ${at.expiresOn}`);
      cache.findRefreshToken({ clientId, account });
      cache.findRefreshToken({ clientId, account, familyId: "1" });
      cache.findIdToken({ clientId, account });
      cache.getAccounts({ clientId });
      cache.getAppMetadata({ clientId, environment: account.environment });
    }
  }
  for (const account of accounts) cache.removeAccount(account);
  assert.equal(cache.getAccounts().length, 0);
}

describe("fuzz: the serialized token cache", () => {
  it("any text is read or refused with cache_error, leaving the cache unchanged", {
    timeout: fuzzTestTimeout(400, 30),
  }, () => {
    const before = new TokenCache({ now: () => NOW });
    before.deserialize(JSON.stringify({ Account: {}, Other: { kept: true } }));
    const original = before.serialize();
    fc.assert(
      fc.property(cacheText, (text) => {
        const cache = new TokenCache({ now: () => NOW });
        cache.deserialize(original);
        const out = settle(() => cache.deserialize(text), ["cache_error"]);
        if (!out.ok) assert.equal(cache.serialize(), original, "a refused cache changes nothing");
      }),
      fuzzParameters(400),
    );
  });

  it("a cache that was read serializes back to the same content and serves every lookup", {
    timeout: fuzzTestTimeout(400, 30),
  }, () => {
    fc.assert(
      fc.property(cacheText, (text) => {
        const cache = new TokenCache({ now: () => NOW });
        if (!settle(() => cache.deserialize(text), ["cache_error"]).ok) return;
        const serialized = cache.serialize();
        // Identity: every entry, unknown field and unknown section survives.
        const input = JSON.parse(text) as Json;
        const output = JSON.parse(serialized) as Json;
        for (const [k, v] of Object.entries(input)) {
          if (
            v === null
            && ["AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"].includes(k)
          ) {
            continue; // a null section is read as empty
          }
          assert.deepEqual(output[k], v, `section ${k}`);
        }
        const again = new TokenCache({ now: () => NOW });
        again.deserialize(serialized);
        assert.equal(again.serialize(), serialized, "serialize → deserialize → serialize");
        exercise(again);
      }),
      fuzzParameters(400),
    );
  });
});
