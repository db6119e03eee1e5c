/**
 * Fuzzing the persistent cache's three-way merge (`base` read before the access, `mine` after
 * it, `disk` re-read under the lock): whatever two processes did to the same valid cache,
 * the merged document is a valid cache, follows the merge rules entry by entry, and keeps
 * every unknown section.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCache } from "../../src/cache/parse.ts";
import { mergeCache, REVISION_FIELD, SYNC_SECTION } from "../../src/persistence/merge.ts";
import { fc, fuzzParameters, fuzzTestTimeout } from "../support/fuzz.ts";
import { extraKey, setOwn } from "../support/fuzz_arbitraries.ts";
import { type Json, validCache } from "../support/fuzz_caches.ts";

const SECTIONS = ["AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"];

/** One process's change to a cache. */
type Change =
  | { kind: "remove"; section: number; entry: number; }
  | { kind: "edit"; section: number; entry: number; secret: string; }
  | { kind: "add"; section: number; key: string; from: number; }
  | { kind: "unknown"; name: string; value: unknown; };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant("remove" as const), section: fc.nat(), entry: fc.nat() }),
  fc.record({
    kind: fc.constant("edit" as const),
    section: fc.nat(),
    entry: fc.nat(),
    secret: fc.string({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("add" as const),
    section: fc.nat(),
    key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), extraKey),
    from: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("unknown" as const),
    name: fc.oneof(fc.constantFrom("AccessToken_With_AuthScheme", "Extra"), extraKey),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

/** Applies changes to a copy, as a process using the cache would (entries stay valid). */
function apply(doc: Json, changes: readonly Change[]): Json {
  const out = JSON.parse(JSON.stringify(doc)) as Json;
  for (const c of changes) {
    if (c.kind === "unknown") {
      if (SECTIONS.includes(c.name) || c.name === SYNC_SECTION) continue;
      setOwn(out, c.name, c.value);
      continue;
    }
    const section = (out[SECTIONS[c.section % SECTIONS.length]] ??= {}) as Json;
    const keys = Object.keys(section);
    if (c.kind === "add") {
      // A copy of an entry of the same section (valid) under a new key.
      const source = Object.values(section)[c.from % Math.max(1, keys.length)];
      if (source !== undefined && !(c.key in section)) {
        setOwn(section, c.key, JSON.parse(JSON.stringify(source)));
      }
      continue;
    }
    if (keys.length === 0) continue;
    const key = keys[c.entry % keys.length];
    if (c.kind === "remove") delete section[key];
    else {
      const entry = section[key] as Json;
      const field = "secret" in entry ? "secret" : "environment";
      setOwn(entry, field, c.secret);
    }
  }
  return out;
}

function canonical(value: unknown, skip?: string): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).filter((k) => k !== skip).sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

const same = (a: unknown, b: unknown) =>
  a === undefined || b === undefined
    ? a === b
    : canonical(a, REVISION_FIELD) === canonical(b, REVISION_FIELD);

describe("fuzz: the persistent cache's three-way merge", () => {
  it("two processes' changes merge into a valid cache that follows the rules entry by entry", {
    timeout: fuzzTestTimeout(250, 30),
  }, () => {
    fc.assert(
      fc.property(
        validCache,
        fc.array(change, { maxLength: 5 }),
        fc.array(change, { maxLength: 5 }),
        (base, mineChanges, diskChanges) => {
          const mine = apply(base, mineChanges);
          const disk = apply(base, diskChanges);
          const { document } = mergeCache(base, mine, disk);
          const text = JSON.stringify(document);
          parseCache(text); // throws (fails the case) if the merge wrote an invalid cache
          const written = JSON.parse(text) as Json;
          const names = new Set([...Object.keys(base), ...Object.keys(mine), ...Object.keys(disk)]);
          names.delete(SYNC_SECTION);
          for (const name of names) {
            const [b, m, d, r] = [base[name], mine[name], disk[name], written[name]];
            const isMap = (v: unknown) =>
              v === undefined
              || (typeof v === "object" && v !== null && !Array.isArray(v)
                && Object.values(v).every((e) =>
                  typeof e === "object" && e !== null && !Array.isArray(e)
                ));
            if (![b, m, d].every(isMap)) {
              // A section that is not a map of entries: ours when we changed it, else the file's.
              assert.ok(same(r, same(m, b) ? d : m), `section ${name}`);
              continue;
            }
            const [bs, ms, ds, rs] = [b, m, d, r].map((s) => (s ?? {}) as Json);
            for (
              const key of new Set([...Object.keys(bs), ...Object.keys(ms), ...Object.keys(ds)])
            ) {
              const where = `${name}[${JSON.stringify(key)}]`;
              const has = (o: Json) => Object.prototype.hasOwnProperty.call(o, key);
              const [be, me, de] = [bs, ms, ds].map((o) => (has(o) ? o[key] : undefined));
              const re = has(rs) ? rs[key] : undefined;
              if (same(me, be)) assert.ok(same(re, de), `${where}: untouched here, so the file's`);
              else if (same(de, be)) {
                assert.ok(same(re, me), `${where}: changed only here, so ours`);
              }
            }
          }
          const revision = (written[SYNC_SECTION] as Json | undefined)?.revision;
          assert.equal(typeof revision, "number");
        },
      ),
      fuzzParameters(250),
    );
  });
});
