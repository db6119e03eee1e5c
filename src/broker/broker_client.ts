/**
 * Token acquisition through the OS broker (MSALRuntime). The only file in `src/` that talks to
 * the binding; it turns broker results into the same {@link AuthenticationResult} the other
 * flows produce, and broker failures into typed errors. The broker keeps its own token cache:
 * nothing is cached here.
 *
 * @module
 */

import { platform } from "node:os";
import type {
  MsalRuntime,
  RuntimeAccount,
  RuntimeAuthParameters,
  RuntimeAuthResult,
} from "../../ffi/msalruntime/binding.ts";
import {
  BrokerError,
  EntraAuthError,
  InteractionRequiredError,
  NativeTimeoutError,
} from "../errors.ts";
import type { Logger } from "../logger.ts";
import { abortedError } from "../network/abort.ts";
import { mergeClaims } from "../network/scopes.ts";
import type { AccountInfo, AuthenticationResult } from "../result.ts";
import { accountFromClaims, parseClaims, toAccountInfo } from "./broker_accounts.ts";
import { abortable, BrokerStartup } from "./broker_startup.ts";
import { SignedOutAccounts } from "./signed_out.ts";

/**
 * An abandoned broker call still unanswered this long (ms) after it was issued stalls the
 * calls behind it: they fail at once instead of waiting out their own time limits.
 */
const STALL_MS = 2_000;

/** A marker for "the app has no window" (console apps), as MSAL Python's `CONSOLE_WINDOW_HANDLE`. */
export const CONSOLE_WINDOW_HANDLE: unique symbol = Symbol.for("entra-auth.console-window");

/** A parent window: a native handle (HWND, NSWindow*, X11 window id) or the console marker. */
export type WindowHandle = bigint | number | typeof CONSOLE_WINDOW_HANDLE;

/** Settings of the broker path. */
export interface BrokerSettings {
  clientId: string;
  authority: string;
  redirectUri: string;
  /** An explicit path to the MSALRuntime library. */
  libraryPath?: string;
  /** Time limit of silent broker calls, ms. */
  silentTimeoutMs: number;
  /** Time limit of interactive broker calls, ms. */
  interactiveTimeoutMs: number;
  /** How long the first call waits for MSALRuntime to start, ms. */
  startupTimeoutMs: number;
  /** Throw a typed error instead of falling back when the broker cannot be used. */
  required: boolean;
  /** Client capabilities (`CP1`…), sent in the claims as `xms_cc`, as on the network path. */
  clientCapabilities?: readonly string[];
}

/** What one brokered request asks for. */
export interface BrokerRequest {
  scopes: readonly string[];
  correlationId: string;
  claims?: string;
  loginHint?: string;
  domainHint?: string;
  prompt?: string;
  extraQueryParameters?: Readonly<Record<string, string>>;
  pop?: { method: string; host: string; path?: string; nonce?: string; };
  accessTokenToRenew?: string;
  signal?: AbortSignal;
}

/** The broker client of one application (internal). */
export class BrokerClient {
  readonly #settings: BrokerSettings;
  readonly #logger: Logger;
  readonly #startup: BrokerStartup;
  readonly #signedOut: SignedOutAccounts;
  /** Account handles by the broker's account id, reused across calls; released by close(). */
  readonly #accounts = new Map<string, Promise<RuntimeAccount | undefined>>();

  constructor(settings: BrokerSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#signedOut = new SignedOutAccounts(settings.clientId);
    this.#startup = new BrokerStartup(settings, logger, async (rt) => {
      // The PII switch is process-wide in MSALRuntime: an app that turned it on enables it for
      // all; an app that did not is then given no broker log lines rather than personal data.
      if (this.#logger.piiEnabled) await rt.setPiiEnabled(true);
      if (this.#logger.brokerLogs) {
        await rt.addLogSink((level, message) => {
          if (this.#logger.piiEnabled || !rt.piiEnabled) this.#logger.runtime(level, message);
        });
      }
    });
  }

  /**
   * Starts MSALRuntime (once per process, shared), waiting at most `startupTimeoutMs`.
   * Resolves to `undefined` when the broker cannot be used (library missing, no broker on the
   * bus, start not done in time), after one warning per process that says why.
   *
   * @param signal abandons the wait
   * @throws EntraAuthError `aborted`; BrokerError when the broker is required but unusable
   */
  available(signal?: AbortSignal): Promise<MsalRuntime | undefined> {
    if (wamAbsent) {
      // Known since an earlier call: the same answer as then, a warning was logged already.
      return this.#settings.required
        ? Promise.reject(
          new BrokerError(
            "broker_unavailable",
            "The Windows authentication broker (WAM) is not available on this machine "
              + "(broker.required is set, so there is no sign-in without it).",
          ),
        )
        : Promise.resolve(undefined);
    }
    return this.#startup.runtime(signal);
  }

