/**
 * What makes a takeover safe after the fact (takeover.ts): the record a takeover of a live
 * owner leaves, the guard kept while one exists, the merge back of a commit a late rename
 * replaced, and when records and guard go. The end-to-end case (a writer stopped in the
 * very window, resumed after another process committed) is in takeover.test.ts.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { FileLock } from "../../src/persistence/lock.ts";
import { REVISION_FIELD, revisionOf, unionCache } from "../../src/persistence/merge.ts";
import {
  guardPath,
  RECORD_MAX_AGE_MS,
  recordTakeover,
  replacedSinceGuard,
  settleRecords,
  takeoverState,
} from "../../src/persistence/takeover.ts";
import { writerEntry } from "./entries.ts";
import { simulatedProcess, tempFolder } from "./support.ts";

/** The pid of a process that has exited (and been reaped). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--version"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", () => resolve(child.pid!));
  });
}

const lockText = (pid: number, nonce: string, createdAt = Date.now()) =>
  JSON.stringify({ pid, hostname: hostname(), createdAt, nonce });

/** Adds one access token to a simulated process's cache and commits it. */
async function commit(p: ReturnType<typeof simulatedProcess>, writer: string, round: number) {
  const [key, entry] = writerEntry(writer, round);
  await withCache(p.cache, p.plugin, (c) => {
    const doc = JSON.parse(c.serialize());
    doc.AccessToken[key] = entry;
    c.deserialize(JSON.stringify(doc));
  });
  return key;
}

/** Replaces the file the way a late rename does (a new inode, the guard left alone). */
function lateRename(path: string, doc: unknown): void {
  writeFileSync(`${path}.late`, JSON.stringify(doc), { mode: 0o600 });
  renameSync(`${path}.late`, path);
}

