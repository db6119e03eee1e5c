/**
 * Judging an unreadable cache file (`src/persistence/file_reader.ts`): really corrupt (the
 * same bytes every time), being rewritten by a writer that takes no lock (it keeps
 * changing), or replaced by a readable one; and the reason given holds no text of the file.
 */

import assert from "node:assert/strict";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCache } from "../../src/cache/parse.ts";
import { type FileSnapshot, readSnapshot } from "../../src/persistence/atomic_file.ts";
import { plaintextProblem, settle, SETTLE_READS } from "../../src/persistence/file_reader.ts";
import { tempFolder } from "./support.ts";

const text = (s: FileSnapshot | undefined) => s && new TextDecoder().decode(s.bytes);

describe("file_reader", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());
  /** A cache file with this text, and its first snapshot. */
  const file = async (content: string) => {
    const path = join(folder.dir, `cache-${++n}.json`);
    writeFileSync(path, content, { mode: 0o600 });
    return { path, first: (await readSnapshot(path))! };
  };
  /** Replaces the file by a new one (another inode), as an atomic writer does. */
  const replace = (path: string, content: string) => {
    writeFileSync(`${path}.new`, content, { mode: 0o600 });
    renameSync(`${path}.new`, path);
  };

  describe("plaintextProblem", () => {
    it("is undefined for a cache, the first sentence of the parse error otherwise", () => {
      assert.equal(plaintextProblem("{}"), undefined);
      assert.equal(plaintextProblem("{\"AccessToken\":{}}"), undefined);
      for (const bad of ["{\"AccessToken\":", "[]", "{\"AccessToken\":[\"secret-token\"]}", ""]) {
        const problem = plaintextProblem(bad);
        assert.equal(typeof problem, "string", bad);
        let full = "";
        try {
          parseCache(bad);
        } catch (err) {
          full = (err as Error).message;
        }
        assert.ok(full.length > 0, bad);
        assert.equal(problem, full.split(". ")[0], `the first sentence of ${full}`);
        assert.ok(!problem!.includes(". "), `one sentence: ${problem}`);
        assert.ok(!problem!.includes("secret-token"));
      }
    });
  });

  describe("settle", () => {
    it("the same bytes every time: stable, the readable check never asked", async () => {
      const { path, first } = await file("{\"AccessToken\":");
      let asked = 0;
      const settled = await settle(path, first, () => Promise.resolve(++asked > 0));
      assert.equal(settled.kind, "stable");
      assert.equal(asked, 0);
      assert.equal(settled.kind === "stable" && text(settled.snapshot), "{\"AccessToken\":");
    });

    it("a file that vanished: changed, with no snapshot", async () => {
      const { path, first } = await file("garbage");
      rmSync(path);
      assert.deepEqual(await settle(path, first, () => Promise.resolve(true)), {
        kind: "changed",
        snapshot: undefined,
      });
    });

    it("replaced by a readable file: changed, with that file", async () => {
      const { path, first } = await file("{\"Acc");
      replace(path, "{}");
      const seen: string[] = [];
      const settled = await settle(path, first, (s) => {
        seen.push(text(s)!);
        return Promise.resolve(text(s) === "{}");
      });
      assert.equal(settled.kind, "changed");
      assert.equal(settled.kind === "changed" && text(settled.snapshot), "{}");
      assert.deepEqual(seen, ["{}"]);
    });

    it("the same bytes in a new file (another version) count as a change", async () => {
      const { path, first } = await file("{\"Acc");
      replace(path, "{\"Acc");
      let asked = 0;
      const settled = await settle(path, first, () => Promise.resolve(++asked === 1));
      assert.equal(asked, 1);
      assert.equal(settled.kind, "changed");
    });

    it("still changing, never readable: busy, each version judged once", async () => {
      const { path, first } = await file("{\"A");
      let round = 0;
      replace(path, `{"A${round}`);
      const settled = await settle(path, first, () => {
        replace(path, `{"A${++round}`); // the foreign writer is at it again
        return Promise.resolve(false);
      });
      assert.equal(settled.kind, "busy");
      assert.equal(round, SETTLE_READS, "one judgement per read");
    });

    it("bytes other than those judged, under the same version, count as a change", async () => {
      // A file rewritten in place within one tick of the clock keeps size and mtime.
      for (const judged of ["{\"B", "{\"", "{\"AB"]) {
        const { path, first } = await file("{\"A");
        let asked = 0;
        const settled = await settle(
          path,
          { ...first, bytes: new TextEncoder().encode(judged) },
          () => Promise.resolve(++asked === 1),
        );
        assert.equal(asked, 1, judged);
        assert.equal(settled.kind, "changed", judged);
      }
    });

    it("changed once, then the same: busy (not moved aside), that version judged once", async () => {
      const { path, first } = await file("{\"A");
      replace(path, "{\"B");
      let asked = 0;
      const settled = await settle(path, first, () => Promise.resolve(++asked < 0));
      assert.equal(settled.kind, "busy");
      assert.equal(asked, 1, "the later reads compare with the version seen last");
    });
  });
});
