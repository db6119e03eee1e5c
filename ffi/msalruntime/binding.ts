/**
 * The MSALRuntime binding: one object per process that owns the loaded library, its startup,
 * the completion routers (one per callback signature), the log callback, and every native
 * handle, each released exactly once. Nothing here leaks a raw pointer: results are read
 * into plain objects and released at once; accounts are {@link RuntimeAccount} objects that
 * own their handle.
 *
 * @module
 */

import { platform } from "node:os";
import { brokerErrorFrom, type BrokerErrorInfo, EntraAuthError } from "../../src/errors.ts";
import { CompletionRouter } from "../completion.ts";
import type { FfiBackend, NativeCallback, NativeLibrary } from "../types.ts";
import { NativeIo } from "./native_io.ts";
import type { MsalRuntimeSymbols, OffThreadSymbols } from "./symbols.ts";
import type {
  Lib,
  RuntimeAccount,
  RuntimeAuthParameters,
  RuntimeAuthResult,
  RuntimeCallOptions,
  RuntimeLogSink,
} from "./types.ts";

export {
  RuntimeAccount,
  type RuntimeAccountData,
  type RuntimeAuthParameters,
  type RuntimeAuthResult,
  type RuntimeCallOptions,
  type RuntimeLogSink,
} from "./types.ts";

/** Status 6 at startup: no broker on the bus; the library works in local mode only. */
const STATUS_API_CONTRACT_VIOLATION = 6;

/** The operations that may show the broker's window. */
const INTERACTIVE_OPERATIONS = new Set([
  "MSALRUNTIME_SignInAsync",
  "MSALRUNTIME_SignInInteractivelyAsync",
  "MSALRUNTIME_AcquireTokenInteractivelyAsync",
]);

/** The two bindings of the same library (see {@link MsalRuntime.create}). */
export interface MsalRuntimeLibraries {
  /** Only the asynchronous operations, Startup and Shutdown run off the JavaScript thread. */
  inline: NativeLibrary<MsalRuntimeSymbols>;
  /**
   * Opens the binding in which every function runs off the JavaScript thread: only once a log
   * callback is registered, so an app that never asks for broker logs binds the library once.
   */
  offThread: () => Promise<NativeLibrary<OffThreadSymbols<MsalRuntimeSymbols>>>;
}

/**
 * The loaded, started MSALRuntime of this process.
 *
 * Threading: MSALRuntime completes operations on its own threads and calls the log callback
 * while holding its logger lock. Deno and koffi make a calling native thread wait until the
 * JavaScript thread has run the callback, so the JavaScript thread must never block inside an
 * MSALRuntime call that a waiting thread holds a lock for. The operations (`…Async`),
 * Startup, CancelAsyncOperation and Shutdown always run off the JavaScript thread (Startup
 * and the cancel, which can block on D-Bus by themselves, in a Worker on Bun); once a log
 * callback is registered, every call does.
 */
export class MsalRuntime {
  /** Whether startup found a broker to talk to. */
  readonly brokerAvailable: boolean;
  /** Why the broker is unavailable, when it is. */
  readonly startupError?: BrokerErrorInfo;
  /** The library file in use. */
  readonly path: string;
  readonly #libraries: MsalRuntimeLibraries;
  #lib: Lib;
  readonly #io: NativeIo;
  readonly #auth: CompletionRouter;
  readonly #signOut: CompletionRouter;
  readonly #readAccount: CompletionRouter;
  readonly #discover: CompletionRouter;
  readonly #backend: FfiBackend;
  readonly #platform = platform();
  #logCallback?: NativeCallback;
  #logSetup?: Promise<void>;
  #logHandle = 0n;
  readonly #windows: boolean;
  #logSinks = new Set<RuntimeLogSink>();
  #shutDown = false;
  #piiEnabled = false;

