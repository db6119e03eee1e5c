/**
 * A counted hold on the event loop for runtimes whose pending native callbacks do not keep
 * the process alive by themselves (Bun, Node): a referenced timer exists while the count is
 * above zero.
 *
 * @module
 */

import type { NativeCallback } from "../types.ts";

const HOLD_INTERVAL_MS = 2 ** 30;

/** A counted keep-alive handle (internal to the FFI backends). */
export class KeepAlive {
  #count = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Adds one hold; the first one starts the timer. */
  ref(): void {
    if (this.#count++ === 0) this.#timer = setInterval(() => {}, HOLD_INTERVAL_MS);
  }

  /** Releases one hold; the last one stops the timer. */
  unref(): void {
    if (this.#count > 0 && --this.#count === 0) this.clear();
  }

  /** Drops every hold. */
  clear(): void {
    this.#count = 0;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A native callback whose hold on the process is a {@link KeepAlive} timer (Bun, Node).
 * Subclasses create the trampoline and free it in {@link TimerHeldCallback.free}.
 */
export abstract class TimerHeldCallback implements NativeCallback {
  abstract readonly pointer: bigint;
  readonly #keepAlive = new KeepAlive();

  /** Holds the process open (counted). */
  ref(): void {
    this.#keepAlive.ref();
  }

  /** Releases one hold. */
  unref(): void {
    this.#keepAlive.unref();
  }

  /** Drops every hold and frees the trampoline. */
  close(): void {
    this.#keepAlive.clear();
    this.free();
  }

  /** Frees the runtime's trampoline (idempotent). */
  protected abstract free(): void;
}
