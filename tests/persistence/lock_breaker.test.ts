/**
 * Taking over a stale lock with many writers at once: every waiter judges the same dead
 * owner's lock stale, but only that lock may be removed. A breaker that deletes whatever lock
 * is in place (without re-checking that it is still the stale one) removes a fresh owner's
 * lock, and two writers then hold the lock together.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { FileLock } from "../../src/persistence/lock.ts";
import { tempFolder } from "./support.ts";

/** The pid of a process that has exited (and been reaped). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--version"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", () => resolve(child.pid!));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("FileLock: breaking a stale lock with many waiters", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("never lets two writers hold the lock at once", { timeout: 120_000 }, async () => {
    const dead = await deadPid();
    let overlaps = 0;
    let maxHolders = 0;
    let round = 0;
    // Writer counts and hold times vary: each runtime schedules the waiters' file operations
    // differently, and the unsafe interleaving shows under different ones.
    for (const [writers, holdMs] of [[8, 5], [4, 30], [16, 0], [4, 1], [16, 2]]) {
      for (let i = 0; i < 12; i++) {
        const path = join(folder.dir, `round${round++}.lock`);
        // A lock left by a writer that died: every waiter below sees it as stale.
        writeFileSync(
          path,
          JSON.stringify({ pid: dead, hostname: hostname(), createdAt: Date.now(), nonce: "dead" }),
        );
        let holders = 0;
        const writer = async () => {
          const lock = await FileLock.acquire(path, { timeoutMs: 20_000 });
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          if (holders > 1) overlaps++;
          await sleep(holdMs); // the read-merge-write a writer does under the lock
          holders--;
          await lock.release();
        };
        await Promise.all(Array.from({ length: writers }, writer));
      }
    }
    assert.equal(overlaps, 0, `two writers held the lock together (up to ${maxHolders} at once)`);
  });
});
