/**
 * The lock's fence and its errors (from the mutants that survived the lock tests):
 * `held()` / `heldSync()` / `release()` when the lock file was replaced, rewritten or
 * removed, no file descriptor left open, the breaker file left by a dead breaker, a fresh
 * lock whose owner fields are mistyped, and what the errors say.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { FileLock } from "../../src/persistence/lock.ts";
import { tempFolder } from "./support.ts";

/** Open file descriptors of this process (Linux), or undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

const isLockError = (reason: string, message: RegExp, path: string) => (err: unknown) => {
  assert.ok(err instanceof PersistentCacheError, String(err));
  assert.equal(err.reason, reason);
  assert.match(err.message, message);
  assert.equal(err.path, path);
  return true;
};

describe("FileLock: the fence", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const lockPath = () => join(folder.dir, `held${n++}.lock`);
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("held while ours; not after release; release says whether it was still ours", async () => {
    const path = lockPath();
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    assert.equal(await lock.held(), true);
    assert.equal(lock.heldSync(), true);
    assert.equal(await lock.release(), true);
    assert.equal(existsSync(path), false);
    assert.equal(await lock.held(), false);
    assert.equal(lock.heldSync(), false);
    assert.equal(await lock.release(), false);
  });

  it("not held once the file was rewritten in place, or replaced by a copy", async () => {
    const path = lockPath();
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace(/"nonce":"[^"]*"/, "\"nonce\":\"someone-else\"")); // same inode
    assert.equal(await lock.held(), false, "rewritten");
    assert.equal(lock.heldSync(), false, "rewritten");
    // Our very text, in another file (created while the old one exists: another inode).
    writeFileSync(`${path}.new`, text);
    renameSync(`${path}.new`, path);
    assert.equal(await lock.held(), false, "another file");
    assert.equal(lock.heldSync(), false, "another file");
    unlinkSync(path);
    assert.equal(await lock.held(), false, "removed");
    assert.equal(lock.heldSync(), false, "removed");
    assert.equal(await lock.release(), false, "removed: not ours to release");
  });

  it("leaves no file descriptor open", { skip: openFds() === undefined }, async () => {
    const path = lockPath();
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    await lock.held();
    lock.heldSync();
    const before = openFds()!;
    for (let i = 0; i < 20; i++) {
      assert.equal(await lock.held(), true);
      assert.equal(lock.heldSync(), true);
    }
    assert.ok(openFds()! <= before + 2, `open descriptors ${before} → ${openFds()}`);
    await lock.release();
  });
});

describe("FileLock: taking over", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const lockPath = () => join(folder.dir, `over${n++}.lock`);
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("a fresh lock file with a mistyped pid is not taken at once", async () => {
    const path = lockPath();
    // Not a lock we wrote: stale only once its file is old (2 s), not at once as a dead pid's.
    writeFileSync(
      path,
      JSON.stringify({
        pid: String(process.pid),
        hostname: hostname(),
        createdAt: Date.now(),
        nonce: "x",
      }),
    );
    await assert.rejects(
      FileLock.acquire(path, { timeoutMs: 300 }),
      isLockError("lock_timeout", /locked by another process; gave up after \d+ ms/, path),
    );
    assert.ok(existsSync(path), "left in place");
  });

  it("a fresh empty lock file is not taken (its owner may be writing it)", async () => {
    const path = lockPath();
    writeFileSync(path, "");
    await assert.rejects(FileLock.acquire(path, { timeoutMs: 300 }), /lock_timeout|locked by/);
  });

  it("a breaker file left by a dead breaker is removed once old; no breaker file stays", async () => {
    const path = lockPath();
    writeFileSync(path, ""); // a stale lock: empty and old
    const old = new Date(Date.now() - 10_000);
    utimesSync(path, old, old);
    writeFileSync(`${path}.break`, "");
    utimesSync(`${path}.break`, old, old);
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    assert.equal(await lock.held(), true);
    assert.equal(existsSync(`${path}.break`), false, "the breaker file is gone");
    await lock.release();
  });

  it("a lock held by a live process: the error names it, when, and the file to delete", async () => {
    const path = lockPath();
    const createdAt = Date.now();
    writeFileSync(
      path,
      JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt, nonce: "live" }),
    );
    await assert.rejects(
      FileLock.acquire(path, { timeoutMs: 200 }),
      isLockError(
        "lock_timeout",
        new RegExp(
          `^The token cache is locked by process ${process.pid} on ${hostname()} \\(since ${
            new Date(createdAt).toISOString().replace(/\./g, "\\.")
          }\\); gave up after \\d+ ms\\. Retry later; if no such process runs, delete ${path}\\.$`,
        ),
        path,
      ),
    );
  });
});

describe("FileLock: a lock path that is not a lock file", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("a folder or a symbolic link is an io_error naming what it is (never a wait)", async () => {
    const dir = join(folder.dir, "a-folder.lock");
    mkdirSync(dir);
    await assert.rejects(
      FileLock.acquire(dir, { timeoutMs: 5_000 }),
      isLockError("io_error", /is a folder, not a lock this library created.*Remove it/, dir),
    );
    const link = join(folder.dir, "a-link.lock");
    symlinkSync(join(folder.dir, "elsewhere"), link);
    await assert.rejects(
      FileLock.acquire(link, { timeoutMs: 5_000 }),
      isLockError("io_error", /is a symbolic link, not a lock this library created/, link),
    );
  });

  it("a named pipe is an io_error too ('not a file')", {
    skip: spawnSync("mkfifo", ["--version"]).status !== 0,
  }, async () => {
    const fifo = join(folder.dir, "a-fifo.lock");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    await assert.rejects(
      FileLock.acquire(fifo, { timeoutMs: 5_000 }),
      isLockError("io_error", /is not a file, not a lock this library created/, fifo),
    );
  });

  it("a lock file others may write is refused as insecure", async () => {
    const path = join(folder.dir, "open.lock");
    writeFileSync(path, "");
    chmodSync(path, 0o666);
    await assert.rejects(
      FileLock.acquire(path, { timeoutMs: 5_000 }),
      isLockError("insecure_file", /^The lock file .* is writable by others/, path),
    );
  });

  it("a lock file that cannot be created: io_error with the path, the code and advice", async () => {
    const path = join(folder.dir, "missing", "x.lock");
    await assert.rejects(
      FileLock.acquire(path, { timeoutMs: 5_000 }),
      isLockError(
        "io_error",
        /^Cannot create the lock file .*x\.lock \(ENOENT\)\. Check that its folder exists, is writable by this user and that the disk is not full\.$/,
        path,
      ),
    );
  });
});
