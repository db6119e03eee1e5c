/**
 * Fuzzing the serialized token cache (MSAL's shared format, as msal-node, MSAL Python and
 * other processes write it): arbitrary text and mutated caches are read or refused with a
 * `cache_error` leaving the cache unchanged; a cache that was read serializes back to the
 * same content (unknown fields and sections included), and every lookup on it works.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCache } from "../../src/cache/parse.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { fc, fuzzParameters, fuzzTestTimeout, settle } from "../support/fuzz.ts";
import { mutated, oddString } from "../support/fuzz_arbitraries.ts";
import { CLIENTS, type Json, mutatedCache, NOW, validCache } from "../support/fuzz_caches.ts";

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
    timeout: fuzzTestTimeout(250, 30),
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
      fuzzParameters(250),
    );
  });

  it("a cache that was read serializes back to the same content and serves every lookup", {
    timeout: fuzzTestTimeout(250, 30),
  }, () => {
    fc.assert(
      fc.property(cacheText, (text) => {
        const cache = new TokenCache({ now: () => NOW });
        if (!settle(() => cache.deserialize(text), ["cache_error"]).ok) return;
        const serialized = cache.serialize();
        // Identity: every entry, unknown field and unknown section survives, but for an entry
        // the reader left out as unusable (a timestamp past any real date): it is dropped.
        const input = JSON.parse(text) as Json;
        for (const path of parseCache(text).skipped) {
          const section = path.slice(0, path.indexOf("["));
          const entries = input[section] as Record<string, unknown>;
          for (const key of Object.keys(entries)) {
            if (path.startsWith(`${section}[${JSON.stringify(key)}]`)) delete entries[key];
          }
        }
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
      fuzzParameters(250),
    );
  });
});