  /** Whether the app requires the broker (`broker.required`): no fallback then. */
  get required(): boolean {
    return this.#settings.required;
  }

  /**
   * The runtime, which must be available and not stuck behind an earlier call the broker
   * never answered.
   */
  async #rt(signal?: AbortSignal): Promise<MsalRuntime> {
    const rt = await this.available(signal);
    if (!rt) {
      throw new BrokerError("broker_unavailable", "The authentication broker is not available.");
    }
    const stalled = platform() === "linux" ? rt.stalledBy() : undefined;
    const age = stalled ? Date.now() - stalled.issuedAt : 0;
    if (stalled && age >= STALL_MS) {
      // MSALRuntime sends its D-Bus calls one after another: this one would only wait behind
      // the unanswered one (for minutes) and then time out too.
      throw new BrokerError(
        "broker_timeout",
        `The authentication broker has not answered an earlier call (${stalled.operation}, `
          + `${Math.round(age / 1000)} s ago), and MSALRuntime sends calls one at a time, so this `
          + "call would wait behind it. Finish or close the broker's window if one is open; "
          + "otherwise restart the broker (systemctl --user restart microsoft-identity-broker) "
          + "or retry later.",
        { operation: stalled.operation },
      );
    }
    return rt;
  }

  #params(request: BrokerRequest): RuntimeAuthParameters {
    // MSALRuntime refuses the OAuth parameters it sets itself ("Disallowed additional query
    // parameter": prompt, domain_hint, …): prompt decides the route (default account or the
    // broker's UI) instead, and the broker chooses the home realm itself.
    if (request.domainHint) {
      this.#logger.log(
        "info",
        "domainHint is not passed to the broker (it picks the realm itself).",
      );
    }
    const additional: Record<string, string> = { ...request.extraQueryParameters };
    return {
      clientId: this.#settings.clientId,
      authority: this.#settings.authority,
      scopes: request.scopes,
      redirectUri: this.#settings.redirectUri,
      claims: mergeClaims(request.claims, this.#settings.clientCapabilities),
      accessTokenToRenew: request.accessTokenToRenew,
      pop: request.pop,
      additionalParameters: additional,
    };
  }

  async #window(handle: WindowHandle): Promise<bigint> {
    if (handle !== CONSOLE_WINDOW_HANDLE) {
      const value = BigInt(handle);
      if (value === 0n) {
        throw new EntraAuthError("invalid_argument", "parentWindowHandle must not be 0");
      }
      return value;
    }
    const { consoleWindowHandle } = await import("../../ffi/msalruntime/window.ts");
    const console = await consoleWindowHandle();
    if (console === undefined) {
      throw new BrokerError(
        "no_window",
        "Interactive sign-in through the broker needs a display for its window, and there is "
          + "none (DISPLAY is unset or unreachable: an SSH session or a headless machine). Run "
          + "the app in a desktop session, forward X11 (ssh -X), or pass the app's own window "
          + "handle as parentWindowHandle.",
      );
    }
    return console;
  }

  /** Interactive sign-in: the default OS account first when `prompt` allows, then the broker UI. */
  async acquireTokenInteractive(
    request: BrokerRequest,
    parentWindowHandle: WindowHandle,
    account?: AccountInfo,
  ): Promise<AuthenticationResult> {
    const rt = await this.#rt(request.signal);
    const params = this.#params(request);
    const silentOptions = this.#options(request, this.#settings.silentTimeoutMs);
    if (
      (request.prompt === undefined || request.prompt === "none") && !account && !request.loginHint
    ) {
      try {
        const r = await this.#guard(rt.signInSilently(params, silentOptions), request.signal);
        this.#logger.log("info", "Signed in silently with the default OS account.");
        return this.#result(r, request.correlationId);
      } catch (err) {
        if (!(err instanceof InteractionRequiredError) || request.prompt === "none") throw err;
        this.#logger.log("info", "The default OS account needs interaction; showing the broker.");
      }
    }
    if (request.prompt === "none") {
      throw new InteractionRequiredError("prompt is none and the broker needs interaction.");
    }
    const window = await this.#window(parentWindowHandle);
    const options = this.#options(request, this.#settings.interactiveTimeoutMs);
    const native = account ? await this.#nativeAccount(rt, account, request) : undefined;
    let r;
    if (native) {
      r = await this.#guard(
        rt.acquireTokenInteractively(window, params, native, options),
        request.signal,
      );
    } else if (request.loginHint && request.prompt === undefined) {
      // SignInAsync: that user silently if the broker has them, else the broker's UI.
      r = await this.#guard(rt.signIn(window, params, request.loginHint, options), request.signal);
    } else {
      r = await this.#guard(
        rt.signInInteractively(window, params, request.loginHint ?? "", options),
        request.signal,
      );
    }
    return this.#result(r, request.correlationId);
  }

  /** Silent acquisition for an account the broker knows. */
  async acquireTokenSilent(
    request: BrokerRequest,
    account: AccountInfo,
  ): Promise<AuthenticationResult> {
    const rt = await this.#rt(request.signal);
    if (this.#signedOut.has(account.homeAccountId)) {
      throw new InteractionRequiredError(
        "This account was signed out of the app (removeAccount): sign in interactively.",
      );
    }
    const native = await this.#nativeAccount(rt, account, request);
    const r = await this.#guard(
      rt.acquireTokenSilently(
        this.#params(request),
        native,
        this.#options(request, this.#settings.silentTimeoutMs),
      ),
      request.signal,
    );
    return this.#result(r, request.correlationId, native);
  }

  /** The accounts the broker has for this app, without those signed out of it. */
  async getAccounts(correlationId: string, signal?: AbortSignal): Promise<AccountInfo[]> {
    const rt = await this.#rt(signal);
    const accounts = await this.#guard(
      rt.discoverAccounts(this.#settings.clientId, {
        correlationId,
        timeoutMs: this.#settings.silentTimeoutMs,
        signal,
      }),
      signal,
    );
    const infos: AccountInfo[] = [];
    for (const a of accounts) {
      if (this.#signedOut.has(a.data.homeAccountId)) {
        a.close();
        continue;
      }
      infos.push(toAccountInfo(a));
      this.#keep(a);
    }
    return infos;
  }

  /**
   * Signs the account out of this app in the broker; `getAccounts` no longer lists it until it
   * signs in again. An account the broker does not know is only forgotten.
   */
  async removeAccount(
    account: AccountInfo,
    correlationId: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const rt = await this.#rt(signal);
    let native: RuntimeAccount;
    try {
      native = await this.#nativeAccount(rt, account, { correlationId, scopes: [], signal });
    } catch (err) {
      if (!(err instanceof InteractionRequiredError)) throw err;
      this.#signedOut.add(account.homeAccountId);
      return; // the broker does not know it: nothing to sign out (as MSAL)
    }
    try {
      await this.#guard(
        rt.signOutSilently(this.#settings.clientId, native, {
          correlationId,
          timeoutMs: this.#settings.silentTimeoutMs,
          signal,
        }),
        signal,
      );
      this.#signedOut.add(account.homeAccountId);
      this.#signedOut.add(native.data.homeAccountId);
    } catch (err) {
      // Already signed out, or unknown to the broker (16): the account is gone all the same.
      const gone = err instanceof InteractionRequiredError
        || (err instanceof EntraAuthError && err.broker?.status === 16);
      if (!gone) throw err;
      this.#signedOut.add(account.homeAccountId);
    } finally {
      this.#forget(native.data.accountId);
    }
  }

  /**
   * Releases the account handles it holds, then gives back its share of MSALRuntime (the last
   * application to close shuts it down, when no call is outstanding).
   */
  async close(): Promise<void> {
    for (const id of [...this.#accounts.keys()]) this.#forget(id);
    await this.#startup.close();
  }

  /**
   * Keeps an account handle for later calls (reading it again costs a broker round trip), or
   * releases it when one for the same account is already kept.
   */
  #keep(account: RuntimeAccount): void {
    const id = account.data.accountId;
    if (!id || this.#accounts.has(id)) account.close();
    else this.#accounts.set(id, Promise.resolve(account));
  }

  #forget(accountId: string): void {
    const kept = this.#accounts.get(accountId);
    this.#accounts.delete(accountId);
    void kept?.then((a) => a?.close()).catch(() => {});
  }

  #options(request: BrokerRequest, timeoutMs: number) {
    return { correlationId: request.correlationId, timeoutMs, signal: request.signal };
  }

  /** The broker's handle for an account: the one kept, else read by id (once, shared). */
  async #nativeAccount(
    rt: MsalRuntime,
    account: AccountInfo,
    request: BrokerRequest,
  ): Promise<RuntimeAccount> {
    const id = account.nativeAccountId;
    let native: RuntimeAccount | undefined;
    if (id) {
      let pending = this.#accounts.get(id);
      if (!pending) {
        // Shared by concurrent calls: bounded by the time limit, not by one caller's signal.
        const options = { ...this.#options(request, this.#settings.silentTimeoutMs) };
        delete options.signal;
        pending = this.#guard(rt.readAccountById(id, options), undefined);
        this.#accounts.set(id, pending);
        pending.then((a) => a ?? this.#accounts.delete(id), () => this.#accounts.delete(id));
      }
      native = await abortable(pending, request.signal);
    }
    if (!native) {
      throw new InteractionRequiredError(
        "The broker does not know this account (signed out, or not from the broker): sign in interactively.",
      );
    }
    return native;
  }

  /** Turns a native timeout into a broker timeout, and an abort into `aborted`. */
  async #guard<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await call;
    } catch (err) {
      const absent = err instanceof EntraAuthError ? await wamAbsence(err) : undefined;
      if (err instanceof EntraAuthError && absent) {
        // MSALRuntime starts on any Windows, but WAM may be absent or refuse (Windows Server
        // without it, Wine). From now on the app signs in without it.
        wamAbsent = true;
        this.#logger.log(
          "warning",
          `The Windows authentication broker (WAM) is not available on this machine (${absent}); `
            + "signing in without it.",
        );
        throw new BrokerError(
          "broker_unavailable",
          "The Windows authentication broker (WAM) is not available on this machine.",
          { cause: err, operation: err.operation },
        );
      }
      if (signal?.aborted && !(err instanceof EntraAuthError && err.code === "aborted")) {
        throw abortedError("The broker call", signal);
      }
      if (err instanceof NativeTimeoutError) {
        throw new BrokerError(
          "broker_timeout",
          `The authentication broker did not answer within ${err.timeoutMs} ms (${err.operation}). `
            + "Check that microsoft-identity-broker is running (systemctl --user status "
            + "microsoft-identity-broker), or raise the broker timeout.",
          { cause: err, operation: err.operation },
        );
      }
      throw err;
    }
  }

  #result(
    r: RuntimeAuthResult,
    correlationId: string,
    known?: RuntimeAccount,
  ): AuthenticationResult {
    const claims = parseClaims(r.idTokenClaims, r.rawIdToken);
    const from = r.account ?? known;
    const account = from ? toAccountInfo(from, claims) : accountFromClaims(claims);
    if (r.account) this.#keep(r.account);
    this.#signedOut.delete(account.homeAccountId); // signed in again
    const isPop = r.isPop;
    return {
      accessToken: r.accessToken,
      tokenType: isPop ? "pop" : "Bearer",
      authorizationHeader: isPop && r.authorizationHeader
        ? r.authorizationHeader
        : `Bearer ${r.accessToken}`,
      expiresOn: new Date(r.expiresOn * 1000),
      scopes: r.grantedScopes.split(" ").filter(Boolean),
      idToken: r.rawIdToken,
      idTokenClaims: claims,
      account,
      tenantId: account.tenantId,
      fromBroker: true,
      correlationId,
      fromCache: false,
      authority: this.#settings.authority,
    };
  }
}

