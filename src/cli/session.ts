/**
 * How the command line gets a token, shared by `login`, `token`, `kube` and `git`:
 *
 * 1. From the persistent cache, with no lock, no broker and no network module loaded (the
 *    fast path that kubectl and git hit on every call).
 * 2. Otherwise under a sign-in lock next to the cache, so that many processes started at once
 *    (a shell loop, k9s) lead to one sign-in: look in the cache again, then the broker
 *    silently, then (only when allowed) interactively: the broker, else the browser, else a
 *    device code.
 *
 * Tokens the broker issues are kept in the same cache (without a refresh token: the broker
 * keeps that), as MSAL Python does, so the next call is served from the cache.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CONSOLE_WINDOW_HANDLE } from "../broker/broker_client.ts";
import { withCache } from "../cache/plugin.ts";
import { EntraAuthError, InteractionRequiredError } from "../errors.ts";
import { defaultCachePath } from "../persistence/location.ts";
import { createPersistentCache, type PersistentCache } from "../persistence/persistent_cache.ts";
import { PublicClientApplication } from "../public_client_application.ts";
import type { AccountInfo, AuthenticationResult } from "../result.ts";
import type { TokenResponse } from "../token_response.ts";
import { type CliSettings, resolveSettings, type SettingFlags } from "./config.ts";
import { detectEnvironment } from "./environment.ts";
import { CliError, EXIT } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";
import { cliLogger } from "./logging.ts";
import { pickAccount } from "./pick_account.ts";

export { pickAccount } from "./pick_account.ts";

/** What a command asks a token for. */
export interface TokenQuery {
  scopes: string[];
  /** A username or home account id to use, when several are signed in. */
  account?: string;
  /** Whether the user may be asked to sign in. */
  interactive: boolean;
  /** Use the device code instead of a browser. */
  deviceCode?: boolean;
  /** Skip the cache (a new token). */
  forceRefresh?: boolean;
  /** Let the user choose the account in the broker's window (`login`). */
  chooseAccount?: boolean;
  /** Ask the broker only; no browser or device code (kubelogin's `--login broker`). */
  brokerOnly?: boolean;
  signal: AbortSignal;
}

/** One command line run's application, cache and broker. */
export class CliSession {
  readonly settings: CliSettings;
  readonly #io: CliIo;
  readonly #plugin?: PersistentCache;
  readonly #app: PublicClientApplication;
  #brokerReady?: Promise<boolean>;

