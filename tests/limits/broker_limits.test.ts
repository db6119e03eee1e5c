/**
 * The broker rows of the time-limit matrix: every broker operation that can wait, against a
 * counterpart that never answers, ended once by its time limit and once by an AbortSignal.
 * Each case runs in a process of its own (tests/fixtures/broker_limits.ts) with a heartbeat
 * timer, and must: settle with the typed error within the limit plus a margin, keep the
 * JavaScript thread running meanwhile and afterwards (the heartbeat keeps ticking), and end by
 * itself. The emulator cases get a broker session of their own (scripts/with-broker.sh), as a
 * hung D-Bus call stays outstanding; sign-out makes no D-Bus call, so the C double hangs it.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brokerSkip } from "../support/broker.ts";
import { runFixture } from "../support/fixtures.ts";
import { msalRuntimeDoublePath } from "../support/msalruntime_double.ts";
import { repoPath } from "../support/paths.ts";

/** As in the fixture. */
const LIMIT_MS = 1_500;
const TICK_MS = 50;
/** Generous: two cores shared by several test runs. */
const MARGIN_MS = 4_000;
/** The whole process, start-up and exit included. */
const PROCESS_BOUND_MS = 40_000;

interface Outcome {
  op: string;
  mode: string;
  error?: { name: string; code: string; isEntraAuthError: boolean; message: string; };
  accounts?: number;
  next?: { accounts?: number; code?: string; message?: string; };
  elapsedMs: number;
  ticksDuring: number;
  ticksAfter: number;
}

async function run(
  op: string,
  mode: "timeout" | "abort",
  options: { double?: boolean; required?: boolean; thenAccounts?: boolean; } = {},
): Promise<Outcome> {
  const started = Date.now();
  const result = await runFixture(
    "broker_limits",
    [
      op,
      mode,
      ...(options.required ? ["required"] : []),
      ...(options.thenAccounts ? ["then-accounts"] : []),
    ],
    options.double
      ? {
        env: { ENTRA_AUTH_MSALRUNTIME_PATH: msalRuntimeDoublePath(), DISPLAY: undefined },
        timeoutMs: PROCESS_BOUND_MS,
      }
      : { wrapper: [repoPath("scripts", "with-broker.sh"), "--"], timeoutMs: PROCESS_BOUND_MS },
  );
  const why = `exit ${result.code} ${result.signal ?? ""}\n${result.stdout}\n${result.stderr}`;
  const line = result.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  assert.ok(line, `no outcome (the call never settled?): ${why}`);
  assert.equal(
    result.signal,
    null,
    `the process had to be killed: it did not end by itself. ${why}`,
  );
  assert.equal(result.code, 0, why);
  assert.ok(Date.now() - started < PROCESS_BOUND_MS, "the process ended by itself");
  return JSON.parse(line);
}

function assertHonoured(out: Outcome, code: string): void {
  assert.equal(out.error?.code, code, JSON.stringify(out));
  assert.equal(out.error?.isEntraAuthError, true);
  assertInTime(out);
}

function assertInTime(out: Outcome): void {
  assert.ok(out.elapsedMs >= LIMIT_MS - 100, `settled before the limit: ${out.elapsedMs} ms`);
  assert.ok(out.elapsedMs < LIMIT_MS + MARGIN_MS, `settled after ${out.elapsedMs} ms`);
  // A frozen JavaScript thread would not tick at all; a busy machine ticks less than ideal.
  const expected = out.elapsedMs / TICK_MS;
  assert.ok(out.ticksDuring >= expected / 4, `heartbeat ${out.ticksDuring} of ~${expected}`);
  assert.ok(out.ticksAfter >= 5, `heartbeat after the call: ${out.ticksAfter}`);
}

const T = { timeout: 60_000 };

describe("broker time limits: a hung broker, the real MSALRuntime", { skip: brokerSkip }, () => {
  for (
    const [op, what] of [
      ["interactive", "an interactive sign-in (acquireTokenInteractively never answers)"],
      ["silent", "a silent call (acquireTokenSilently never answers)"],
      ["accounts", "getAccounts (getAccounts never answers)"],
    ] as const
  ) {
    it(`${what}: the time limit ends it`, T, async () => {
      assertHonoured(await run(op, "timeout"), "broker_timeout");
    });
    it(`${what}: an AbortSignal ends it with code aborted`, T, async () => {
      assertHonoured(await run(op, "abort"), "aborted");
    });
  }

  it(
    "after a call the broker never answered, the next call fails at once, naming it (MSALRuntime would queue it behind)",
    T,
    async () => {
      const out = await run("silent", "timeout", { thenAccounts: true });
      assert.equal(out.error?.code, "broker_timeout");
      // Not its own time limit (it would have waited behind the unanswered call), but the
      // earlier call's.
      assert.equal(out.next?.code, "broker_timeout", JSON.stringify(out.next));
      assert.match(
        out.next?.message ?? "",
        /has not answered an earlier call \(MSALRUNTIME_AcquireTokenSilently/,
      );
    },
  );

  it(
    "a frozen broker at start-up (Ping never answers): the first call falls back in time",
    T,
    async () => {
      const out = await run("startup", "timeout");
      assert.equal(out.error, undefined, JSON.stringify(out));
      assert.equal(out.accounts, 0); // served without the broker
      assertInTime(out);
    },
  );

  it("a frozen broker at start-up, broker required: a typed error in time", T, async () => {
    assertHonoured(await run("startup", "timeout", { required: true }), "broker_timeout");
  });

  it("a frozen broker at start-up: an AbortSignal ends the wait with code aborted", T, async () => {
    assertHonoured(await run("startup", "abort"), "aborted");
  });
});

describe("broker time limits: a hung sign-out, the MSALRuntime test double", () => {
  it("removeAccount: the time limit ends it", T, async () => {
    assertHonoured(await run("signout", "timeout", { double: true }), "broker_timeout");
  });
  it("removeAccount: an AbortSignal ends it with code aborted", T, async () => {
    assertHonoured(await run("signout", "abort", { double: true }), "aborted");
  });
});
