/**
 * The one bridge from native completion callbacks to Promises.
 *
 * A native asynchronous API (MSALRuntime's `…Async` functions, the C test library) takes a
 * callback `void cb(RESULT_HANDLE result, void* callbackData)` and calls it later, usually
 * from one of its own threads. A {@link CompletionRouter} owns ONE thread-safe native callback
 * for that signature and routes each completion by `callbackData`, which carries a call id.
 * That gives every rule the runtimes demand in one place:
 *
 * - the callback is never freed while any call may still fire it (freeing early crashes Deno
 *   and aborts Node): {@link CompletionRouter.close} defers until the last call settles, and
 *   calls abandoned by a timeout keep it alive for good;
 * - the process is kept alive while a call is pending and released after (Bun and Node do
 *   not do it by themselves);
 * - a call that never completes rejects with {@link NativeTimeoutError} within its limit; a
 *   result that arrives after that is released, never leaked, never delivered twice.
 *
 * @module
 */

import { clearTimeout, setTimeout } from "node:timers";
import { NativeTimeoutError } from "../src/errors.ts";
import type { FfiBackend, NativeCallback } from "./types.ts";

/** Options of one call. */
export interface CompletionOptions {
  /** Milliseconds before the call is abandoned with {@link NativeTimeoutError}. */
  timeoutMs: number;
  /** Abandons the call (rejecting with the signal's reason) when aborted. */
  signal?: AbortSignal;
  /** Invoked once when the call is abandoned (e.g. to ask the native side to cancel). */
  onAbandon?: (id: bigint) => void;
  /** Invoked when the completion of an abandoned call arrives (after its result is released). */
  onLateCompletion?: () => void;
}

interface Entry {
  operation: string;
  /** When the call was issued (`Date.now()`). */
  issuedAt: number;
  resolve(result: bigint): void;
  reject(reason: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  abandoned: boolean;
  cleanup?: () => void;
  onLateCompletion?: () => void;
}

/**
 * Routes completions of one native callback signature `(pointer result, pointer data)` to
 * Promises.
 *
 * @example
 * ```ts ignore
 * const router = new CompletionRouter(ffi, (result) => lib.symbols.release_result(result));
 * const result = await router.start("echo", { timeoutMs: 5_000 }, (callback, id) => {
 *   lib.symbols.async_echo(7, 10, callback, id);
 * });
 * ```
 */
export class CompletionRouter {
  readonly #backend: FfiBackend;
  readonly #release: (result: bigint) => void;
  readonly #entries = new Map<bigint, Entry>();
  #callback: NativeCallback | undefined;
  #nextId = 1n;
  #closing = false;

  /**
   * @param backend the runtime's FFI backend
   * @param release frees a result handle nobody will consume (late or unknown completions)
   */
  constructor(backend: FfiBackend, release: (result: bigint) => void) {
    this.#backend = backend;
    this.#release = release;
  }

  /** Calls that have neither completed nor been abandoned. */
  get pending(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (!e.abandoned) n++;
    return n;
  }

  /** Calls abandoned (timed out or aborted) whose completion has not arrived yet. */
  get abandoned(): number {
    return this.#entries.size - this.pending;
  }

  /**
   * The oldest call that was abandoned and has still not completed: the native side is
   * still busy with it (a broker that never answered).
   *
   * @returns its operation and when it was issued, or undefined
   */
  oldestAbandoned(): { operation: string; issuedAt: number; } | undefined {
    let oldest: Entry | undefined;
    for (const e of this.#entries.values()) {
      if (e.abandoned && (!oldest || e.issuedAt < oldest.issuedAt)) oldest = e;
    }
    return oldest && { operation: oldest.operation, issuedAt: oldest.issuedAt };
  }

  /**
   * Starts one native call and waits for its completion.
   *
   * @param operation a name for errors
   * @param options timeout, abort signal and abandon hook
   * @param issue performs the native call with the callback pointer and the call id (pass
   *   the id as `callbackData`); if it throws or rejects, no completion is expected. It may
   *   be asynchronous (a `nonblocking` native call); the completion may arrive before it
   *   settles.
   * @returns the result handle given to the callback; the caller owns it
   * @throws NativeTimeoutError when `timeoutMs` elapses first, the signal's reason on abort,
   *   and whatever `issue` throws
   */
  start(
    operation: string,
    options: CompletionOptions,
    issue: (callback: bigint, id: bigint) => void | Promise<void>,
  ): Promise<bigint> {
    if (this.#closing) return Promise.reject(new Error("CompletionRouter is closed"));
    options.signal?.throwIfAborted();
    const callback = this.#ensureCallback();
    const id = this.#nextId++;
    let resolve!: (result: bigint) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<bigint>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      operation,
      issuedAt: Date.now(),
      resolve,
      reject,
      abandoned: false,
      onLateCompletion: options.onLateCompletion,
    };
    this.#entries.set(id, entry);
    callback.ref();
    const abandon = (reason: unknown) => {
      if (entry.abandoned || !this.#entries.has(id)) return;
      entry.abandoned = true;
      entry.cleanup?.();
      callback.unref();
      try {
        options.onAbandon?.(id);
      } finally {
        reject(reason);
      }
    };
    // The timer does not hold the process open by itself: the callback's ref() does that,
    // and only while the call is pending.
    entry.timer = setTimeout(
      () => abandon(new NativeTimeoutError(operation, options.timeoutMs)),
      options.timeoutMs,
    ).unref();
    const signal = options.signal;
    const onAbort = () => abandon(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    entry.cleanup = () => {
      clearTimeout(entry.timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const failed = (err: unknown): Promise<bigint> => {
      // The native call failed: no completion will come for this id.
      if (this.#entries.get(id) === entry) {
        entry.cleanup?.();
        this.#entries.delete(id);
        if (!entry.abandoned) callback.unref();
        this.#maybeFree();
      }
      reject(err);
      return promise;
    };
    let issued: void | Promise<void>;
    try {
      issued = issue(callback.pointer, id);
    } catch (err) {
      return failed(err);
    }
    if (issued instanceof Promise) issued.catch((err) => void failed(err));
    return promise;
  }

  /**
   * Frees the native callback as soon as no call can fire it any more. Idempotent. Calls
   * still pending complete normally; abandoned calls that never complete keep the callback
   * allocated until the process exits, which is the only safe choice.
   */
  close(): void {
    this.#closing = true;
    this.#maybeFree();
  }

  #ensureCallback(): NativeCallback {
    this.#callback ??= this.#backend.callback(
      { parameters: ["pointer", "pointer"], result: "void" },
      ((result: bigint, data: bigint) => this.#complete(result, data)) as (
        ...args: never[]
      ) => void,
    );
    return this.#callback;
  }

  #complete(result: bigint, data: bigint): void {
    const entry = this.#entries.get(data);
    this.#entries.delete(data);
    if (entry === undefined || entry.abandoned) {
      if (result !== 0n) this.#release(result);
      entry?.onLateCompletion?.();
    } else {
      entry.cleanup?.();
      this.#callback?.unref();
      entry.resolve(result);
    }
    this.#maybeFree();
  }

  #maybeFree(): void {
    if (!this.#closing || this.#entries.size > 0 || this.#callback === undefined) return;
    const callback = this.#callback;
    this.#callback = undefined;
    // Free outside the native frame that is delivering the last completion.
    setTimeout(() => callback.close(), 0);
  }
}
