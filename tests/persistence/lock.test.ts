/**
 * The lock file: exclusive, released only by its owner, stale locks (dead owner, too old,
 * never written) taken over, a bounded wait that ends in a typed error.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { FileLock, processAlive } from "../../src/persistence/lock.ts";
import { tempFolder } from "./support.ts";

/** The pid of a process that has exited (and been reaped). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--version"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", () => resolve(child.pid!));
  });
}

const owner = (pid: number, createdAt = Date.now(), host = hostname()) =>
  JSON.stringify({ pid, hostname: host, createdAt, nonce: "other" });

describe("FileLock", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const lockPath = () => join(folder.dir, `cache${n++}.json.lock`);
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("holds the owner's pid, hostname and time; is exclusive; release removes it", async () => {
    const path = lockPath();
    const lock = await FileLock.acquire(path);
    const content = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(content.pid, process.pid);
    assert.equal(content.hostname, hostname());
    assert.ok(Math.abs(content.createdAt - Date.now()) < 5_000);
    let second = false;
    const waiting = FileLock.acquire(path).then((l) => {
      second = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(second, false, "a second holder waits");
    assert.equal(await lock.release(), true);
    const next = await waiting;
    assert.equal(second, true);
    assert.equal(await next.release(), true);
    assert.equal(existsSync(path), false);
    assert.equal(await lock.release(), false, "release is idempotent");
  });

  it("a live owner's lock makes the wait end in lock_timeout, naming the owner", async () => {
    const path = lockPath();
    const live = owner(process.pid);
    writeFileSync(path, live);
    const started = Date.now();
    await assert.rejects(FileLock.acquire(path, { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof PersistentCacheError);
      assert.equal(err.code, "cache_error");
      assert.equal(err.reason, "lock_timeout");
      assert.match(err.message, new RegExp(`process ${process.pid}`));
      assert.match(err.message, /delete .*\.lock/);
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 300 && waited < 2_000, `waited ${waited} ms`);
    assert.equal(readFileSync(path, "utf8"), live, "the live lock is untouched");
  });

  it("takes over the lock of a dead process at once", async () => {
    const path = lockPath();
    const pid = await deadPid();
    assert.equal(processAlive(pid), false);
    writeFileSync(path, owner(pid));
    const started = Date.now();
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    assert.ok(Date.now() - started < 1_000);
    assert.equal(JSON.parse(readFileSync(path, "utf8")).pid, process.pid);
    await lock.release();
  });

  it("takes over a lock older than staleAfterMs even if its owner lives", async () => {
    const path = lockPath();
    writeFileSync(path, owner(process.pid, Date.now() - 60_000));
    const lock = await FileLock.acquire(path, { timeoutMs: 2_000, staleAfterMs: 30_000 });
    await lock.release();
  });

  it("takes over an empty lock file (owner died before writing) once it is old", async () => {
    const path = lockPath();
    writeFileSync(path, "");
    const old = new Date(Date.now() - 10_000);
    utimesSync(path, old, old);
    const lock = await FileLock.acquire(path, { timeoutMs: 2_000 });
    await lock.release();
  });

  it("on another host, only age makes a lock stale", async () => {
    const path = lockPath();
    writeFileSync(path, owner(await deadPid(), Date.now(), "some-other-host"));
    await assert.rejects(FileLock.acquire(path, { timeoutMs: 200 }), /locked by process/);
  });

  it("does not remove a lock taken over by someone else", async () => {
    const path = lockPath();
    const lock = await FileLock.acquire(path);
    writeFileSync(path, owner(process.pid)); // another owner took it over
    assert.equal(await lock.release(), false);
    assert.equal(existsSync(path), true);
  });

  it("an uncreatable lock file is an io_error, not a wait", async () => {
    await assert.rejects(
      FileLock.acquire(join(folder.dir, "missing", "dir", "x.lock"), { timeoutMs: 200 }),
      (err: unknown) => err instanceof PersistentCacheError && err.reason === "io_error",
    );
  });

  it("many waiters in one process each get the lock once, one at a time", async () => {
    const path = lockPath();
    let inside = 0;
    let max = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      const lock = await FileLock.acquire(path, { timeoutMs: 10_000 });
      inside++;
      max = Math.max(max, inside);
      await new Promise((r) => setTimeout(r, 2));
      inside--;
      await lock.release();
    }));
    assert.equal(max, 1);
  });
});
