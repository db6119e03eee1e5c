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
import { runFixture } from "../support/fixtures.ts";

const LIMIT_MS = 2_000;
/** Generous: 2 cores shared by several workers. */
const MARGIN_MS = 6_000;
/** How long a process may take to end after printing its result. */
const EXIT_MS = 10_000;

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
      const started = Date.now();
      const run = await runFixture("cache_lock_limit_app", [mode, path, String(LIMIT_MS)], {
        timeoutMs: LIMIT_MS + MARGIN_MS + EXIT_MS + 15_000,
      });
      const wallMs = Date.now() - started;
      const line = run.stdout.trim().split("\n").at(-1) ?? "";
      let result: { code: string; reason?: string; elapsedMs: number; ticks: number; };
      try {
        result = JSON.parse(line);
      } catch {
        assert.fail(`no result (signal ${run.signal}); stdout ${run.stdout} stderr ${run.stderr}`);
      }
      assert.equal(result.code, expected, run.stderr);
      assert.equal(result.reason, reason);
      assert.ok(
        result.elapsedMs >= LIMIT_MS - 200,
        `settled after ${result.elapsedMs} ms, before the limit`,
      );
      assert.ok(
        result.elapsedMs <= LIMIT_MS + MARGIN_MS,
        `settled after ${result.elapsedMs} ms (limit ${LIMIT_MS} ms)`,
      );
      // 50 ms heartbeat: a blocked thread would give about none.
      assert.ok(result.ticks >= 10, `heartbeat ticked ${result.ticks} times`);
      assert.equal(run.signal, null, "killed: the process did not end by itself");
      assert.equal(run.code, 0);
      assert.ok(wallMs - result.elapsedMs < EXIT_MS + 5_000, `process took ${wallMs} ms`);
    });
  }
});
