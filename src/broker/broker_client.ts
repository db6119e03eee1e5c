/**
 * Token acquisition through the OS broker (MSALRuntime). The only file in `src/` that talks to
 * the binding; it turns broker results into the same {@link AuthenticationResult} the other
 * flows produce, and broker failures into typed errors. The broker keeps its own token cache:
 * nothing is cached here.
 *
 * @module
 */

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
import { type AccountInfo, type AuthenticationResult, decodeJwtClaims } from "../result.ts";

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
  #runtime?: Promise<MsalRuntime>;
  /** Account handles by the broker's account id, reused across calls; released by close(). */
  readonly #accounts = new Map<string, Promise<RuntimeAccount | undefined>>();

  constructor(settings: BrokerSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /**
   * Starts MSALRuntime (once). Resolves to `undefined` when the broker cannot be used (library
   * missing, or no broker on the bus), after logging a warning that says why.
   */
  async available(): Promise<MsalRuntime | undefined> {
    if (wamAbsent) return undefined;
    // Loaded on first use: an app that never reaches the broker never loads the binding.
    this.#runtime ??= import("../../ffi/msalruntime/locate.ts").then(({ startMsalRuntime }) =>
      startMsalRuntime(this.#settings.libraryPath)
    ).then(async (rt) => {
      // The PII switch is process-wide in MSALRuntime: an app that turned it on enables it for
      // all; an app that did not is then given no broker log lines rather than personal data.
      if (this.#logger.piiEnabled) await rt.setPiiEnabled(true);
      if (this.#logger.brokerLogs) {
        await rt.addLogSink((level, message) => {
          if (this.#logger.piiEnabled || !rt.piiEnabled) this.#logger.runtime(level, message);
        });
      }
      return rt;
    });
    try {
      const rt = await this.#runtime;
      if (!rt.brokerAvailable) {
        this.#logger.log(
          "warning",
          `The authentication broker is not running (${rt.startupError?.context ?? "no broker"}); `
            + "signing in without it.",
        );
        return undefined;
      }
      return rt;
    } catch (err) {
      this.#runtime = undefined;
      this.#logger.log("warning", `The broker library cannot start: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** The runtime, which must be available. */
  async #rt(): Promise<MsalRuntime> {
    const rt = await this.available();
    if (!rt) {
      throw new BrokerError("broker_unavailable", "The authentication broker is not available.");
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
      claims: request.claims,
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
    const rt = await this.#rt();
    const params = this.#params(request);
    const silentOptions = this.#options(request, this.#settings.silentTimeoutMs);
    if (
      (request.prompt === undefined || request.prompt === "none") && !account && !request.loginHint
    ) {
      try {
        const r = await this.#guard(rt.signInSilently(params, silentOptions));
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
      r = await this.#guard(rt.acquireTokenInteractively(window, params, native, options));
    } else if (request.loginHint && request.prompt === undefined) {
      // SignInAsync: that user silently if the broker has them, else the broker's UI.
      r = await this.#guard(rt.signIn(window, params, request.loginHint, options));
    } else {
      r = await this.#guard(
        rt.signInInteractively(window, params, request.loginHint ?? "", options),
      );
    }
    return this.#result(r, request.correlationId);
  }

  /** Silent acquisition for an account the broker knows. */
  async acquireTokenSilent(
    request: BrokerRequest,
    account: AccountInfo,
  ): Promise<AuthenticationResult> {
    const rt = await this.#rt();
    const native = await this.#nativeAccount(rt, account, request);
    const r = await this.#guard(
      rt.acquireTokenSilently(
        this.#params(request),
        native,
        this.#options(request, this.#settings.silentTimeoutMs),
      ),
    );
    return this.#result(r, request.correlationId, native);
  }

  /** The accounts the broker has for this app. */
  async getAccounts(correlationId: string): Promise<AccountInfo[]> {
    const rt = await this.#rt();
    const accounts = await this.#guard(
      rt.discoverAccounts(this.#settings.clientId, {
        correlationId,
        timeoutMs: this.#settings.silentTimeoutMs,
      }),
    );
    const infos = accounts.map((a) => toAccountInfo(a));
    for (const a of accounts) this.#keep(a);
    return infos;
  }

  /** Signs the account out of this app in the broker. */
  async removeAccount(account: AccountInfo, correlationId: string): Promise<void> {
    const rt = await this.#rt();
    const native = await this.#nativeAccount(rt, account, { correlationId, scopes: [] });
    try {
      await this.#guard(
        rt.signOutSilently(this.#settings.clientId, native, {
          correlationId,
          timeoutMs: this.#settings.silentTimeoutMs,
        }),
      );
    } finally {
      this.#forget(native.data.accountId);
    }
  }

  /** Releases the account handles it holds, then shuts MSALRuntime down when no call is outstanding. */
  async close(): Promise<void> {
    const rt = await this.#runtime?.catch(() => undefined);
    for (const id of [...this.#accounts.keys()]) this.#forget(id);
    await rt?.shutdown();
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
        pending = this.#guard(
          rt.readAccountById(id, this.#options(request, this.#settings.silentTimeoutMs)),
        );
        this.#accounts.set(id, pending);
        pending.then((a) => a ?? this.#accounts.delete(id), () => this.#accounts.delete(id));
      }
      native = await pending;
    }
    if (!native) {
      throw new InteractionRequiredError(
        "The broker does not know this account (signed out, or not from the broker): sign in interactively.",
      );
    }
    return native;
  }

  /** Turns a native timeout into a broker timeout. */
  async #guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      if (err instanceof BrokerError && isClassNotRegistered(err)) {
        // MSALRuntime starts on any Windows, but WAM may be absent or refuse (Windows Server
        // without it, Wine): REGDB_E_CLASSNOTREG. From now on the app signs in without it.
        wamAbsent = true;
        this.#logger.log(
          "warning",
          "The Windows authentication broker (WAM) is not available on this machine "
            + "(REGDB_E_CLASSNOTREG); signing in without it.",
        );
        throw new BrokerError(
          "broker_unavailable",
          "The Windows authentication broker (WAM) is not available on this machine.",
          { cause: err, operation: err.operation },
        );
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
    };
  }
}

