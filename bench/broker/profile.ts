/**
 * Where the time of one silent call goes (`--profile`): before the operation is issued
 * (auth parameters), from the issue to the completion callback running in JavaScript (the
 * library's own work plus the thread hops), and after it (reading and releasing the result).
 * On our side it also counts the FFI calls and the time the JavaScript thread spends inside
 * them, by wrapping the FFI backend's `open` and `callback` before MSALRuntime is loaded, so
 * it does not depend on the binding's internals. The wrapping costs a little time per FFI
 * call: profiled runs are for the breakdown, not for the headline figures.
 */

import type {
  CallbackDefinition,
  FfiBackend,
  NativeLibrary,
  SymbolTable,
} from "../../ffi/types.ts";

/** One call's phases, in ms, averaged over the calls of a phase of the benchmark. */
export interface Breakdown {
  calls: number;
  /** From the start of the call to the native operation being issued. */
  beforeIssueMs: number;
  /** From the issue to the completion callback running on the JavaScript thread. */
  toCallbackMs: number;
  /** From the completion callback to the call's end (reading and releasing the result). */
  afterCallbackMs: number;
  /** Blocking FFI calls per silent call, and the time the JavaScript thread spent in them. */
  inlineFfiCalls?: number;
  inlineFfiMs?: number;
  /** Off-thread (nonblocking) FFI calls per silent call, and their summed start-to-settle time. */
  offThreadFfiCalls?: number;
  offThreadFfiMs?: number;
  /** Log callbacks per silent call, and the time spent running them. */
  logCallbacks?: number;
  logCallbackMs?: number;
}

/** Accumulates per-call timelines. */
export class Profiler {
  #calls = 0;
  #before = 0;
  #wait = 0;
  #after = 0;
  #start = 0;
  #issue = 0;
  #callback = 0;
  #inlineCalls = 0;
  #inlineMs = 0;
  #offCalls = 0;
  #offMs = 0;
  #logs = 0;
  #logMs = 0;
  readonly #ffi: boolean;

  /** @param ffi whether FFI-level counters are collected (our side) */
  constructor(ffi: boolean) {
    this.#ffi = ffi;
  }

  /** Marks the start of a silent call. */
  start(): void {
    this.#start = performance.now();
    this.#issue = this.#callback = 0;
  }

  /** Marks the moment the native operation is issued. */
  issued(): void {
    this.#issue = performance.now();
  }

  /** Marks the completion callback running in JavaScript. */
  completed(): void {
    this.#callback = performance.now();
  }

  /** Marks the end of a silent call. */
  end(): void {
    const end = performance.now();
    if (this.#issue === 0 || this.#callback === 0) return;
    this.#calls++;
    this.#before += this.#issue - this.#start;
    this.#wait += this.#callback - this.#issue;
    this.#after += end - this.#callback;
  }

  /** Adds one FFI call. */
  ffi(offThread: boolean, ms: number): void {
    if (offThread) {
      this.#offCalls++;
      this.#offMs += ms;
    } else {
      this.#inlineCalls++;
      this.#inlineMs += ms;
    }
  }

  /** Adds one log callback. */
  log(ms: number): void {
    this.#logs++;
    this.#logMs += ms;
  }

  /** The per-call means since the last reset, then resets. */
  take(): Breakdown {
    const n = Math.max(1, this.#calls);
    const r = (v: number) => Math.round((v / n) * 1000) / 1000;
    const out: Breakdown = {
      calls: this.#calls,
      beforeIssueMs: r(this.#before),
      toCallbackMs: r(this.#wait),
      afterCallbackMs: r(this.#after),
    };
    if (this.#ffi) {
      Object.assign(out, {
        inlineFfiCalls: r(this.#inlineCalls),
        inlineFfiMs: r(this.#inlineMs),
        offThreadFfiCalls: r(this.#offCalls),
        offThreadFfiMs: r(this.#offMs),
        logCallbacks: r(this.#logs),
        logCallbackMs: r(this.#logMs),
      });
    }
    this.#calls =
      this.#before =
      this.#wait =
      this.#after =
        0;
    this.#inlineCalls =
      this.#inlineMs =
      this.#offCalls =
      this.#offMs =
      this.#logs =
      this.#logMs =
        0;
    return out;
  }
}

/** The operations whose issue starts the "to callback" phase. */
const ISSUE = /^MSALRUNTIME_AcquireTokenSilentlyAsync$/;

/**
 * Wraps a backend so that every function of every library it opens, and every callback it
 * creates, reports to `profiler`. Call before MSALRuntime is loaded.
 */
export function instrumentBackend(backend: FfiBackend, profiler: Profiler): void {
  const open = backend.open.bind(backend);
  const callback = backend.callback.bind(backend);
  const patched = backend as { -readonly [K in keyof FfiBackend]: FfiBackend[K]; };
  patched.open = <S extends SymbolTable>(path: string, symbols: S): NativeLibrary<S> => {
    const lib = open(path, symbols);
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(lib.symbols as Record<string, unknown>)) {
      if (typeof fn !== "function") {
        wrapped[name] = fn;
        continue;
      }
      const issue = ISSUE.test(name);
      wrapped[name] = (...args: unknown[]) => {
        if (issue) profiler.issued();
        const t = performance.now();
        const result = (fn as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) {
          return result.finally(() => profiler.ffi(true, performance.now() - t));
        }
        profiler.ffi(false, performance.now() - t);
        return result;
      };
    }
    return {
      ...lib,
      path: lib.path,
      close: () => lib.close(),
      symbols: wrapped as typeof lib.symbols,
    };
  };
  patched.callback = (definition: CallbackDefinition, fn: (...args: never[]) => void) => {
    const isLog = definition.parameters[0] === "string";
    const run = fn as (...a: unknown[]) => void;
    return callback(
      definition,
      ((...args: unknown[]) => {
        if (!isLog) {
          profiler.completed();
          return run(...args);
        }
        const t = performance.now();
        try {
          return run(...args);
        } finally {
          profiler.log(performance.now() - t);
        }
      }) as (...args: never[]) => void,
    );
  };
}
