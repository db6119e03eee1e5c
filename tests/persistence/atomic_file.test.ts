/**
 * The cache file's I/O on its own (`src/persistence/atomic_file.ts`): owner-only modes, the
 * atomic replacement and its fence, leftovers of killed writers, `.corrupt-*` backups, and
 * the errors that must not be taken for a missing file.
 */

import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import {
  ensureFolder,
  fileVersion,
  keepAside,
  listBackups,
  MAX_BACKUPS,
  readHeader,
  readSnapshot,
  removeBackups,
  removeLeftovers,
  writeAtomic,
} from "../../src/persistence/atomic_file.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { tempFolder } from "./support.ts";

const posix = process.platform !== "win32";
const bytes = (text: string) => new TextEncoder().encode(text);
const modeOf = (path: string) => statSync(path).mode & 0o777;
/** How many file descriptors this process has open (Linux), or undefined. */
const openFds = () => existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : undefined;
/** Sets a file's times `seconds` into the past. */
const age = (path: string, seconds: number) => {
  const then = Date.now() / 1000 - seconds;
  utimesSync(path, then, then);
};

describe("atomic_file", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  /** A fresh sub-folder of the test's folder. */
  const fresh = () => {
    const dir = join(folder.dir, `case-${++n}`);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  };
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  describe("reading", () => {
    it("a missing file has no version, no snapshot and no header", async () => {
      const path = join(fresh(), "cache.json");
      assert.equal(await fileVersion(path), undefined);
      assert.equal(await readSnapshot(path), undefined);
      assert.equal(await readHeader(path, 8), undefined);
    });

    it("an error other than a missing file is thrown, not taken for no file", async () => {
      const dir = fresh();
      writeFileSync(join(dir, "file"), "x");
      const path = join(dir, "file", "cache.json"); // ENOTDIR: a file where a folder should be
      const notDir = (err: unknown) => (err as { code?: string; }).code === "ENOTDIR";
      await assert.rejects(fileVersion(path), notDir);
      await assert.rejects(readSnapshot(path), notDir);
      await assert.rejects(readHeader(path, 8), notDir);
    });

    it("a snapshot holds the bytes and the version fileVersion gives", async () => {
      const path = join(fresh(), "cache.json");
      writeFileSync(path, "{\"a\":1}", { mode: 0o600 });
      const snapshot = await readSnapshot(path);
      assert.deepEqual(snapshot?.bytes, bytes("{\"a\":1}"));
      assert.equal(snapshot?.version, await fileVersion(path));
      const info = statSync(path);
      assert.equal(snapshot?.version, `${info.ino}:${info.size}:${info.mtimeMs}`);
    });

    it("the version changes when the file is replaced", async () => {
      const path = join(fresh(), "cache.json");
      const first = await writeAtomic(path, bytes("{}"));
      const second = await writeAtomic(path, bytes("{}"));
      assert.notEqual(first, second);
      assert.equal(second, await fileVersion(path));
    });

    it("a file others may write is refused by readSnapshot (insecure_file)", {
      skip: !posix && "POSIX modes only",
    }, async () => {
      const path = join(fresh(), "cache.json");
      writeFileSync(path, "{}");
      chmodSync(path, 0o666);
      await assert.rejects(readSnapshot(path), (err: unknown) => {
        assert.ok(err instanceof PersistentCacheError);
        assert.equal(err.reason, "insecure_file");
        assert.match(err.message, /token cache/);
        return true;
      });
    });

    it("readHeader gives at most the bytes asked for, fewer for a short file", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      writeFileSync(path, "0123456789", { mode: 0o600 });
      assert.deepEqual(await readHeader(path, 4), bytes("0123"));
      assert.deepEqual(await readHeader(path, 64), bytes("0123456789"));
      writeFileSync(path, "");
      assert.deepEqual(await readHeader(path, 4), new Uint8Array(0));
    });
  });

  describe("writing", () => {
    it("creates missing folders owner-only (0700), leaves existing ones as they are", {
      skip: !posix && "POSIX modes only",
    }, async () => {
      const dir = fresh();
      await ensureFolder(join(dir, "a", "b", "cache.json"));
      assert.equal(modeOf(join(dir, "a")), 0o700);
      assert.equal(modeOf(join(dir, "a", "b")), 0o700);
      chmodSync(join(dir, "a", "b"), 0o755);
      await ensureFolder(join(dir, "a", "b", "cache.json"));
      assert.equal(modeOf(join(dir, "a", "b")), 0o755);
    });

    it("writes the bytes owner-only (0600), also over a 0644 file, and leaves no temporary file", {
      skip: !posix && "POSIX modes only",
    }, async () => {
      const dir = fresh();
      const path = join(dir, "sub", "cache.json");
      const version = await writeAtomic(path, bytes("{\"one\":1}"));
      assert.equal(readFileSync(path, "utf8"), "{\"one\":1}");
      assert.equal(modeOf(path), 0o600);
      assert.equal(modeOf(join(dir, "sub")), 0o700);
      assert.equal(version, await fileVersion(path));
      chmodSync(path, 0o644);
      await writeAtomic(path, bytes("{\"two\":2}"));
      assert.equal(readFileSync(path, "utf8"), "{\"two\":2}");
      assert.equal(modeOf(path), 0o600);
      assert.deepEqual(readdirSync(join(dir, "sub")), ["cache.json"]);
    });

    it("the fence runs after the new content is complete, in a temporary file beside it, and after the rename", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      writeFileSync(path, "old", { mode: 0o600 });
      const seen: { names: string[]; content: string; old: string; }[] = [];
      await writeAtomic(path, bytes("new content"), {
        check: () => {
          const names = readdirSync(dir).filter((name) => name !== "cache.json");
          seen.push({
            names,
            content: names[0] === undefined ? "" : readFileSync(join(dir, names[0]), "utf8"),
            old: readFileSync(path, "utf8"),
          });
        },
      });
      assert.equal(seen.length, 2, "the fence runs twice: before and after the rename");
      assert.deepEqual(seen[1], { names: [], content: "", old: "new content" });
      assert.equal(seen[0].names.length, 1);
      assert.ok(
        seen[0].names[0].startsWith(`cache.json.tmp-${process.pid}-`),
        `named <file>.tmp-<pid>-<random>: ${seen[0].names[0]}`,
      );
      assert.ok(seen[0].names[0].length > `cache.json.tmp-${process.pid}-`.length);
      assert.equal(seen[0].content, "new content");
      assert.equal(seen[0].old, "old", "the file is replaced only after the fence");
      assert.equal(readFileSync(path, "utf8"), "new content");
    });

    it("a fence that throws cancels the write: old file kept, temporary file removed", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      writeFileSync(path, "old", { mode: 0o600 });
      const refused = new Error("lock lost");
      await assert.rejects(
        writeAtomic(path, bytes("new"), {
          check: () => {
            throw refused;
          },
          guard: join(dir, "cache.json.guard"),
        }),
        (err) => err === refused,
      );
      assert.equal(readFileSync(path, "utf8"), "old");
      assert.deepEqual(readdirSync(dir), ["cache.json"]);
    });

    it("a guard is the new file itself (a hard link), made once the check after the rename passed", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      const guard = join(dir, "cache.json.guard");
      writeFileSync(path, "old", { mode: 0o600 });
      await writeAtomic(path, bytes("new"), { check: () => {}, guard });
      assert.equal(statSync(guard).ino, statSync(path).ino);
      assert.deepEqual(readdirSync(dir).sort(), ["cache.json", "cache.json.guard"]);
    });

    it("a check that fails after the rename: the new file is in place, the guard is not replaced", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      const guard = join(dir, "cache.json.guard");
      writeFileSync(path, "old", { mode: 0o600 });
      writeFileSync(guard, "last good", { mode: 0o600 });
      let calls = 0;
      const lost = new Error("lock lost");
      await assert.rejects(
        writeAtomic(path, bytes("late"), {
          check: () => {
            if (++calls === 2) throw lost;
          },
          guard,
        }),
        (err) => err === lost,
      );
      assert.equal(readFileSync(path, "utf8"), "late");
      assert.equal(readFileSync(guard, "utf8"), "last good");
      assert.deepEqual(readdirSync(dir).sort(), ["cache.json", "cache.json.guard"]);
    });

    it("a write that fails (the path is a folder) throws and leaves no temporary file", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      mkdirSync(join(path, "inside"), { recursive: true });
      await assert.rejects(writeAtomic(path, bytes("{}")));
      assert.deepEqual(readdirSync(dir), ["cache.json"]);
    });
  });

  it("leaves no file descriptor open (reads, writes, the folder's sync)", {
    skip: openFds() === undefined && "needs /proc/self/fd",
  }, async () => {
    const dir = fresh();
    const path = join(dir, "cache.json");
    await writeAtomic(path, bytes("{}"));
    const before = openFds()!;
    for (let i = 0; i < 20; i++) {
      await writeAtomic(path, bytes(`{"n":${i}}`));
      await readSnapshot(path);
      await readHeader(path, 8);
    }
    assert.ok(openFds()! < before + 10, `${openFds()} descriptors open, ${before} before`);
  });

  describe("leftovers of killed writers", () => {
    it("removes this cache's temporary files older than the bound, and only those", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      const old = join(dir, "cache.json.tmp-1-a");
      const older = join(dir, "cache.json.tmp-2-b");
      const young = join(dir, "cache.json.tmp-3-c");
      const other = join(dir, "other.json.tmp-4-d");
      const unrelated = join(dir, "cache.json.corrupt-x");
      for (const file of [old, older, young, other, unrelated, path]) writeFileSync(file, "x");
      for (const file of [old, other, unrelated]) age(file, 120);
      age(older, 3600);
      age(young, 30);
      assert.equal(await removeLeftovers(path), 2, "default bound: a minute");
      assert.deepEqual(readdirSync(dir).sort(), [
        "cache.json",
        "cache.json.corrupt-x",
        "cache.json.tmp-3-c",
        "other.json.tmp-4-d",
      ]);
      assert.equal(await removeLeftovers(path, 10_000), 1);
      assert.deepEqual(readdirSync(dir).sort(), [
        "cache.json",
        "cache.json.corrupt-x",
        "other.json.tmp-4-d",
      ]);
      assert.equal(await removeLeftovers(path, 0), 0);
    });

    it("a missing folder has no leftovers", async () => {
      assert.equal(await removeLeftovers(join(fresh(), "none", "cache.json")), 0);
    });
  });

  describe(".corrupt-* backups", () => {
    it("keepAside moves the file aside owner-only, under a name of its own each time", {
      skip: !posix && "POSIX modes only",
    }, async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      const made: string[] = [];
      for (let i = 0; i < 2; i++) {
        writeFileSync(path, `bad ${i}`);
        chmodSync(path, 0o644);
        const backup = await keepAside(path);
        made.push(backup);
        assert.ok(basename(backup).startsWith("cache.json.corrupt-"), backup);
        assert.match(basename(backup), /^cache\.json\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z(-\d+)?$/);
        assert.equal(readFileSync(backup, "utf8"), `bad ${i}`);
        assert.equal(modeOf(backup), 0o600);
      }
      assert.notEqual(made[0], made[1]);
      assert.deepEqual(await listBackups(path), made.slice().sort());
    });

    it("two backups in the same millisecond get distinct names (-1, -2)", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      const realNow = Date.prototype.toISOString;
      const frozen = realNow.call(new Date());
      Date.prototype.toISOString = () => frozen;
      try {
        const made: string[] = [];
        for (let i = 0; i < 3; i++) {
          writeFileSync(path, `bad ${i}`);
          made.push(await keepAside(path));
        }
        const stamp = frozen.replace(/[:.]/g, "-");
        assert.deepEqual(made.map((p) => basename(p)), [
          `cache.json.corrupt-${stamp}`,
          `cache.json.corrupt-${stamp}-1`,
          `cache.json.corrupt-${stamp}-2`,
        ]);
        assert.deepEqual(made.map((p) => readFileSync(p, "utf8")), ["bad 0", "bad 1", "bad 2"]);
      } finally {
        Date.prototype.toISOString = realNow;
      }
    });

    it(`keeps the ${MAX_BACKUPS} newest, never the one just made`, async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      // Older backups, named as keepAside names them (sorted by time).
      const old = ["2001", "2002", "2003", "2004"].map((y) =>
        `${path}.corrupt-${y}-01-01T00-00-00-000Z`
      );
      for (const file of old) writeFileSync(file, "old");
      writeFileSync(join(dir, "other.json.corrupt-2000-01-01T00-00-00-000Z"), "other");
      writeFileSync(path, "bad");
      const backup = await keepAside(path);
      assert.deepEqual(await listBackups(path), [old[2], old[3], backup]);
      assert.ok(readdirSync(dir).includes("other.json.corrupt-2000-01-01T00-00-00-000Z"));
      // A backup named before the others (a clock set back) is kept all the same.
      writeFileSync(path, "bad again");
      const realNow = Date.prototype.toISOString;
      Date.prototype.toISOString = () => "1999-01-01T00:00:00.000Z";
      let early: string;
      try {
        early = await keepAside(path);
      } finally {
        Date.prototype.toISOString = realNow;
      }
      const left = await listBackups(path);
      assert.ok(left.includes(early), "the new backup is never removed");
      assert.deepEqual(left, [early, old[2], old[3], backup]);
    });

    it("listBackups is oldest first; removeBackups counts what it removed", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      assert.deepEqual(await listBackups(join(dir, "none", "cache.json")), []);
      assert.equal(await removeBackups(path), 0);
      // Many, made in no order (a folder lists its entries in an order of its own).
      const years = Array.from({ length: 24 }, (_, i) => String(2000 + ((i * 7) % 24)));
      const names = years.map((y) => `${path}.corrupt-${y}`);
      for (const file of names) writeFileSync(file, "x");
      writeFileSync(`${path}.tmp-1-a`, "x");
      assert.deepEqual(await listBackups(path), names.slice().sort());
      assert.equal(await removeBackups(path), 24);
      assert.deepEqual(readdirSync(dir), ["cache.json.tmp-1-a"]);
    });

    it("removeBackups counts only what it could remove", async () => {
      const dir = fresh();
      const path = join(dir, "cache.json");
      writeFileSync(`${path}.corrupt-1`, "x");
      // a folder, not empty: unlink refuses it (Deno's removes an empty one)
      mkdirSync(`${path}.corrupt-2`);
      writeFileSync(join(`${path}.corrupt-2`, "inside"), "x");
      assert.equal(await removeBackups(path), 1);
      assert.deepEqual(readdirSync(dir), ["cache.json.corrupt-2"]);
    });
  });
});
