/**
 * The completion router's bookkeeping against a fake backend (no native library): which
 * results it releases, how often it refs and unrefs the callback, when it frees it, and what
 * a late, unknown or failed call does. tests/ffi/ffi.test.ts drives it through real native
 * threads.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CompletionRouter } from "../../ffi/completion.ts";
import type { CallbackDefinition, FfiBackend, NativeCallback } from "../../ffi/types.ts";
import { NativeTimeoutError } from "../../src/errors.ts";
import { runFixture } from "../support/fixtures.ts";

/** A callback that only counts what is done to it. */
class FakeCallback implements NativeCallback {
  readonly pointer = 0x1234n;
  refs = 0;
  unrefs = 0;
  closed = 0;
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.unrefs++;
  }
  close(): void {
    this.closed++;
  }
}

interface Fake {
  router: CompletionRouter;
  /** The callbacks created, with their definitions. */
  made: { definition: CallbackDefinition; cb: FakeCallback; }[];
  /** The result handles the router released. */
  released: bigint[];
  /** Delivers a completion as native code would: (result, callbackData). */
  complete(result: bigint, id: bigint): void;
  cb(): FakeCallback;
}

function fake(): Fake {
  const made: Fake["made"] = [];
  const fns: ((result: bigint, data: bigint) => void)[] = [];
  const released: bigint[] = [];
  const unused = () => {
    throw new Error("not used by the router");
  };
  const backend: FfiBackend = {
    runtime: "deno",
    open: unused,
    readCString: unused,
    readBytes: unused,
    callback(definition, fn) {
      const cb = new FakeCallback();
      made.push({ definition, cb });
      fns.push(fn as unknown as (result: bigint, data: bigint) => void);
      return cb;
    },
  };
  const router = new CompletionRouter(backend, (r) => released.push(r));
  return {
    router,
    made,
    released,
    complete: (result, id) => fns.at(-1)!(result, id),
    cb: () => made.at(-1)!.cb,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Starts a call and returns its id (given to `issue`) and its promise. */
function start(
  f: Fake,
  options: Parameters<CompletionRouter["start"]>[1] = { timeoutMs: 5_000 },
): { id: bigint; promise: Promise<bigint>; } {
  let id = -1n;
  const promise = f.router.start("op", options, (_callback, callId) => {
    id = callId;
  });
  return { id, promise };
}

describe("CompletionRouter (fake backend)", () => {
  // The fake callback's ref() holds nothing open, and the router's own timers are unref'd:
  // keep the event loop alive while the tests wait.
  let hold: ReturnType<typeof setInterval>;
  before(() => {
    hold = setInterval(() => {}, 60_000);
  });
  after(() => clearInterval(hold));

  it("asks for one callback (pointer, pointer) → void, and passes its pointer to issue", async () => {
    const f = fake();
    let pointer = 0n;
    const promise = f.router.start("op", { timeoutMs: 5_000 }, (callback, id) => {
      pointer = callback;
      f.complete(7n, id);
    });
    assert.equal(await promise, 7n);
    start(f).promise.catch(() => {});
    assert.equal(f.made.length, 1, "one callback for every call");
    assert.deepEqual(f.made[0].definition, { parameters: ["pointer", "pointer"], result: "void" });
    assert.equal(pointer, 0x1234n);
  });

  it("counts pending and abandoned calls", async () => {
    const f = fake();
    const a = start(f, { timeoutMs: 5_000 });
    const ctl = new AbortController();
    const b = start(f, { timeoutMs: 5_000, signal: ctl.signal });
    assert.equal(f.router.pending, 2);
    assert.equal(f.router.abandoned, 0);
    ctl.abort(new Error("stop"));
    await assert.rejects(b.promise, /stop/);
    assert.equal(f.router.pending, 1);
    assert.equal(f.router.abandoned, 1);
    f.complete(0n, b.id);
    assert.equal(f.router.abandoned, 0);
    f.complete(1n, a.id);
    assert.equal(await a.promise, 1n);
    assert.equal(f.router.pending, 0);
  });

  it("a timeout without an onAbandon hook rejects with NativeTimeoutError (nothing thrown elsewhere)", async () => {
    const f = fake();
    const { id, promise } = start(f, { timeoutMs: 10 });
    await assert.rejects(
      promise,
      (err) => err instanceof NativeTimeoutError && err.timeoutMs === 10,
    );
    assert.equal(f.cb().unrefs, 1);
    // Its completion arrives late, without an onLateCompletion hook: only released.
    f.complete(42n, id);
    assert.deepEqual(f.released, [42n]);
    await tick();
  });

  it("a late completion is released (a null result is not) and reported once", async () => {
    const f = fake();
    let late = 0;
    const ctl = new AbortController();
    const a = start(f, { timeoutMs: 5_000, signal: ctl.signal, onLateCompletion: () => late++ });
    const b = start(f, { timeoutMs: 10, onLateCompletion: () => late++ });
    ctl.abort(new Error("stop"));
    await assert.rejects(a.promise, /stop/);
    await assert.rejects(b.promise, NativeTimeoutError);
    f.complete(9n, a.id);
    f.complete(0n, b.id);
    assert.deepEqual(f.released, [9n], "a null result is nothing to release");
    assert.equal(late, 2);
    f.complete(9n, a.id); // the same id again: now unknown
    assert.equal(late, 2);
  });

  it("removes its abort listener when the call ends, however it ends", async () => {
    const f = fake();
    const ctl = new AbortController();
    const signal = ctl.signal;
    const listening = new Set<unknown>();
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener =
      ((type: string, fn: EventListener, options?: AddEventListenerOptions) => {
        if (type === "abort") listening.add(fn);
        add(type, fn, options);
      }) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, fn: EventListener) => {
      if (type === "abort") listening.delete(fn);
      remove(type, fn);
    }) as typeof signal.removeEventListener;
    const a = start(f, { timeoutMs: 5_000, signal });
    assert.equal(listening.size, 1);
    f.complete(1n, a.id);
    await a.promise;
    assert.equal(listening.size, 0, "completed");
    const b = start(f, { timeoutMs: 10, signal });
    await assert.rejects(b.promise, NativeTimeoutError);
    assert.equal(listening.size, 0, "timed out");
    await assert.rejects(
      f.router.start("op", { timeoutMs: 5_000, signal }, () => {
        throw new Error("sync failure");
      }),
      /sync failure/,
    );
    assert.equal(listening.size, 0, "failed");
  });

  it("a completion for an unknown id is released and nothing else happens", () => {
    const f = fake();
    start(f).promise.catch(() => {});
    f.complete(5n, 999n);
    assert.deepEqual(f.released, [5n]);
    assert.equal(f.router.pending, 1);
  });

  it("refs once per call and unrefs once, however the call ends", async () => {
    const f = fake();
    // Completed.
    const a = start(f);
    f.complete(1n, a.id);
    await a.promise;
    // The native call fails synchronously.
    await assert.rejects(
      f.router.start("op", { timeoutMs: 5_000 }, () => {
        throw new Error("sync failure");
      }),
      /sync failure/,
    );
    // It fails asynchronously.
    await assert.rejects(
      f.router.start("op", { timeoutMs: 5_000 }, () => Promise.reject(new Error("async failure"))),
      /async failure/,
    );
    // It completes, then its asynchronous issue rejects anyway.
    assert.equal(
      await f.router.start("op", { timeoutMs: 5_000 }, async (_cb, id) => {
        f.complete(3n, id);
        await tick();
        throw new Error("too late to matter");
      }),
      3n,
    );
    await tick();
    await tick();
    // Abandoned (timed out) while its asynchronous issue is still running, which then fails.
    let fail!: (err: Error) => void;
    const d = f.router.start(
      "op",
      { timeoutMs: 10 },
      () =>
        new Promise<void>((_resolve, reject) => {
          fail = reject;
        }),
    );
    await assert.rejects(d, NativeTimeoutError);
    fail(new Error("failed after the timeout"));
    await tick();
    const cb = f.cb();
    assert.equal(cb.refs, 5);
    assert.equal(cb.unrefs, 5, "one unref per ref");
    assert.equal(f.router.pending + f.router.abandoned, 0);
  });

  it("keeps the callback until close(), frees it once after close() and the last call", async () => {
    const f = fake();
    const a = start(f);
    f.complete(1n, a.id);
    await a.promise;
    await tick();
    assert.equal(f.cb().closed, 0, "not freed while the router is open");
    const b = start(f);
    assert.equal(f.made.length, 1, "the same callback serves the next call");
    f.router.close();
    await tick();
    assert.equal(f.cb().closed, 0, "not freed while a call is pending");
    f.complete(2n, b.id);
    assert.equal(await b.promise, 2n);
    await tick();
    assert.equal(f.cb().closed, 1);
    f.router.close();
    await tick();
    assert.equal(f.cb().closed, 1, "close() is idempotent");
    await assert.rejects(start(f).promise, /CompletionRouter is closed/);
  });

  it("close() with no call ever made frees nothing and throws nothing", async () => {
    const f = fake();
    f.router.close();
    f.router.close();
    await tick();
    assert.equal(f.made.length, 0);
    await assert.rejects(start(f).promise, /CompletionRouter is closed/);
  });
});

describe("CompletionRouter: nothing thrown from a timer", () => {
  it("a timeout with no onAbandon hook, and close() twice, end a process cleanly", async () => {
    // In a process of its own: `deno test` lets an error thrown from a timer pass, while a
    // Deno or Node app dies of it.
    const result = await runFixture("completion_quiet", [], { timeoutMs: 30_000 });
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), "ok");
  });
});