  /**
   * @param settings the resolved settings
   * @param io the streams
   * @param verbose also print informational messages
   */
  constructor(settings: CliSettings, io: CliIo, verbose = false) {
    this.settings = settings;
    this.#io = io;
    // ENTRA_AUTH_LOG=broker also forwards MSALRuntime's own lines (to stderr, never stdout).
    const logger = cliLogger(io.env, verbose, io.err);
    if (settings.cache !== "none") {
      this.#plugin = createPersistentCache({
        encryption: settings.cache,
        path: settings.cachePath,
        logger,
      });
    }
    const broker = settings.broker !== "off";
    this.#app = new PublicClientApplication({
      clientId: settings.clientId,
      authority: settings.authority,
      enableBrokerOnLinux: broker,
      enableBrokerOnMac: broker,
      enableBrokerOnWindows: broker,
      // --broker on: the library's own typed error, naming what to install, instead of a
      // silent sign-in without the broker.
      broker: { interactiveTimeoutMs: settings.timeoutMs, required: settings.broker === "on" },
      knownAuthorityHosts: settings.knownAuthorityHosts,
      validateAuthority: settings.validateAuthority,
      cache: this.#plugin ? { cachePlugin: this.#plugin } : undefined,
      logger,
    });
  }

  /** The accounts in the cache (no broker, no network). */
  cachedAccounts(): Promise<AccountInfo[]> {
    return withCache(
      this.#app.getTokenCache(),
      this.#plugin,
      (cache) => cache.getAccounts({ clientId: this.settings.clientId }),
    );
  }

  /** Every account: the broker's and the cache's. */
  async accounts(): Promise<AccountInfo[]> {
    if (await this.#brokerInUse()) return this.#app.getAccounts();
    return this.cachedAccounts();
  }

  /** Signs accounts out: the broker's and the cache's entries. */
  async logout(accounts: AccountInfo[]): Promise<void> {
    for (const account of accounts) await this.#app.removeAccount(account);
  }

  /**
   * A token: from the cache, else silently, else (when allowed) by signing in.
   *
   * @param query what to get and how
   * @returns the token
   */
  async token(query: TokenQuery): Promise<AuthenticationResult> {
    if (!query.forceRefresh) {
      const cached = await this.#fromCache(query);
      if (cached) return cached;
    }
    return this.#underSignInLock(query.signal, async () => {
      if (!query.forceRefresh) {
        // Another process may have signed in while this one waited.
        const cached = await this.#fromCache(query);
        if (cached) return cached;
      }
      const silent = await this.#silent(query);
      if (silent) return silent;
      if (!query.interactive) {
        throw new CliError(
          EXIT.interactionRequired,
          "sign-in required and prompting is not allowed here: run `entra-auth login` "
            + `(with the same --client-id${this.settings.profile ? " and --profile" : ""}) first`,
        );
      }
      return this.#interactive(query);
    });
  }

  /**
   * Signs in (even when a token is cached), for `login`.
   *
   * @param query what to get and how
   * @returns the result
   */
  login(query: TokenQuery): Promise<AuthenticationResult> {
    return this.#underSignInLock(query.signal, () => this.#interactive(query));
  }

  /** Releases the broker. */
  async close(): Promise<void> {
    await this.#app.close();
  }

  /** Whether the broker will serve this run (loads it: only on the slow path). */
  #brokerInUse(): Promise<boolean> {
    this.#brokerReady ??= (async () => {
      if (this.settings.broker === "off") return false;
      await this.#io.protectStdout();
      const inUse = await this.#app.isPopSupported();
      if (!inUse && this.settings.broker === "on") {
        // A required broker that cannot be used: getAccounts() throws the reason and the fix.
        await this.#app.getAccounts();
        throw new CliError(
          EXIT.brokerUnavailable,
          "--broker on, but the authentication broker cannot be used here: run `entra-auth doctor` "
            + "to see why, or pass --broker auto to sign in without it",
        );
      }
      return inUse;
    })();
    return this.#brokerReady;
  }

  async #fromCache(query: TokenQuery): Promise<AuthenticationResult | undefined> {
    const account = pickAccount(await this.cachedAccounts(), query.account);
    if (!account) return undefined;
    try {
      // Without nativeAccountId the application serves it from its cache, loading neither the
      // broker nor (while the token is valid) the network flows.
      return await this.#app.acquireTokenSilent({
        scopes: query.scopes,
        account: { ...account, nativeAccountId: undefined },
        signal: query.signal,
      });
    } catch (err) {
      if (err instanceof InteractionRequiredError) return undefined;
      throw err;
    }
  }

  async #silent(query: TokenQuery): Promise<AuthenticationResult | undefined> {
    if (!(await this.#brokerInUse())) {
      if (!query.forceRefresh) return undefined;
      const account = pickAccount(await this.cachedAccounts(), query.account);
      if (!account) return undefined;
      try {
        return await this.#app.acquireTokenSilent({
          scopes: query.scopes,
          account,
          forceRefresh: true,
          signal: query.signal,
        });
      } catch (err) {
        if (err instanceof InteractionRequiredError) return undefined;
        throw err;
      }
    }
    const accounts = (await this.#app.getAccounts()).filter((a) => a.nativeAccountId);
    const account = pickAccount(accounts, query.account);
    try {
      const result = account
        ? await this.#app.acquireTokenSilent({
          scopes: query.scopes,
          account,
          forceRefresh: query.forceRefresh,
          signal: query.signal,
        })
        // No account yet: the OS's default account, silently (prompt none never shows UI).
        : await this.#app.acquireTokenInteractive({
          scopes: query.scopes,
          prompt: "none",
          signal: query.signal,
        });
      await this.#remember(result, query.scopes);
      return result;
    } catch (err) {
      if (err instanceof InteractionRequiredError) return undefined;
      throw err;
    }
  }

  async #interactive(query: TokenQuery): Promise<AuthenticationResult> {
    // A sign-in whose tokens cannot be kept is lost: check the keyring before asking the user.
    await this.#plugin?.checkKeyring();
    const env = detectEnvironment(this.#io.env);
    if (!query.deviceCode && (await this.#brokerInUse())) {
      try {
        const result = await this.#app.acquireTokenInteractive({
          scopes: query.scopes,
          loginHint: query.account?.includes("@") ? query.account : undefined,
          // `login` with no account chooses one in the broker's window (as az login does);
          // otherwise the OS's default account is tried silently first.
          prompt: query.chooseAccount && !query.account ? "select_account" : undefined,
          parentWindowHandle: CONSOLE_WINDOW_HANDLE,
          signal: query.signal,
        });
        await this.#remember(result, query.scopes);
        return result;
      } catch (err) {
        if (!(err instanceof EntraAuthError && err.code === "no_window") || query.brokerOnly) {
          throw err;
        }
        this.#io.err(
          "entra-auth: the broker needs a display for its window and there is none; signing in "
            + "with a device code instead (Conditional Access may require a broker token)\n",
        );
      }
    } else if (query.brokerOnly) {
      throw new CliError(
        EXIT.brokerUnavailable,
        "--login broker: the broker is not in use (--broker off?)",
      );
    }
    if (!query.deviceCode && env.canOpenBrowser) {
      try {
        this.#io.err("entra-auth: opening the browser to sign in…\n");
        return await this.#app.acquireTokenInteractive({
          scopes: query.scopes,
          loginHint: query.account?.includes("@") ? query.account : undefined,
          timeoutMs: this.settings.timeoutMs,
          signal: query.signal,
        });
      } catch (err) {
        if (!(err instanceof EntraAuthError && err.code === "no_browser")) throw err;
        this.#io.err("entra-auth: no browser could be opened; using a device code instead\n");
      }
    } else if (!query.deviceCode && env.reason) {
      this.#io.err(`entra-auth: ${env.reason}: signing in with a device code\n`);
    }
    return this.#app.acquireTokenByDeviceCode({
      scopes: query.scopes,
      signal: query.signal,
      deviceCodeCallback: (info) => this.#io.err(`${info.message}\n`),
    });
  }

  /** Keeps a broker-issued bearer token in the cache, without a refresh token. */
  async #remember(result: AuthenticationResult, scopes: readonly string[]): Promise<void> {
    if (!this.#plugin || !result.fromBroker || result.tokenType !== "Bearer" || !result.idToken) {
      return;
    }
    const [uid, utid] = result.account.homeAccountId.split(".");
    if (!uid || !utid) return;
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.floor(result.expiresOn.getTime() / 1000) - now;
    if (!(expiresIn > 0)) return;
    const response: TokenResponse = {
      token_type: "Bearer",
      scope: result.scopes.join(" "),
      expires_in: expiresIn,
      access_token: result.accessToken,
      id_token: result.idToken,
      client_info: base64url(JSON.stringify({ uid, utid })),
    };
    const url = new URL(this.settings.authority);
    await withCache(this.#app.getTokenCache(), this.#plugin, (cache) => {
      cache.saveTokenResponse(response, {
        clientId: this.settings.clientId,
        authority: this.settings.authority,
        environment: result.account.environment || url.host,
        tenant: result.tenantId || url.pathname.split("/")[1] || "common",
        authorityType: "MSSTS",
        scopes,
        requestedAt: now,
      });
    });
  }

  async #underSignInLock<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    if (!this.#plugin) return work();
    const { FileLock } = await import("../persistence/lock.ts");
    const cachePath = this.settings.cachePath ?? defaultCachePath();
    // The cache's folder may not exist before the first sign-in; made private, as the cache's.
    mkdirSync(dirname(cachePath), { recursive: true, mode: 0o700 });
    const path = `${cachePath}.signin.lock`;
    const lock = await raceAbort(
      FileLock.acquire(path, {
        // Another process may be in the middle of an interactive sign-in: wait that long.
        timeoutMs: this.settings.timeoutMs + 30_000,
        staleAfterMs: this.settings.timeoutMs + 30_000,
      }),
      signal,
      (l) => void l.release(),
    );
    try {
      return await work();
    } finally {
      await lock.release();
    }
  }
}

/** Waits for `promise` unless `signal` aborts first; a late value is handed to `dispose`. */
function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  dispose: (v: T) => void,
): Promise<T> {
  if (signal.aborted) {
    void promise.then(dispose, () => {});
    return Promise.reject(new EntraAuthError("aborted", "interrupted"));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      void promise.then(dispose, () => {});
      reject(new EntraAuthError("aborted", "interrupted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) dispose(v);
        else resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * The session of one command: its settings resolved from the flags, then the environment and
 * the config file (`--verbose` prints what happens).
 *
 * @param ctx the command's streams
 * @param flags the setting flags
 * @param values the parsed values (for `verbose`)
 * @returns the session
 */
export function sessionFor(
  ctx: { io: CliIo; },
  flags: SettingFlags,
  values: Record<string, unknown>,
): CliSession {
  return new CliSession(resolveSettings(flags, ctx.io.env), ctx.io, Boolean(values.verbose));
}

function base64url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
