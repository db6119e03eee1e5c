/**
 * Generators of serialized token caches in MSAL's shared format (as msal-node, MSAL Python
 * and other processes write them), valid and mutated, for tests/fuzz/.
 *
 * @module
 */

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
import { fc } from "./fuzz.ts";
import { b64json, extraKey, jwt, nastyValue, setOwn } from "./fuzz_arbitraries.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;
/** The clock of the generated caches (epoch seconds). */
export const NOW = 1_800_000_000;
/** The client ids of the generated entries. */
export const CLIENTS: string[] = [
  "00000000-0000-0000-0000-00000000c1e7",
  "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
];
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
export const accountEntries = fc.record({
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
export const validCache: fc.Arbitrary<Json> = fc.record({
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
export const mutatedCache: fc.Arbitrary<Json> = fc.tuple(
  validCache,
  fc.nat(),
  fc.nat(),
  fc.nat(),
  nastyValue,
  fc.nat(3),
).map(
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
