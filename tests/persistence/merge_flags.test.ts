/**
 * The three-way merge at its edges (from the mutants that survived merge.test.ts): what
 * counts as the same entry (field order, arrays, the revision stamp), entry stamps that are
 * not revisions, sections that are not entry maps, and the two flags the persistent cache
 * acts on (`changed`: write the file; `hasTheirs`: reload the cache).
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

const at = (revision: number, entries: Record<string, unknown>, extra = {}): CacheDocument => ({
  AccessToken: entries,
  [SYNC_SECTION]: { revision },
  ...extra,
});

describe("mergeCache: edges", () => {
  it("revisionOf: a non-negative safe integer, else 0", () => {
    assert.equal(revisionOf({ [SYNC_SECTION]: { revision: 7 } }), 7);
    assert.equal(revisionOf({ [SYNC_SECTION]: { revision: 0 } }), 0);
    for (const bad of [-1, 1.5, "5", Number.MAX_SAFE_INTEGER + 2, null, [3]]) {
      assert.equal(revisionOf({ [SYNC_SECTION]: { revision: bad } }), 0, String(bad));
    }
    assert.equal(revisionOf({ [SYNC_SECTION]: [7] }), 0);
    assert.equal(revisionOf({}), 0);
  });

  it("an entry is the same whatever its field order; arrays compare in order", () => {
    const original = { a: 1, x: [1, 23], s: "v" };
    const base = at(3, { k: original });
    const reordered = at(3, { k: { s: "v", x: [1, 23], a: 1 } });
    const onDisk = { a: 1, x: [1, 23], s: "v", [REVISION_FIELD]: "4" };
    const disk = at(5, { k: onDisk });
    const same = mergeCache(base, reordered, disk);
    assert.equal(same.changed, false, "a reordered entry is no change of ours");
    assert.equal(same.hasTheirs, false);
    assert.deepEqual((same.document.AccessToken as Record<string, unknown>).k, onDisk);

    for (const x of [[12, 3], [23, 1], [1, 23, 4]]) {
      const mine = at(3, { k: { s: "v", x, a: 1 } });
      const merged = mergeCache(base, mine, at(3, { k: original }));
      const k = (merged.document.AccessToken as Record<string, { x: number[]; }>).k;
      assert.deepEqual(k.x, x, `our change to ${JSON.stringify(x)} is kept`);
      assert.equal(merged.changed, true);
    }
  });

  it("the revision stamp alone is no change", () => {
    const entry = { secret: "s" };
    const base = at(4, { k: { ...entry, [REVISION_FIELD]: "2" } });
    const mine = at(4, { k: { ...entry, [REVISION_FIELD]: "3" } });
    const disk = at(4, { k: { ...entry, [REVISION_FIELD]: "2" } });
    const r = mergeCache(base, mine, disk);
    assert.equal(r.changed, false);
    assert.equal(r.hasTheirs, false);
  });

  it("both changed an entry: a stamp that is not a revision loses to ours", () => {
    const base = at(0, { k: { secret: "old" } });
    const mine = at(0, { k: { secret: "mine" } });
    for (const stamp of [undefined, "", "x7", "7x", " 7", 7]) {
      const theirs = {
        secret: "theirs",
        ...(stamp === undefined ? {} : { [REVISION_FIELD]: stamp }),
      };
      const r = mergeCache(base, mine, at(9, { k: theirs }));
      const k = (r.document.AccessToken as Record<string, { secret: string; }>).k;
      assert.equal(k.secret, "mine", `their stamp ${JSON.stringify(stamp)}`);
      assert.equal(r.changed, true);
    }
    const newer = mergeCache(
      at(5, { k: { secret: "old" } }),
      at(5, { k: { secret: "mine" } }),
      at(9, { k: { secret: "theirs", [REVISION_FIELD]: "6" } }),
    );
    assert.equal(
      (newer.document.AccessToken as Record<string, { secret: string; }>).k.secret,
      "theirs",
    );
    assert.equal(newer.hasTheirs, true);
    assert.equal(newer.changed, false);
  });

  it("entries of both sides in one section are kept; the flags say who added what", () => {
    const base = at(1, {});
    const ours = mergeCache(base, at(1, { a: { v: 1 } }), at(1, {}));
    assert.deepEqual(Object.keys(ours.document.AccessToken as object), ["a"]);
    assert.equal(ours.changed, true);
    assert.equal(ours.hasTheirs, false, "nothing of theirs");
    const both = mergeCache(base, at(1, { a: { v: 1 } }), at(2, { b: { v: 2 } }));
    assert.deepEqual(Object.keys(both.document.AccessToken as object).sort(), ["a", "b"]);
    assert.equal(both.hasTheirs, true);
    const none = mergeCache(at(1, { a: { v: 1 } }), at(1, { a: { v: 1 } }), at(1, { a: { v: 1 } }));
    assert.equal(none.changed, false);
    assert.equal(none.hasTheirs, false);
  });

  it("a section removed by us and absent from the file stays absent", () => {
    const r = mergeCache({ Extra: { a: { v: 1 } } }, {}, {});
    assert.equal("Extra" in r.document, false);
    assert.equal(r.changed, false, "the file lacks it already");
  });

  it("a section that is not an entry map follows the side that changed it", () => {
    const list = [{ a: 1 }, { b: 2 }];
    const theirs = mergeCache({ Other: list }, { Other: list }, { Other: [{ c: 3 }] });
    assert.deepEqual(theirs.document.Other, [{ c: 3 }], "an array stays an array");
    assert.equal(theirs.changed, false);
    assert.equal(theirs.hasTheirs, true);

    const ours = mergeCache({ Other: "x" }, { Other: "y" }, { Other: "x" });
    assert.equal(ours.document.Other, "y");
    assert.equal(ours.changed, true);
    assert.equal(ours.hasTheirs, false);

    const reordered = mergeCache({ Other: { a: 1, b: 2 } }, { Other: { b: 2, a: 1 } }, {
      Other: { a: 1, b: 2 },
    });
    assert.equal(reordered.changed, false);
    assert.equal(reordered.hasTheirs, false);

    const unchanged = mergeCache({ Other: 5 }, { Other: 5 }, { Other: 5 });
    assert.equal(unchanged.changed, false);
    assert.equal(unchanged.hasTheirs, false);

    const removed = mergeCache({ Other: 5 }, {}, { Other: 5 });
    assert.equal("Other" in removed.document, false);
    assert.equal(removed.changed, true);
  });

  it("a section only one side has is kept, entry by entry, stamped when ours", () => {
    const theirs = mergeCache({}, {}, { X: { a: { v: 1 } } });
    assert.deepEqual(theirs.document.X, { a: { v: 1 } }, "another process's new section stays");
    assert.equal(theirs.hasTheirs, true);
    assert.equal(theirs.changed, false);
    const ours = mergeCache({ [SYNC_SECTION]: { revision: 4 } }, { X: { a: { v: 1 } } }, {});
    assert.deepEqual(ours.document.X, { a: { v: 1, [REVISION_FIELD]: "4" } });
    assert.equal(ours.changed, true);
  });

  it("the file's format: EntraAuthSync and entra_auth_revision, as other versions read them", () => {
    const r = mergeCache({}, { AccessToken: { a: { v: 1 } } }, {});
    const text = JSON.stringify(r.document);
    assert.match(text, /"EntraAuthSync":\{"revision":1\}/);
    assert.match(text, /"entra_auth_revision":"0"/);
  });

  it("null sections and a null sync member are data, not a crash", () => {
    assert.equal(revisionOf({ [SYNC_SECTION]: null }), 0);
    const r = mergeCache({ Other: null }, { Other: null }, { Other: null, [SYNC_SECTION]: null });
    assert.equal(r.document.Other, null);
    assert.equal(revisionOf(r.document), 1);
  });

  it("multi-digit stamps are revisions; objects inside arrays compare by content", () => {
    const r = mergeCache(
      at(10, { k: { secret: "old" } }),
      at(10, { k: { secret: "mine" } }),
      at(13, { k: { secret: "theirs", [REVISION_FIELD]: "12" } }),
    );
    assert.equal(
      (r.document.AccessToken as Record<string, { secret: string; }>).k.secret,
      "theirs",
    );
    const base = at(3, { k: { list: [{ a: 1, b: 2 }] } });
    const reordered = mergeCache(base, at(3, { k: { list: [{ b: 2, a: 1 }] } }), base);
    assert.equal(reordered.changed, false, "the same objects in a list, keys reordered");
  });
});