/**
 * Set when a call showed that this Windows machine has no WAM: a property of the machine, so
 * every app in the process signs in without the broker from then on.
 */
let wamAbsent = false;

/**
 * Forgets that WAM was found absent, so the next broker call finds out again (tests: each case
 * starts from a process that has not tried WAM yet).
 *
 * @example
 * ```ts ignore
 * forgetWamAbsence();
 * ```
 */
export function forgetWamAbsence(): void {
  wamAbsent = false;
}

/** Windows' REGDB_E_CLASSNOTREG (0x80040154): WAM's COM class is not registered. */
const REGDB_E_CLASSNOTREG = 0x80040154;

/**
 * Why a broker failure means this Windows machine has no WAM, or `undefined` when it does not.
 * MSALRuntime reports REGDB_E_CLASSNOTREG when WAM's class is missing; an interactive call can
 * fail before it gets there (under Wine: "Caught exception", status 0, no error code), so any
 * other failure the broker reports on Windows is checked against WAM's class registration
 * (once per process; a registered WAM is never second-guessed).
 */
async function wamAbsence(err: EntraAuthError): Promise<string | undefined> {
  // Whatever family the status gave it: the broker's report carries the HRESULT.
  const code = err.broker?.errorCode;
  if (code !== undefined && code >>> 0 === REGDB_E_CLASSNOTREG) return "REGDB_E_CLASSNOTREG";
  if (err.broker === undefined || platform() !== "win32") return undefined;
  const { wamRegistered } = await import("../../ffi/msalruntime/wam.ts");
  return await wamRegistered() === false ? "its class is not registered" : undefined;
}
