/**
 * The time-limit matrix's persistent-cache row: a sign-in whose save waits for the cache's
 * lock, held by a stalled process (a real process, stopped with SIGSTOP, named in the lock),
 * ended once by `lockTimeoutMs` and once by the sign-in's AbortSignal. Each runs in a process
 * of its own (with its own bound) and must settle with the typed error within the limit plus
 * a margin, keep the JavaScript thread running (a heartbeat keeps ticking), and then end by
 * itself.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { runLimitFixture } from "../support/limits.ts";

const LIMIT_MS = 2_000;

const MODES = [["timeout", "cache_error", "lock_timeout"], [
  "abort",
  "aborted",
  undefined,
]] as const;

describe("persistent cache lock: time limit and abort", {
  timeout: 120_000,
  skip: process.platform === "win32" && "POSIX signals",
}, () => {
  let dir = "";
  let holder = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "entra-lock-limit-"));
    const child = spawn("sleep", ["600"], { stdio: "ignore" });
    holder = child.pid!;
    process.kill(holder, "SIGSTOP");
  });
  after(() => {
    process.kill(holder, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [mode, expected, reason] of MODES) {
    it(`sign-in saving: ${mode} → ${expected}, thread alive, process ends by itself`, async () => {
      const path = join(dir, `${mode}.json`);
      writeFileSync(
        `${path}.lock`,
        JSON.stringify({ pid: holder, hostname: hostname(), createdAt: Date.now(), nonce: "x" }),
        { mode: 0o600 },
      );
      const result = await runLimitFixture(
        "cache_lock_limit_app",
        [mode, path, String(LIMIT_MS)],
        LIMIT_MS,
        expected,
      );
      assert.equal(result.reason, reason);
    });
  }
});
