/**
 * Property-based fuzzing support (fast-check), shared by tests/fuzz/: the seed and the number
 * of runs (`FUZZ_SEED`, `FUZZ_RUNS`), the one outcome every property checks (a correct result
 * or a typed {@link EntraAuthError} with an expected `code`, never another exception), a time
 * bound per case (a hang fails the case instead of the run), and a watcher for unhandled
 * rejections and uncaught exceptions (a crash fails the property instead of the process).
 *
 * CI runs every property with a fixed seed and a small count. A long run:
 * `FUZZ_RUNS=20000 FUZZ_SEED=7 node_modules/.bin/deno test -A --no-check tests/fuzz/`.
 * A failure prints the seed and the counterexample's path; replay it with `FUZZ_SEED` and
 * fast-check's `path` (see docs/fuzzing.md).
 *
 * @module
 */

import fc from "fast-check";
import process from "node:process";
import { EntraAuthError, type ErrorCode } from "../../src/errors.ts";

export { fc };

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, not ${JSON.stringify(text)}`);
  }
  return value;
}

/** The seed of every property: `FUZZ_SEED`, else a fixed one (CI is reproducible). */
export const FUZZ_SEED: number = envInteger("FUZZ_SEED") ?? 20261130;

/** `FUZZ_RUNS`: runs per property for a long run (unset: each property's CI count). */
export const FUZZ_RUNS: number | undefined = envInteger("FUZZ_RUNS");

/**
 * The number of runs of a property: `FUZZ_RUNS` when set (up to `cap`), else its CI count.
 *
 * @param ciRuns the count in CI (keep the whole folder well under a minute per runtime)
 * @param cap the most runs a long run may give this property (for costly cases)
 * @returns the count
 */
export function fuzzRuns(ciRuns: number, cap: number = Infinity): number {
  return FUZZ_RUNS === undefined ? ciRuns : Math.min(FUZZ_RUNS, cap);
}

/**
 * fast-check parameters: the seed, the runs, and the rest given.
 *
 * @param ciRuns the count in CI
 * @param extra more parameters (e.g. `examples`: regression cases that always run first)
 * @param cap the most runs a long run may give this property
 * @returns the parameters
 */
export function fuzzParameters<T>(
  ciRuns: number,
  extra: fc.Parameters<T> = {},
  cap: number = Infinity,
): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: fuzzRuns(ciRuns, cap), ...extra };
}

/**
 * The time limit of one `it` running a property: room for every case at its bound, at least
 * a minute (the machine is shared), so that a long run is not cut short.
 *
 * @param ciRuns the count in CI
 * @param perCaseMs a generous bound of one case
 * @param cap as for {@link fuzzRuns}
 * @returns milliseconds
 */
export function fuzzTestTimeout(ciRuns: number, perCaseMs: number, cap: number = Infinity): number {
  return Math.max(60_000, fuzzRuns(ciRuns, cap) * perCaseMs + 30_000);
}

/** What a case ended in: a value, or a typed error with an expected code. */
export type Outcome<T> = { ok: true; value: T; } | { ok: false; error: EntraAuthError; };

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ""}`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Checks a thrown value: an {@link EntraAuthError} whose `code` is one of `codes`.
 *
 * @param err what was thrown
 * @param codes the codes this operation may end in
 * @throws Error naming what was thrown instead
 */
export function assertTypedError(
  err: unknown,
  codes: readonly ErrorCode[],
): asserts err is EntraAuthError {
  if (!(err instanceof EntraAuthError)) {
    throw new Error(`not an EntraAuthError: ${describeValue(err)}`);
  }
  if (!codes.includes(err.code)) {
    throw new Error(
      `EntraAuthError with code ${err.code}, expected one of ${codes.join(", ")}: ${err.message}`,
    );
  }
  if (typeof err.message !== "string" || err.message === "") {
    throw new Error(`EntraAuthError ${err.code} without a message`);
  }
}

/**
 * Runs a synchronous operation: its value, or the typed error it threw.
 *
 * @param fn the operation
 * @param codes the codes it may end in
 * @returns the outcome
 * @throws Error when it threw anything else
 */
export function settle<T>(fn: () => T, codes: readonly ErrorCode[]): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    assertTypedError(err, codes);
    return { ok: false, error: err };
  }
}

/**
 * Runs an asynchronous operation within a time bound: its value, or the typed error it
 * rejected with.
 *
 * @param fn the operation
 * @param codes the codes it may end in
 * @param limitMs the bound: not settled by then fails the case as a hang
 * @returns the outcome
 * @throws Error when it rejected with anything else, or did not settle in time
 */
export async function settleAsync<T>(
  fn: () => Promise<T>,
  codes: readonly ErrorCode[],
  limitMs: number,
): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`HANG: the operation did not settle within ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    const value = await Promise.race([fn(), hang]);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("HANG:")) throw err;
    assertTypedError(err, codes);
    return { ok: false, error: err };
  } finally {
    clearTimeout(timer);
  }
}

/** Unhandled rejections and uncaught exceptions seen while a watcher was on. */
export interface ProcessFaults {
  /** What was seen, in order. */
  readonly seen: string[];
  /** Throws if anything was seen. */
  check(): void;
  /** Removes the listeners. */
  stop(): void;
}

/**
 * Listens for unhandled rejections and uncaught exceptions (in all three runtimes), so that a
 * crash shows up as a failed property instead of killing the test process.
 *
 * @returns the watcher; call `stop()` in a `finally`
 */
export function watchProcessFaults(): ProcessFaults {
  const seen: string[] = [];
  const onRejection = (reason: unknown) =>
    seen.push(`unhandled rejection: ${describeValue(reason)}`);
  const onException = (err: unknown) => seen.push(`uncaught exception: ${describeValue(err)}`);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    seen,
    check() {
      if (seen.length > 0) throw new Error(seen.join("\n"));
    },
    stop() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

/**
 * Waits a macrotask, so that rejections left unhandled by the case are reported before the
 * case's check.
 *
 * @returns after one timer tick
 */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The `todo` (or `skip`) of a property that fails only because of a known bug being fixed on another
 * branch: the suite stays green until the merge. `FUZZ_KNOWN=1` runs these properties as
 * ordinary tests (to see them fail, or to check the fix after the merge).
 *
 * @param why which known bug, and where it is fixed
 * @returns the `todo` option, or `undefined` with `FUZZ_KNOWN=1`
 */
export function knownBug(why: string): string | undefined {
  return process.env.FUZZ_KNOWN === "1" ? undefined : why;
}
