/**
 * The three-way merge: every row of its table, the revision clock against stale copies,
 * unknown fields and sections.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CacheDocument,
  mergeCache,
  REVISION_FIELD,
  revisionOf,
  SYNC_SECTION,
} from "../../src/persistence/merge.ts";

const rt = (secret: string, revision?: number) => ({
  secret,
  ...(revision === undefined ? {} : { [REVISION_FIELD]: String(revision) }),
});
const doc = (revision: number, entries: Record<string, unknown>, extra = {}): CacheDocument => ({
  RefreshToken: entries,
  [SYNC_SECTION]: { revision },
  ...extra,
});
const secrets = (d: CacheDocument) =>
  Object.fromEntries(
    Object.entries(d.RefreshToken as Record<string, { secret: string; }>).map((
      [k, v],
    ) => [k, v.secret]),
  );

describe("mergeCache", () => {
  it("keeps entries another process added and adds ours; the revision increases", () => {
    const base = doc(4, { a: rt("a") });
    const mine = doc(4, { a: rt("a"), mine: rt("m") });
    const disk = doc(6, { a: rt("a"), theirs: rt("t", 5) });
    const { document, changed } = mergeCache(base, mine, disk);
    assert.deepEqual(secrets(document), { a: "a", theirs: "t", mine: "m" });
    assert.equal(revisionOf(document), 7);
    assert.equal(changed, true);
    assert.equal(
      (document.RefreshToken as Record<string, Record<string, string>>).mine[REVISION_FIELD],
      "4",
    );
  });

  it("an entry we did not change follows the disk: another process's update or removal stands", () => {
    const base = doc(1, { updated: rt("old"), removed: rt("x") });
    const mine = doc(1, { updated: rt("old"), removed: rt("x"), added: rt("new") });
    const disk = doc(2, { updated: rt("rotated", 1) });
    const { document, hasTheirs } = mergeCache(base, mine, disk);
    assert.deepEqual(secrets(document), { updated: "rotated", added: "new" });
    assert.equal(hasTheirs, true);
  });

  it("our removal deletes the version we saw, not a newer one written meanwhile", () => {
    const base = doc(3, { seen: rt("v1"), rewritten: rt("v1") });
    const mine = doc(3, {});
    const disk = doc(4, { seen: rt("v1"), rewritten: rt("v2", 3) });
    assert.deepEqual(secrets(mergeCache(base, mine, disk).document), { rewritten: "v2" });
  });

  it("our new version of an entry survives another process's removal of the old one", () => {
    const base = doc(3, { k: rt("v1") });
    const mine = doc(3, { k: rt("v2") });
    const disk = doc(4, {});
    assert.deepEqual(secrets(mergeCache(base, mine, disk).document), { k: "v2" });
  });

  it("a stale copy never overwrites a rotation made from a later read of the cache", () => {
    // We read revision 3 and rotate to gen4; meanwhile others went to gen7 from revision 9.
    const base = doc(3, { rt: rt("gen3", 2) });
    const mine = doc(3, { rt: rt("gen4") });
    const disk = doc(10, { rt: rt("gen7", 9) });
    assert.deepEqual(secrets(mergeCache(base, mine, disk).document), { rt: "gen7" });
  });

  it("concurrent changes made from the same read: the later commit (ours) wins", () => {
    const base = doc(5, { rt: rt("gen5", 4) });
    const mine = doc(5, { rt: rt("gen6-ours") });
    const disk = doc(6, { rt: rt("gen6-theirs", 5) });
    assert.deepEqual(secrets(mergeCache(base, mine, disk).document), { rt: "gen6-ours" });
  });

  it("entries written by other libraries (no revision) count as oldest", () => {
    const base = doc(5, { rt: rt("a", 4) });
    const mine = doc(5, { rt: rt("ours") });
    const disk = { RefreshToken: { rt: rt("msal-node") } }; // msal-node rewrote the file
    assert.deepEqual(secrets(mergeCache(base, mine, disk).document), { rt: "ours" });
  });

  it("a re-stamped but otherwise identical entry is not a change", () => {
    const base = doc(2, { k: rt("v", 1) });
    const mine = doc(2, { k: rt("v") }); // the in-memory copy lacks the stamp
    const disk = doc(3, { k: rt("v2", 2) });
    const { document, changed } = mergeCache(base, mine, disk);
    assert.deepEqual(secrets(document), { k: "v2" });
    assert.equal(changed, false, "nothing of ours to write");
  });

  it("unknown fields and sections survive, ours and theirs", () => {
    const base = doc(1, { k: { secret: "v", x_field: 1 } }, { Custom: { a: 1 }, Flag: true });
    const mine = doc(1, { k: { secret: "v", x_field: 1 } }, { Custom: { a: 1 }, Flag: false });
    const disk = doc(2, { k: { secret: "v", x_field: 1 } }, {
      Custom: { a: 1 },
      Flag: true,
      Theirs: "kept",
    });
    const { document } = mergeCache(base, mine, disk);
    assert.equal(document.Flag, false, "our change of a non-map member");
    assert.equal(document.Theirs, "kept");
    assert.deepEqual(document.Custom, { a: 1 });
    assert.equal((document.RefreshToken as Record<string, Record<string, unknown>>).k.x_field, 1);
  });

  it("no change of ours and no change on disk: nothing to write", () => {
    const base = doc(2, { k: rt("v", 1) });
    assert.equal(mergeCache(base, structuredClone(base), structuredClone(base)).changed, false);
  });
});