function parseClaims(json: string, raw: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json);
    if (value && typeof value === "object") return value;
  } catch {
    // fall back to the raw token
  }
  return decodeJwtClaims(raw);
}

function toAccountInfo(a: RuntimeAccount, claims?: Record<string, unknown>): AccountInfo {
  const d = a.data;
  return {
    homeAccountId: d.homeAccountId,
    environment: d.environment,
    tenantId: d.realm,
    username: d.username,
    localAccountId: d.localAccountId,
    name: d.name || undefined,
    nativeAccountId: d.accountId,
    idTokenClaims: claims,
  };
}

function accountFromClaims(claims: Record<string, unknown>): AccountInfo {
  const s = (k: string) => (typeof claims[k] === "string" ? (claims[k] as string) : "");
  return {
    homeAccountId: `${s("oid")}.${s("tid")}`,
    environment: "",
    tenantId: s("tid"),
    username: s("preferred_username"),
    localAccountId: s("oid"),
    name: s("name") || undefined,
    idTokenClaims: claims,
  };
}

/**
 * Set when a call showed that this Windows machine has no WAM: a property of the machine, so
 * every app in the process signs in without the broker from then on.
 */
let wamAbsent = false;

/** Windows' REGDB_E_CLASSNOTREG (0x80040154): WAM's COM class is not registered. */
const REGDB_E_CLASSNOTREG = 0x80040154;

function isClassNotRegistered(err: BrokerError): boolean {
  return err.errorCode !== undefined && err.errorCode >>> 0 === REGDB_E_CLASSNOTREG;
}
