/**
 * The common check of the time-limit matrix's fixture processes (tests/limits/): each runs one
 * operation against a hung counterpart, prints one JSON line `{ code, elapsedMs, ticks, … }`
 * and must end by itself.
 */

import assert from "node:assert/strict";
import { runFixture } from "./fixtures.ts";

/** How late past its limit an operation may settle: 2 cores shared by several workers. */
export const MARGIN_MS = 6_000;
/** How long a process may take to end after printing its result. */
export const EXIT_MS = 10_000;

/** What a limit fixture printed. */
export interface LimitResult {
  code: string;
  elapsedMs: number;
  ticks: number;
  [key: string]: unknown;
}

/**
 * Runs a limit fixture and checks it: the typed error `expected`, settled after `limitMs` and
 * within the margin, a heartbeat that kept ticking (50 ms period), and a process that ended
 * by itself, soon.
 *
 * @param fixture the fixture's name (tests/fixtures/)
 * @param args its arguments
 * @param limitMs the limit under test
 * @param expected the error code it must settle with
 * @returns what it printed, for further checks
 */
export async function runLimitFixture(
  fixture: string,
  args: string[],
  limitMs: number,
  expected: string,
): Promise<LimitResult> {
  const started = Date.now();
  const run = await runFixture(fixture, args, {
    timeoutMs: limitMs + MARGIN_MS + EXIT_MS + 15_000,
  });
  const wallMs = Date.now() - started;
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  let result: LimitResult;
  try {
    result = JSON.parse(line);
  } catch {
    assert.fail(`no result (signal ${run.signal}); stdout ${run.stdout} stderr ${run.stderr}`);
  }
  assert.equal(result.code, expected, run.stderr);
  assert.ok(
    result.elapsedMs >= limitMs - 200,
    `settled after ${result.elapsedMs} ms, before the limit`,
  );
  assert.ok(
    result.elapsedMs <= limitMs + MARGIN_MS,
    `settled after ${result.elapsedMs} ms (limit ${limitMs} ms)`,
  );
  // 50 ms heartbeat: a blocked thread would give about none.
  assert.ok(result.ticks >= 10, `heartbeat ticked ${result.ticks} times`);
  assert.equal(run.signal, null, "killed: the process did not end by itself");
  assert.equal(run.code, 0);
  assert.ok(wallMs - result.elapsedMs < EXIT_MS + 5_000, `process took ${wallMs} ms`);
  return result;
}