  /**
   * Starts MSALRuntime.
   *
   * @param backend the runtime's FFI backend
   * @param libraries the library bound twice (inline and off-thread)
   * @param windows whether it is the Windows DLL (UTF-16 strings)
   * @returns the started runtime
   * @throws BrokerError when Startup fails for another reason than a missing broker. Startup
   *   runs off the JavaScript thread and is not bounded here: a frozen broker can hold it for
   *   seconds, so callers bound their wait (the broker client's `startupTimeoutMs`) and never
   *   start a second one meanwhile (one start per process).
   */
  static async create(
    backend: FfiBackend,
    libraries: MsalRuntimeLibraries,
    windows: boolean,
  ): Promise<MsalRuntime> {
    const lib = libraries.inline.symbols as unknown as Lib;
    const startup = await lib.MSALRUNTIME_Startup();
    const runtime = new MsalRuntime(backend, libraries, windows);
    await runtime.#started(startup);
    return runtime;
  }

  private constructor(backend: FfiBackend, libraries: MsalRuntimeLibraries, windows: boolean) {
    this.#windows = windows;
    this.#libraries = libraries;
    this.path = libraries.inline.path;
    this.#lib = libraries.inline.symbols as unknown as Lib;
    this.#io = new NativeIo(() => this.#lib, windows ? "utf16" : "utf8");
    this.#backend = backend;
    this.#auth = new CompletionRouter(backend, (r) => this.#io.release("ReleaseAuthResult", r));
    this.#signOut = new CompletionRouter(
      backend,
      (r) => this.#io.release("ReleaseSignOutResult", r),
    );
    this.#readAccount = new CompletionRouter(
      backend,
      (r) => this.#io.release("ReleaseReadAccountResult", r),
    );
    this.#discover = new CompletionRouter(
      backend,
      (r) => this.#io.release("ReleaseDiscoverAccountsResult", r),
    );
    this.brokerAvailable = true;
  }

  async #started(startup: bigint): Promise<void> {
    if (startup === 0n) return;
    const info = await this.#io.readError(startup);
    if (info.status !== STATUS_API_CONTRACT_VIOLATION) {
      throw brokerErrorFrom(info, "MSALRUNTIME_Startup");
    }
    (this as { brokerAvailable: boolean; }).brokerAvailable = false;
    (this as { startupError?: BrokerErrorInfo; }).startupError = info;
  }

  /**
   * Adds a receiver of MSALRuntime's log lines; returns a function that removes it. The native
   * log callback is registered with the first sink, and from then on every MSALRuntime call
   * runs off the JavaScript thread (see the class documentation).
   */
  async addLogSink(sink: RuntimeLogSink): Promise<() => void> {
    this.#logSinks.add(sink);
    this.#logSetup ??= this.#registerLogCallback();
    await this.#logSetup;
    return () => this.#logSinks.delete(sink);
  }

  async #registerLogCallback(): Promise<void> {
    this.#lib = (await this.#libraries.offThread()).symbols;
    this.#logCallback = this.#backend.callback(
      // The message is an os_char*: UTF-16 on Windows, UTF-8 elsewhere.
      { parameters: [this.#windows ? "wstring" : "string", "i32", "pointer"], result: "void" },
      ((message: string | null, level: number) => {
        for (const s of this.#logSinks) s(level, message ?? "");
      }) as (...args: never[]) => void,
    );
    const out = new BigUint64Array(1);
    await this.#io.check(
      await this.#lib.MSALRUNTIME_RegisterLogCallback(this.#logCallback.pointer, 0n, out),
    );
    this.#logHandle = out[0];
  }

  /** Lets MSALRuntime put personal data (usernames, ids) in logs and error contexts. */
  async setPiiEnabled(enabled: boolean): Promise<void> {
    this.#piiEnabled = enabled;
    await this.#lib.MSALRUNTIME_SetIsPiiEnabled(enabled ? 1 : 0);
  }

  /** Whether MSALRuntime currently writes personal data into logs (process-wide). */
  get piiEnabled(): boolean {
    return this.#piiEnabled;
  }

  /** Calls that have not completed, and calls abandoned by a timeout that may still complete. */
  get outstanding(): { pending: number; abandoned: number; } {
    const routers = [this.#auth, this.#signOut, this.#readAccount, this.#discover];
    return {
      pending: routers.reduce((n, r) => n + r.pending, 0),
      abandoned: routers.reduce((n, r) => n + r.abandoned, 0),
    };
  }

  /**
   * The oldest broker call abandoned (timed out or aborted) that MSALRuntime is still busy
   * with. On Linux MSALRuntime sends its D-Bus calls one after another: while such a call
   * waits for the broker, every later call waits behind it.
   *
   * @returns its operation and when it was issued, or undefined
   */
  stalledBy(): { operation: string; issuedAt: number; } | undefined {
    const routers = [this.#auth, this.#signOut, this.#readAccount, this.#discover];
    let oldest: { operation: string; issuedAt: number; } | undefined;
    for (const router of routers) {
      const o = router.oldestAbandoned();
      if (o && (!oldest || o.issuedAt < oldest.issuedAt)) oldest = o;
    }
    return oldest;
  }

  // ---------------------------------------------------------------- operations

  /** SignInSilentlyAsync: the default OS account. */
  signInSilently(
    params: RuntimeAuthParameters,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAuthResult> {
    return this.#authCall(
      "MSALRUNTIME_SignInSilentlyAsync",
      params,
      options,
      (p, corr, cb, id, out) => this.#lib.MSALRUNTIME_SignInSilentlyAsync(p, corr, cb, id, out),
    );
  }

  /** SignInAsync: silent first, then interactive with `loginHint`. */
  signIn(
    windowHandle: bigint,
    params: RuntimeAuthParameters,
    loginHint: string,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAuthResult> {
    const hint = this.#io.str(loginHint);
    return this.#authCall(
      "MSALRUNTIME_SignInAsync",
      params,
      options,
      (p, corr, cb, id, out) =>
        this.#lib.MSALRUNTIME_SignInAsync(windowHandle, p, corr, hint, cb, id, out),
    );
  }

  /** SignInInteractivelyAsync. */
  signInInteractively(
    windowHandle: bigint,
    params: RuntimeAuthParameters,
    loginHint: string,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAuthResult> {
    const hint = this.#io.str(loginHint);
    return this.#authCall(
      "MSALRUNTIME_SignInInteractivelyAsync",
      params,
      options,
      (p, corr, cb, id, out) =>
        this.#lib.MSALRUNTIME_SignInInteractivelyAsync(windowHandle, p, corr, hint, cb, id, out),
    );
  }

  /** AcquireTokenSilentlyAsync for `account`. */
  acquireTokenSilently(
    params: RuntimeAuthParameters,
    account: RuntimeAccount,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAuthResult> {
    return this.#authCall(
      "MSALRUNTIME_AcquireTokenSilentlyAsync",
      params,
      options,
      (p, corr, cb, id, out) =>
        this.#lib.MSALRUNTIME_AcquireTokenSilentlyAsync(p, corr, account.handle, cb, id, out),
      false, // the caller holds the account: reading it again costs 11 calls
    );
  }

  /** AcquireTokenInteractivelyAsync, for `account` when given. */
  acquireTokenInteractively(
    windowHandle: bigint,
    params: RuntimeAuthParameters,
    account: RuntimeAccount | undefined,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAuthResult> {
    return this.#authCall(
      "MSALRUNTIME_AcquireTokenInteractivelyAsync",
      params,
      options,
      (p, corr, cb, id, out) =>
        this.#lib.MSALRUNTIME_AcquireTokenInteractivelyAsync(
          windowHandle,
          p,
          corr,
          account?.handle ?? 0n,
          cb,
          id,
          out,
        ),
    );
  }

  /** SignOutSilentlyAsync: forgets `account` for `clientId`. */
  async signOutSilently(
    clientId: string,
    account: RuntimeAccount,
    options: RuntimeCallOptions,
  ): Promise<void> {
    const client = this.#io.str(clientId);
    const result = await this.#call(
      this.#signOut,
      "MSALRUNTIME_SignOutSilentlyAsync",
      options,
      (corr, cb, id, out) =>
        this.#lib.MSALRUNTIME_SignOutSilentlyAsync(client, corr, account.handle, cb, id, out),
    );
    try {
      await this.#io.throwResultError(
        "MSALRUNTIME_SignOutSilentlyAsync",
        (out) => this.#lib.MSALRUNTIME_GetSignOutError(result, out),
      );
    } finally {
      await this.#io.release("ReleaseSignOutResult", result);
    }
  }

  /** ReadAccountByIdAsync; `undefined` when there is no such account (status 16). */
  async readAccountById(
    accountId: string,
    options: RuntimeCallOptions,
  ): Promise<RuntimeAccount | undefined> {
    const idText = this.#io.str(accountId);
    const result = await this.#call(
      this.#readAccount,
      "MSALRUNTIME_ReadAccountByIdAsync",
      options,
      (corr, cb, id, out) => this.#lib.MSALRUNTIME_ReadAccountByIdAsync(idText, corr, cb, id, out),
    );
    try {
      const errOut = new BigUint64Array(1);
      await this.#io.check(await this.#lib.MSALRUNTIME_GetReadAccountError(result, errOut));
      if (errOut[0] !== 0n) {
        const info = await this.#io.readError(errOut[0]);
        if (info.status === 16) return undefined;
        throw brokerErrorFrom(info, "MSALRUNTIME_ReadAccountByIdAsync");
      }
      const out = new BigUint64Array(1);
      await this.#io.check(await this.#lib.MSALRUNTIME_GetReadAccount(result, out));
      return out[0] === 0n ? undefined : await this.#io.account(out[0]);
    } finally {
      await this.#io.release("ReleaseReadAccountResult", result);
    }
  }

  /** DiscoverAccountsAsync: every account the broker knows for `clientId`. */
  async discoverAccounts(clientId: string, options: RuntimeCallOptions): Promise<RuntimeAccount[]> {
    const client = this.#io.str(clientId);
    const result = await this.#call(
      this.#discover,
      "MSALRUNTIME_DiscoverAccountsAsync",
      options,
      (corr, cb, id, out) => this.#lib.MSALRUNTIME_DiscoverAccountsAsync(client, corr, cb, id, out),
    );
    const accounts: RuntimeAccount[] = [];
    try {
      await this.#io.throwResultError(
        "MSALRUNTIME_DiscoverAccountsAsync",
        (out) => this.#lib.MSALRUNTIME_GetDiscoverAccountsError(result, out),
      );
      const out = new BigUint64Array(1);
      for (let i = 0; i < 10_000; i++) {
        out[0] = 0n;
        await this.#io.check(await this.#lib.MSALRUNTIME_GetDiscoverAccountsAt(result, i, out));
        if (out[0] === 0n) break;
        accounts.push(await this.#io.account(out[0]));
      }
      return accounts;
    } catch (err) {
      for (const a of accounts) a.close();
      throw err;
    } finally {
      await this.#io.release("ReleaseDiscoverAccountsResult", result);
    }
  }

  /** GetSsoPolicy (not in the public headers): 0 unknown, 1 permission required, 2 allowed, 3 error. */
  async ssoPolicy(): Promise<number | undefined> {
    const fn = this.#lib.MSALRUNTIME_GetSsoPolicy;
    if (!fn) return undefined;
    const out = new Int32Array(1);
    await this.#io.check(await fn(out));
    return out[0];
  }

  /**
   * Shuts MSALRuntime down, unless a call is outstanding (Shutdown blocks while a broker call
   * is in flight, forever if the broker hangs). Yields one macrotask first: in Deno, calling
   * Shutdown in the turn of the callback that just completed deadlocks.
   *
   * @returns whether Shutdown was called
   */
  async shutdown(): Promise<boolean> {
    if (this.#shutDown) return true;
    await new Promise((r) => setTimeout(r, 0));
    const { pending, abandoned } = this.outstanding;
    if (pending > 0 || abandoned > 0) return false;
    this.#shutDown = true;
    if (this.#logHandle !== 0n) {
      await this.#io.releaseError(
        await this.#lib.MSALRUNTIME_ReleaseLogCallbackHandle(this.#logHandle),
      );
      this.#logHandle = 0n;
    }
    await this.#lib.MSALRUNTIME_Shutdown();
    for (const r of [this.#auth, this.#signOut, this.#readAccount, this.#discover]) r.close();
    // The log callback stays allocated: worker threads may still be logging.
    return true;
  }

  // ---------------------------------------------------------------- plumbing

  async #authCall(
    operation: string,
    params: RuntimeAuthParameters,
    options: RuntimeCallOptions,
    issue: (
      params: bigint,
      corr: Uint8Array | Uint16Array,
      cb: bigint,
      id: bigint,
      out: BigUint64Array,
    ) => Promise<bigint>,
    readAccount = true,
  ): Promise<RuntimeAuthResult> {
    const handle = await this.#io.createParameters(params);
    try {
      const result = await this.#call(
        this.#auth,
        operation,
        options,
        (corr, cb, id, out) => issue(handle, corr, cb, id, out),
      );
      try {
        return await this.#io.readAuthResult(result, operation, readAccount);
      } finally {
        await this.#io.release("ReleaseAuthResult", result);
      }
    } finally {
      await this.#io.release("ReleaseAuthParameters", handle);
    }
  }

  #call(
    router: CompletionRouter,
    operation: string,
    options: RuntimeCallOptions,
    issue: (
      corr: Uint8Array | Uint16Array,
      cb: bigint,
      id: bigint,
      out: BigUint64Array,
    ) => Promise<bigint>,
  ): Promise<bigint> {
    if (this.#shutDown) {
      return Promise.reject(
        new EntraAuthError("invalid_argument", "MSALRuntime has been shut down"),
      );
    }
    const corr = this.#io.str(options.correlationId);
    const asyncOut = new BigUint64Array(1);
    // The issuing call may still be running (off the JavaScript thread) when the completion
    // arrives: the async handle is only known once it has returned.
    let issued: Promise<unknown> = Promise.resolve();
    // An abandoned call's cancel runs off the JavaScript thread: the handle outlives it.
    let canceled: Promise<unknown> = Promise.resolve();
    let abandoned = false;
    const releaseAsync = async () => {
      await issued;
      await canceled;
      const h = asyncOut[0];
      asyncOut[0] = 0n;
      if (h !== 0n) await this.#io.release("ReleaseAsyncHandle", h);
    };
    // Cancelling an interactive request on Linux makes MSALRuntime send cancelInteractiveFlow
    // with a blocking D-Bus call that cannot go out before the interactive reply arrives: it
    // would hold a thread (and, in Deno, the process) until the user closes the window, and
    // reach the broker too late to matter. Elsewhere the cancel runs off the JavaScript thread.
    const cancel = !(INTERACTIVE_OPERATIONS.has(operation) && this.#platform === "linux");
    const promise = router.start(operation, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onAbandon: () => {
        abandoned = true;
        if (!cancel) return;
        canceled = issued.then(async () => {
          const h = asyncOut[0];
          if (h !== 0n) {
            await this.#io.releaseError(await this.#lib.MSALRUNTIME_CancelAsyncOperation(h));
          }
        }).catch(() => {});
      },
      // An abandoned call keeps its async handle until the operation really ends.
      onLateCompletion: () => void releaseAsync().catch(() => {}),
    }, (cb, id) => {
      const call = (async () => {
        const err = await issue(corr, cb, id, asyncOut);
        if (err !== 0n) throw brokerErrorFrom(await this.#io.readError(err), operation);
      })();
      issued = call.catch(() => {});
      return call;
    });
    return promise.then(
      async (result) => {
        await releaseAsync();
        return result;
      },
      async (err) => {
        if (!abandoned) await releaseAsync();
        throw err;
      },
    );
  }
}
