/**
 * Concurrent identical requests share one: each caller may abort its own wait, and the shared
 * request is aborted only once every caller has aborted.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";
import type { AbortSignalLike } from "./token_credential.ts";

interface Entry<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

/**
 * In-flight requests by key.
 *
 * @example
 * ```ts
 * const shared = new SharedRequests<string>();
 * const [a, b] = await Promise.all([
 *   shared.run("k", undefined, () => Promise.resolve("x")),
 *   shared.run("k", undefined, () => Promise.resolve("y")),
 * ]); // both "x"
 * ```
 */
export class SharedRequests<T> {
  readonly #entries = new Map<string, Entry<T>>();

  /** How many requests are in flight. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Joins the request in flight for `key`, or starts one.
   *
   * @param key what makes two requests the same
   * @param signal this caller's abort signal
   * @param start starts the request; its signal aborts when every caller has
   * @returns the shared result
   * @throws EntraAuthError `aborted` when this caller's signal aborts first
   */
  run(
    key: string,
    signal: AbortSignalLike | undefined,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    let entry = this.#entries.get(key);
    if (!entry) {
      const controller = new AbortController();
      const created: Entry<T> = {
        controller,
        waiters: 0,
        // Started on the next microtask: if every caller aborted by then, it never starts.
        promise: Promise.resolve().then(() => {
          controller.signal.throwIfAborted();
          return start(controller.signal);
        }),
      };
      const forget = () => {
        if (this.#entries.get(key) === created) this.#entries.delete(key);
      };
      created.promise.then(forget, forget);
      this.#entries.set(key, created);
      entry = created;
    }
    const e = entry;
    e.waiters++;
    if (!signal) return e.promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        e.waiters--;
        if (e.waiters === 0) {
          if (this.#entries.get(key) === e) this.#entries.delete(key);
          e.controller.abort(signal.reason);
        }
        reject(abortedError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      e.promise.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }
}

function abortedError(signal: AbortSignalLike): EntraAuthError {
  return new EntraAuthError("aborted", "getToken was aborted by its abortSignal", {
    cause: signal.reason,
  });
}