describe("takeover records", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const fresh = () => {
    const dir = join(folder.dir, `d${n++}`);
    mkdirSync(dir, { recursive: true });
    return { dir, path: join(dir, "cache.json"), lockPath: join(dir, "cache.json.lock") };
  };
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  describe("the lock's takeover hook", () => {
    it("is called, before the lock goes, for a stale lock whose owner still runs", async () => {
      const { lockPath } = fresh();
      const stale = lockText(process.pid, "9-9", Date.now() - 60_000);
      writeFileSync(lockPath, stale, { mode: 0o600 });
      const seen: { nonce: string; text: string; lock: string; }[] = [];
      const lock = await FileLock.acquire(lockPath, {
        staleAfterMs: 1_000,
        timeoutMs: 5_000,
        onTakeover: (owner, text) => {
          seen.push({ nonce: owner.nonce, text, lock: readFileSync(lockPath, "utf8") });
          return Promise.resolve();
        },
      });
      assert.deepEqual(seen, [{ nonce: "9-9", text: stale, lock: stale }]);
      assert.notEqual(lock.nonce, "9-9");
      await lock.release();
    });

    it("is not called for a dead owner's lock (it cannot write late)", async () => {
      const { lockPath } = fresh();
      writeFileSync(lockPath, lockText(await deadPid(), "1-1"), { mode: 0o600 });
      let calls = 0;
      const lock = await FileLock.acquire(lockPath, {
        timeoutMs: 5_000,
        onTakeover: () => Promise.resolve(void calls++),
      });
      assert.equal(calls, 0);
      await lock.release();
    });

    it("when it throws, the acquisition fails and the stale lock stays", async () => {
      const { dir, lockPath } = fresh();
      const stale = lockText(process.pid, "2-2", Date.now() - 60_000);
      writeFileSync(lockPath, stale, { mode: 0o600 });
      const refused = new Error("no record");
      await assert.rejects(
        FileLock.acquire(lockPath, {
          staleAfterMs: 1_000,
          timeoutMs: 5_000,
          onTakeover: () => Promise.reject(refused),
        }),
        (err) => err === refused,
      );
      assert.equal(readFileSync(lockPath, "utf8"), stale);
      assert.deepEqual(readdirSync(dir), ["cache.json.lock"], "no .break left");
    });

    it("is called for a stale lock of another host (whether it runs cannot be known)", async () => {
      const { lockPath } = fresh();
      const other = JSON.stringify({
        pid: await deadPid(), // a pid that runs nowhere here: on the other host, it may
        hostname: `not-${hostname()}`,
        createdAt: Date.now() - 60_000,
        nonce: "4-4",
      });
      writeFileSync(lockPath, other, { mode: 0o600 });
      const seen: string[] = [];
      const lock = await FileLock.acquire(lockPath, {
        staleAfterMs: 1_000,
        timeoutMs: 5_000,
        onTakeover: (owner) => Promise.resolve(void seen.push(owner.nonce)),
      });
      assert.deepEqual(seen, ["4-4"]);
      await lock.release();
    });

    it("is not called for a stale lock with no owner in it (never a lock acquire() returned)", async () => {
      const { lockPath } = fresh();
      writeFileSync(lockPath, "", { mode: 0o600 });
      const old = (Date.now() - 60_000) / 1000;
      utimesSync(lockPath, old, old);
      let calls = 0;
      const lock = await FileLock.acquire(lockPath, {
        timeoutMs: 5_000,
        onTakeover: () => Promise.resolve(void calls++),
      });
      assert.equal(calls, 0);
      await lock.release();
    });
  });

  describe("records and guard on disk", () => {
    it("a record holds the overtaken lock's text, owner-only; the state lists it and the guard", async () => {
      const { dir, path, lockPath } = fresh();
      writeFileSync(join(dir, "cache.json.tmp-1-x"), "");
      writeFileSync(join(dir, "other.json.lock.overtaken-3-3"), "");
      assert.deepEqual(await takeoverState(path, lockPath), { records: [], guard: false });
      await recordTakeover(path, lockPath, "3-3", "text");
      writeFileSync(guardPath(path), "{}");
      const state = await takeoverState(path, lockPath);
      assert.deepEqual(state, {
        records: [{ file: `${lockPath}.overtaken-3-3`, nonce: "3-3" }],
        guard: true,
      });
      assert.equal(readFileSync(`${lockPath}.overtaken-3-3`, "utf8"), "text");
      if (process.platform !== "win32") {
        assert.equal(statSync(`${lockPath}.overtaken-3-3`).mode & 0o777, 0o600);
      }
    });

    it("the first record removes a guard an earlier takeover left; later ones keep it", async () => {
      const { path, lockPath } = fresh();
      writeFileSync(guardPath(path), "{}");
      await recordTakeover(path, lockPath, "a", "text");
      assert.equal(existsSync(guardPath(path)), false);
      writeFileSync(guardPath(path), "{}");
      await recordTakeover(path, lockPath, "b", "text");
      assert.equal(existsSync(guardPath(path)), true);
      assert.equal((await takeoverState(path, lockPath)).records.length, 2);
    });

    it("replacedSinceGuard: only with a record, a guard and a file that is another inode", async () => {
      const { path, lockPath } = fresh();
      writeFileSync(path, "{}");
      linkSync(path, guardPath(path));
      const none = await takeoverState(path, lockPath);
      assert.equal(await replacedSinceGuard(path, none), false, "no record");
      await recordTakeover(path, lockPath, "c", "text"); // (removes that guard: no record yet)
      linkSync(path, guardPath(path));
      assert.equal(await replacedSinceGuard(path, await takeoverState(path, lockPath)), false);
      lateRename(path, {});
      assert.equal(await replacedSinceGuard(path, await takeoverState(path, lockPath)), true);
      renameSync(path, `${path}.aside`);
      assert.equal(
        await replacedSinceGuard(path, await takeoverState(path, lockPath)),
        false,
        "no file (cleared or kept aside): nothing to merge into",
      );
    });

    it("settleRecords removes finished, dead, expired and foreign records; the guard with the last", async () => {
      const { path, lockPath } = fresh();
      await recordTakeover(path, lockPath, "live", lockText(process.pid, "live"));
      await recordTakeover(path, lockPath, "dead", lockText(await deadPid(), "dead"));
      await recordTakeover(path, lockPath, "mine", lockText(process.pid, "mine"));
      await recordTakeover(path, lockPath, "old", lockText(process.pid, "old"));
      await recordTakeover(path, lockPath, "junk", "not a lock");
      const old = (Date.now() - RECORD_MAX_AGE_MS - 60_000) / 1000;
      utimesSync(`${lockPath}.overtaken-old`, old, old);
      writeFileSync(guardPath(path), "{}");
      let state = await takeoverState(path, lockPath);
      assert.equal(await settleRecords(path, state, new Set(["mine"])), 1);
      state = await takeoverState(path, lockPath);
      assert.deepEqual(state.records.map((r) => r.nonce), ["live"]);
      assert.equal(state.guard, true, "kept while a record remains");
      assert.equal(await settleRecords(path, state, new Set(["live"])), 0);
      assert.deepEqual(await takeoverState(path, lockPath), { records: [], guard: false });
    });

    it("a folder that does not exist has no records and no guard", async () => {
      const { dir } = fresh();
      const path = join(dir, "missing", "cache.json");
      assert.deepEqual(await takeoverState(path, `${path}.lock`), { records: [], guard: false });
    });

    it("a record's name keeps only letters, digits and '-' of the nonce: it stays in the folder", async () => {
      const { dir, path, lockPath } = fresh();
      await recordTakeover(path, lockPath, "../x/y z.1-2", "text");
      assert.deepEqual(readdirSync(dir), ["cache.json.lock.overtaken-___x_y_z_1-2"]);
    });

    it("replacedSinceGuard: never without a record, nor with a guard the state does not list", async () => {
      const { path, lockPath } = fresh();
      writeFileSync(path, "{}");
      writeFileSync(guardPath(path), "{}"); // another inode
      assert.equal(await replacedSinceGuard(path, await takeoverState(path, lockPath)), false);
      const record = { file: `${lockPath}.overtaken-r`, nonce: "r" };
      assert.equal(await replacedSinceGuard(path, { records: [record], guard: true }), true);
      assert.equal(await replacedSinceGuard(path, { records: [record], guard: false }), false);
    });

    it("settleRecords keeps a record of another host and a live writer's of less than a day", async () => {
      const { path, lockPath } = fresh();
      const elsewhere = JSON.stringify({
        pid: await deadPid(),
        hostname: `not-${hostname()}`,
        createdAt: Date.now(),
        nonce: "far",
      });
      await recordTakeover(path, lockPath, "far", elsewhere);
      await recordTakeover(path, lockPath, "day", lockText(process.pid, "day"));
      const hours23 = (Date.now() - 23 * 60 * 60 * 1000) / 1000;
      utimesSync(`${lockPath}.overtaken-day`, hours23, hours23);
      writeFileSync(guardPath(path), "{}");
      const state = await takeoverState(path, lockPath);
      assert.equal(await settleRecords(path, state, new Set()), 2);
      assert.equal((await takeoverState(path, lockPath)).records.length, 2);
      assert.equal(existsSync(guardPath(path)), true);
    });

    it("settleRecords: a record removed meanwhile is done; one that cannot be removed throws", async () => {
      const { path, lockPath } = fresh();
      const gone = { file: `${lockPath}.overtaken-gone`, nonce: "gone" };
      assert.equal(await settleRecords(path, { records: [gone], guard: true }, new Set()), 0);
      const stuck = `${lockPath}.overtaken-stuck`;
      // unlink() refuses a folder (EISDIR or EPERM; Deno's removes an empty one: not empty)
      mkdirSync(stuck);
      writeFileSync(join(stuck, "x"), "");
      const state = await takeoverState(path, lockPath);
      await assert.rejects(settleRecords(path, state, new Set()), (err: { code?: string; }) => {
        assert.notEqual(err.code, "ENOENT");
        return true;
      });
    });
  });

  describe("unionCache", () => {
    const at = (secret: string, stamp?: number) => ({
      secret,
      ...(stamp === undefined ? {} : { [REVISION_FIELD]: String(stamp) }),
    });

    it("keeps every entry of both; a conflict keeps the newer by revision, a tie the kept one", () => {
      const kept = {
        AccessToken: { a: at("kept-a", 3), both: at("kept-both", 2), tie: at("kept-tie", 4) },
        RefreshToken: { r: at("kept-r") },
        EntraAuthSync: { revision: 5 },
      };
      const late = {
        AccessToken: { b: at("late-b", 3), both: at("late-both", 3), tie: at("late-tie", 4) },
        Account: { x: at("late-x") },
        EntraAuthSync: { revision: 4 },
      };
      const doc = unionCache(kept, late) as Record<string, Record<string, { secret: string; }>>;
      assert.deepEqual(
        Object.fromEntries(Object.entries(doc.AccessToken).map(([k, v]) => [k, v.secret])),
        { a: "kept-a", both: "late-both", tie: "kept-tie", b: "late-b" },
      );
      assert.equal(doc.RefreshToken.r.secret, "kept-r");
      assert.equal(doc.Account.x.secret, "late-x");
      assert.equal(revisionOf(doc), 5);
    });

    it("a section that is not an entry map keeps the kept one's; one only the late has is kept", () => {
      const doc = unionCache(
        { AppMetadata: "kept", EntraAuthSync: { revision: 1 } },
        { AppMetadata: { m: {} }, Other: [1], EntraAuthSync: { revision: 7 } },
      );
      assert.equal(doc.AppMetadata, "kept");
      assert.deepEqual(doc.Other, [1]);
      assert.equal(revisionOf(doc), 7);
    });

    it("the sync section's other fields are the kept one's, or the late one's when it has none", () => {
      const late = { EntraAuthSync: { revision: 2, from: "late" } };
      assert.deepEqual(
        unionCache({ EntraAuthSync: { revision: 3, from: "kept" } }, late).EntraAuthSync,
        { revision: 3, from: "kept" },
      );
      assert.deepEqual(unionCache({}, late).EntraAuthSync, { revision: 2, from: "late" });
      assert.deepEqual(unionCache({}, {}).EntraAuthSync, { revision: 0 });
    });
  });

  describe("a persistent cache after a late rename", () => {
    it("merges back the commit it replaced; a dead writer's record and the guard then go", async () => {
      const { dir, path, lockPath } = fresh();
      const first = simulatedProcess(path);
      const early = await commit(first, "first", 0);
      const before = JSON.parse(readFileSync(path, "utf8"));
      // A writer was overtaken; the commit after it kept a guard.
      const writer = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => writer.on("close", resolve));
      await recordTakeover(path, lockPath, "gone", lockText(writer.pid!, "gone"));
      const kept = await commit(first, "first", 1);
      assert.equal(statSync(guardPath(path)).ino, statSync(path).ino, "the commit keeps a guard");
      // Its late rename lands: its copy predates that commit, and adds its own entry.
      const [lateKey, lateEntry] = writerEntry("late", 0);
      lateRename(path, { ...before, AccessToken: { ...before.AccessToken, [lateKey]: lateEntry } });
      writer.kill("SIGKILL"); // then it dies
      await exited;
      const third = simulatedProcess(path);
      const own = await commit(third, "third", 0);
      const doc = JSON.parse(readFileSync(path, "utf8"));
      for (const key of [early, kept, lateKey, own]) assert.ok(doc.AccessToken[key], key);
      assert.deepEqual(readdirSync(dir).sort(), ["cache.json"], "record and guard removed");
      assert.ok(third.logs.some((l) => l.startsWith("warning:") && l.includes("merged back")));
      // The process whose commit was replaced sees all of it again.
      const seen = await withCache(first.cache, first.plugin, (c) => JSON.parse(c.serialize()));
      for (const key of [early, kept, lateKey, own]) assert.ok(seen.AccessToken[key], key);
    });

    it("while a live writer's record remains, every commit keeps the guard", async () => {
      const { path, lockPath } = fresh();
      const p = simulatedProcess(path);
      await commit(p, "p", 0);
      await recordTakeover(path, lockPath, "live", lockText(process.pid, "live"));
      for (let i = 1; i < 3; i++) {
        await commit(p, "p", i);
        assert.equal(statSync(guardPath(path)).ino, statSync(path).ino);
      }
    });

    it("a guard that cannot be read is kept, with a warning; the file is still written", async () => {
      const { path, lockPath } = fresh();
      const p = simulatedProcess(path);
      await commit(p, "p", 0);
      await recordTakeover(path, lockPath, "live", lockText(process.pid, "live"));
      writeFileSync(guardPath(path), "not json", { mode: 0o600 });
      lateRename(path, JSON.parse(readFileSync(path, "utf8")));
      const key = await commit(p, "p", 1);
      assert.ok(JSON.parse(readFileSync(path, "utf8")).AccessToken[key]);
      assert.equal(readFileSync(guardPath(path), "utf8"), "not json");
      assert.ok(p.logs.some((l) => l.startsWith("warning:") && l.includes("cannot be read")));
    });

    it("clear() removes the guard: a cleared cache does not come back from it", async () => {
      const { path, lockPath } = fresh();
      const p = simulatedProcess(path);
      await commit(p, "p", 0);
      await recordTakeover(path, lockPath, "live", lockText(process.pid, "live"));
      await commit(p, "p", 1);
      assert.equal(existsSync(guardPath(path)), true);
      await p.plugin.clear();
      assert.equal(existsSync(guardPath(path)), false);
      assert.equal(existsSync(path), false);
    });
  });
});
