/**
 * How the lock judges its owner (from the mutants that survived the lock tests): which pids
 * can be alive, a zombie counts as dead, a lock file whose fields have the wrong types is
 * not taken for a live owner's, and the default age after which any lock is stale.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { FileLock, processAlive } from "../../src/persistence/lock.ts";
import { tempFolder } from "./support.ts";

/** A zombie: a child of a process that never reaps it. Resolves its pid; stop() ends both. */
function zombie(): Promise<{ pid: number; stop: () => void; }> {
  return new Promise((resolve, reject) => {
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    parent.on("error", reject);
    parent.stdout!.once("data", (d) => {
      resolve({ pid: Number(String(d).trim()), stop: () => parent.kill("SIGKILL") });
    });
  });
}

describe("FileLock: judging the owner", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const lockPath = () => join(folder.dir, `owner${n++}.lock`);
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("processAlive: this process yes; no pid that is not a positive integer", () => {
    assert.equal(processAlive(process.pid), true);
    for (const pid of [0, -1, 1.5, NaN, -process.pid]) {
      assert.equal(processAlive(pid), false, String(pid));
    }
  });

  it("a zombie is dead", { timeout: 20_000, skip: process.platform !== "linux" }, async () => {
    const z = await zombie();
    try {
      await new Promise((r) => setTimeout(r, 300)); // let `sleep 0` exit
      assert.equal(processAlive(z.pid), false, `zombie ${z.pid} counted as alive`);
    } finally {
      z.stop();
    }
  });

  it("a lock file with mistyped fields is no live owner's: taken over once old", {
    timeout: 60_000,
  }, async () => {
    const good = { pid: process.pid, hostname: hostname(), createdAt: Date.now(), nonce: "x" };
    for (
      const bad of [
        { ...good, pid: String(process.pid) },
        { ...good, hostname: 7 },
        { ...good, createdAt: String(Date.now()) },
        { ...good, nonce: 5 },
      ]
    ) {
      const path = lockPath();
      writeFileSync(path, JSON.stringify(bad));
      const old = new Date(Date.now() - 10_000);
      utimesSync(path, old, old);
      const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
      assert.equal(await lock.release(), true, JSON.stringify(bad));
    }
  });

  it("by default a lock older than 30 s is stale even if its owner lives", {
    timeout: 20_000,
  }, async () => {
    const path = lockPath();
    writeFileSync(
      path,
      JSON.stringify({
        pid: process.pid,
        hostname: hostname(),
        createdAt: Date.now() - 31_000,
        nonce: "old",
      }),
    );
    const lock = await FileLock.acquire(path, { timeoutMs: 5_000 });
    assert.equal(await lock.release(), true);
  });
});
