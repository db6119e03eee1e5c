/**
 * Whether the OS broker can serve a call: MSALRuntime's one start per process, shared by every
 * application object (refcounted), bounded by a time limit and an AbortSignal, with exactly one
 * warning per process when the broker cannot be used and the app falls back, or a typed error
 * when the app requires the broker.
 *
 * @module
 */

import type { MsalRuntime } from "../../ffi/msalruntime/binding.ts";
import { BrokerError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { abortedError } from "../network/abort.ts";

/** Default bound of MSALRuntime's start-up, ms (a frozen broker holds Startup about 5 s). */
export const DEFAULT_STARTUP_TIMEOUT_MS = 3_000;

/** What the start of the broker needs to know. */
export interface BrokerStartupSettings {
  /** An explicit path to the MSALRuntime library. */
  libraryPath?: string;
  /** How long the first call waits for MSALRuntime to start, ms. */
  startupTimeoutMs: number;
  /** Throw instead of falling back when the broker cannot be used. */
  required: boolean;
}

/** Whether this process already warned that the broker cannot be used. */
let warned = false;

type Settled = { rt: MsalRuntime; } | { error: unknown; };

/**
 * One application's share of the process's MSALRuntime (internal).
 *
 * @example
 * ```ts ignore
 * const startup = new BrokerStartup({ startupTimeoutMs: 3_000, required: false }, logger);
 * const rt = await startup.runtime(); // undefined: fall back to the network
 * ```
 */
export class BrokerStartup {
  readonly #settings: BrokerStartupSettings;
  readonly #logger: Logger;
  readonly #setup: (rt: MsalRuntime) => Promise<void>;
  #start?: Promise<MsalRuntime>;
  #settled?: Settled;
  #timedOut = false;
  #ready?: Promise<void>;

  /**
   * @param settings library path, time limit, required
   * @param logger the app's logger
   * @param setup runs once on the started runtime for this app (log sinks, PII switch)
   */
  constructor(
    settings: BrokerStartupSettings,
    logger: Logger,
    setup: (rt: MsalRuntime) => Promise<void> = async () => {},
  ) {
    this.#settings = settings;
    this.#logger = logger;
    this.#setup = setup;
  }

  /**
   * The runtime when the broker can serve calls, else `undefined` (after one warning per
   * process), or a typed error when the broker is required.
   *
   * @param signal abandons the wait for the start (the start goes on)
   * @throws EntraAuthError `aborted`; BrokerError `broker_timeout` (start not done in time) or
   *   `broker_unavailable` when `required` is set
   */
  async runtime(signal?: AbortSignal): Promise<MsalRuntime | undefined> {
    if (signal?.aborted) throw abortedError("The broker call", signal);
    if (!this.#start) {
      const { retainMsalRuntime } = await import("../../ffi/msalruntime/locate.ts");
      if (!this.#start) {
        const start = retainMsalRuntime(this.#settings.libraryPath);
        this.#start = start;
        start.then((rt) => (this.#settled = { rt }), (error) => (this.#settled = { error }));
      }
    }
    // A start that timed out once is not waited for again: later calls use it once it is done.
    if (!this.#settled && !this.#timedOut) await this.#wait(this.#start, signal);
    const settled = this.#settled;
    if (!settled) {
      return this.#unusable(
        new BrokerError(
          "broker_timeout",
          `MSALRuntime did not start within ${this.#settings.startupTimeoutMs} ms: the broker `
            + "(microsoft-identity-broker) or the session bus is not answering. Check it with "
            + "systemctl --user status microsoft-identity-broker, or raise broker.startupTimeoutMs.",
          { operation: "MSALRUNTIME_Startup" },
        ),
      );
    }
    if ("error" in settled) {
      const err = settled.error;
      const why = err instanceof Error ? err.message : String(err);
      return this.#unusable(
        new BrokerError("broker_unavailable", `The broker library cannot start: ${why}`, {
          cause: err,
        }),
      );
    }
    const rt = settled.rt;
    if (!rt.brokerAvailable) {
      return this.#unusable(
        new BrokerError(
          "broker_unavailable",
          `The authentication broker is not running (${
            rt.startupError?.context || "no broker on the session bus"
          }). Install and start Microsoft Single Sign-on for Linux (the intune-portal or `
            + "microsoft-identity-broker package), or sign in without the broker.",
          { broker: rt.startupError, operation: "MSALRUNTIME_Startup" },
        ),
      );
    }
    this.#ready ??= this.#setup(rt);
    await this.#ready;
    return rt;
  }

  /** Gives the share back (the last application to close shuts MSALRuntime down). */
  async close(): Promise<void> {
    const start = this.#start;
    if (!start) return;
    this.#start = undefined;
    this.#settled = undefined;
    this.#timedOut = false;
    this.#ready = undefined;
    const { releaseMsalRuntime } = await import("../../ffi/msalruntime/locate.ts");
    await releaseMsalRuntime();
  }

  async #wait(start: Promise<MsalRuntime>, signal?: AbortSignal): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        start.then(() => {}, () => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.#timedOut = true;
            resolve();
          }, this.#settings.startupTimeoutMs);
        }),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(abortedError("The broker call", signal));
          signal?.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** The broker cannot be used: a typed error when required, else one warning per process. */
  #unusable(err: BrokerError): undefined {
    if (this.#settings.required) {
      throw new BrokerError(
        err.code,
        `The broker is required (broker.required) but cannot be used. ${err.message}`,
        { cause: err.cause ?? err, broker: err.broker, operation: err.operation },
      );
    }
    if (!warned) {
      warned = true;
      const message = `${err.message} Signing in without the broker: under Conditional Access `
        + "that requires a managed device, sign-in may then fail. Set broker.required to make "
        + "this an error.";
      // A logger the app set receives it; else the console does: never a silent downgrade.
      if (this.#logger.enabled("error")) this.#logger.log("warning", message);
      else console.warn(`entra-auth: ${message}`);
    } else {
      this.#logger.log("verbose", `Broker not used: ${err.message}`);
    }
    return undefined;
  }
}

/**
 * `promise`, or `aborted` as soon as `signal` aborts (the promise goes on).
 *
 * @example
 * ```ts ignore
 * const value = await abortable(sharedLookup, request.signal);
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError("The broker call", signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError("The broker call", signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
