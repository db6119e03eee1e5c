/**
 * Cancellation: abortable waits and the typed `aborted` / `timeout` errors shared by every
 * network flow.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/**
 * The error for an app-requested cancel.
 *
 * @param what the operation that was canceled
 * @param signal the signal, whose `reason` becomes the cause
 * @returns an {@link EntraAuthError} with code `aborted`
 * @example
 * ```ts
 * import { abortedError } from "./abort.ts";
 * const err = abortedError("device code sign-in");
 * console.log(err.code); // "aborted"
 * ```
 */
export function abortedError(what: string, signal?: AbortSignal): EntraAuthError {
  return new EntraAuthError("aborted", `${what} was canceled by the application.`, {
    cause: signal?.reason,
  });
}

/**
 * The error for a time limit that elapsed.
 *
 * @param what the operation that timed out
 * @param ms the limit
 * @returns an {@link EntraAuthError} with code `timeout`
 * @example
 * ```ts
 * import { timeoutError } from "./abort.ts";
 * console.log(timeoutError("token request", 30_000).code); // "timeout"
 * ```
 */
export function timeoutError(what: string, ms: number): EntraAuthError {
  return new EntraAuthError(
    "timeout",
    `${what} did not complete within ${ms} ms. Check the network, or raise the time limit.`,
  );
}

/**
 * Waits `ms` milliseconds unless `signal` aborts first; the timer never keeps a process alive
 * after an abort.
 *
 * @param ms how long to wait
 * @param signal cancels the wait
 * @param what names the operation in the `aborted` error
 * @returns resolves after `ms`
 * @throws EntraAuthError `aborted` when the signal aborts
 * @example
 * ```ts
 * import { delay } from "./abort.ts";
 * await delay(10, AbortSignal.timeout(1000), "retry");
 * ```
 */
export function delay(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(what, signal));
  // setTimeout fires at once for a wait beyond 2^31-1 ms (or NaN): wait in bounded steps.
  let remaining = Number.isFinite(ms) ? Math.max(0, ms) : ms > 0 ? Infinity : 0;
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(what, signal));
    };
    const step = () => {
      const now = Math.min(remaining, MAX_TIMER_MS);
      remaining -= now;
      timer = setTimeout(() => {
        if (remaining > 0) return step();
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, now);
    };
    step();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The longest wait one `setTimeout` can express, ms (2^31-1). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A wait function, injectable so that tests need not sleep through real intervals. */
export type DelayFunction = (ms: number, signal: AbortSignal | undefined) => Promise<void>;
