/**
 * The application object: wires configuration, the broker and the network flows (browser,
 * device code, silent) and the token cache together. It holds no protocol logic itself.
 *
 * @module
 */

import { platform } from "node:os";
import { type Authority, DEFAULT_AUTHORITY, parseAuthority } from "./authority.ts";
import { BrokerClient, CONSOLE_WINDOW_HANDLE, type WindowHandle } from "./broker/broker_client.ts";
import { DEFAULT_STARTUP_TIMEOUT_MS } from "./broker/broker_startup.ts";
import { brokerRedirectUri } from "./broker/redirect_uri.ts";
import type { CachePlugin } from "./cache/plugin.ts";
import type { TokenCache } from "./cache/token_cache.ts";
import { BrokerError, EntraAuthError } from "./errors.ts";
import { NetworkClient } from "./flows/network_client.ts";
import { type HttpSettings, httpSettings } from "./http_settings.ts";
import { Logger, type LoggerOptions } from "./logger.ts";
import type { OidcMetadata } from "./network/authority_metadata.ts";
import type { DeviceCodeInfo, FetchLike } from "./network/client.ts";
import { guardPermissions, permissionError } from "./permission_error.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "./persistence/persistent_cache.ts";
import { checkRequest, checkScopes, requireAccount, silentAccount } from "./request_checks.ts";
import type { AccountInfo, AuthenticationResult } from "./result.ts";

export { CONSOLE_WINDOW_HANDLE, type WindowHandle };

/** Options of the broker path. */
export interface BrokerOptions {
  /** Path of the MSALRuntime library (else `ENTRA_AUTH_MSALRUNTIME_PATH`, then the npm package). */
  libraryPath?: string;
  /** Time limit of a silent broker call, ms. Default 30 000. */
  silentTimeoutMs?: number;
  /** Time limit of an interactive broker call, ms. Default 600 000. */
  interactiveTimeoutMs?: number;
  /**
   * How long the first broker call waits for MSALRuntime to start, ms. Default 3 000. A start
   * not done by then counts as "broker unavailable" (the start goes on in the background and
   * later calls use the broker once it is done).
   */
  startupTimeoutMs?: number;
  /**
   * Require the broker: when it cannot be used (library missing, broker not running, start-up
   * not done in time), calls throw a `BrokerError` (`broker_unavailable` or `broker_timeout`)
   * that says why and what to install, instead of signing in without it. Default `false`: the
   * app falls back, after one warning per process (to the logger, else the console).
   */
  required?: boolean;
  /** Overrides the per-OS broker redirect URI (it must be registered for the app). */
  redirectUri?: string;
  /** macOS: the app's bundle id, for the `msauth.<bundle id>://auth` redirect URI. */
  macBundleId?: string;
}

/** Configuration of a {@link PublicClientApplication}. */
export interface PublicClientApplicationOptions {
  /** The application (client) id from the app registration. */
  clientId: string;
  /** The authority; default `https://login.microsoftonline.com/common`. */
  authority?: string;
  /** Use Microsoft Single Sign-on for Linux when present. */
  enableBrokerOnLinux?: boolean;
  /** Use macOS Enterprise SSO when present. */
  enableBrokerOnMac?: boolean;
  /** Use WAM on Windows. */
  enableBrokerOnWindows?: boolean;
  /** Broker settings. */
  broker?: BrokerOptions;
  /** Extra hosts to treat as Microsoft Entra ID (sovereign or test deployments). */
  knownAuthorityHosts?: string[];
  /** Logging, with the PII switch. */
  logger?: LoggerOptions;
  /**
   * The loopback redirect URI registered for browser sign-in without the broker:
   * `http://localhost` (default) or `http://127.0.0.1`, optionally with a fixed port.
   */
  redirectUri?: string;
  /**
   * Opens the sign-in page. Default: the system browser, after which the URL is also logged at
   * `info` (or, with no logger, written to stderr) for a user whose browser did not show it.
   */
  openBrowser?: (url: string) => void | Promise<void>;
  /** HTML of the page the browser shows after a successful sign-in (msal-node's name). */
  successTemplate?: string;
  /**
   * HTML of the page after a failed sign-in; `{{error}}` and `{{error_description}}` are
   * replaced by the (escaped) error.
   */
  errorTemplate?: string;
  /** Overrides the detected kind of authority (e.g. `oidc` for a generic OpenID issuer). */
  authorityType?: "aad" | "b2c" | "adfs" | "ciam" | "oidc";
  /** Check unknown hosts with Entra's instance discovery. Default `true`. */
  validateAuthority?: boolean;
  /** The authority's OpenID metadata, so that none is fetched. */
  authorityMetadata?: string | OidcMetadata;
  /** Client capabilities (e.g. `["CP1"]` for continuous access evaluation). */
  clientCapabilities?: string[];
  /** The token cache's persistence plug-in (for a plug-in of your own). */
  cache?: { cachePlugin?: CachePlugin; };
  /**
   * Keep the token cache in a file shared safely between processes, encrypted through the OS
   * keyring (`{ encryption: "keyring" }`) or, on explicit opt-in, in plain text.
   */
  persistentCache?: PersistentCacheOptions;
  /** The `fetch` used for every request (proxies, tests). */
  fetch?: FetchLike;
  /**
   * Limits of every request to the identity provider: `timeoutMs` (per exchange, default
   * 30 s), `maxResponseBytes` (default 1 MiB), `maxRetryAfterMs` (default 60 s).
   */
  http?: HttpSettings;
}

/** Proof-of-possession parameters: the request the token will be bound to. */
export interface PopParameters {
  /** HTTP method of the resource request, e.g. `GET`. */
  method: string;
  /** Full URL of the resource request. */
  url: string;
  /** A server nonce, when the resource gave one. */
  nonce?: string;
}

/** An interactive token request. */
export interface InteractiveRequest {
  /** The scopes to request, e.g. `["User.Read"]`. */
  scopes: string[];
  /** The app's window, or {@link CONSOLE_WINDOW_HANDLE} for console apps. Default: console. */
  parentWindowHandle?: WindowHandle;
  /** The user to sign in (a UPN or email); the broker or the sign-in page preselects them. */
  loginHint?: string;
  /** `none`, `login`, `select_account`, `consent`, `create`. */
  prompt?: "none" | "login" | "select_account" | "consent" | "create";
  /** A domain hint (`organizations`, `consumers`, a tenant domain); not passed to the broker. */
  domainHint?: string;
  /** A claims request (JSON text), e.g. from a claims challenge. */
  claims?: string;
  /** More authorize query parameters. */
  extraQueryParameters?: Record<string, string>;
  /** Ask for a proof-of-possession token bound to this request. */
  pop?: PopParameters;
  /** An account to sign in again. */
  account?: AccountInfo;
  /** Without the broker: seconds since the last sign-in beyond which the user signs in again. */
  maxAge?: number;
  /** Without the broker: more scopes to consent to now. */
  extraScopesToConsent?: string[];
  /** Without the broker: opens the sign-in page for this request. */
  openBrowser?: (url: string) => void | Promise<void>;
  /** Without the broker: how long to wait for the browser, ms (default 10 minutes). */
  timeoutMs?: number;
  /** A correlation id for the request (default: a new one); it is in the result and in errors. */
  correlationId?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** A device code request. */
export interface DeviceCodeRequest {
  /** The scopes to request, e.g. `["User.Read"]`. */
  scopes: string[];
  /** Shows the user the message, the code and where to enter it. */
  deviceCodeCallback: (info: DeviceCodeInfo) => void | Promise<void>;
  /** A claims request (JSON text), e.g. from a claims challenge. */
  claims?: string;
  /** A correlation id for the request (default: a new one). */
  correlationId?: string;
  /** Cancels the request (and stops polling). */
  signal?: AbortSignal;
}

/** A silent token request. */
export interface SilentRequest {
  /** The scopes to request, e.g. `["User.Read"]`. */
  scopes: string[];
  /** The account, from `getAccounts()` or an earlier result. */
  account: AccountInfo;
  /** Get a new token even if the cached one is valid. */
  forceRefresh?: boolean;
  /** A claims request (JSON text); bypasses the cached access token. */
  claims?: string;
  /** Ask for a proof-of-possession token bound to this request (broker only). */
  pop?: PopParameters;
  /** A correlation id for the request (default: a new one). */
  correlationId?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * A public client application (desktop, CLI): signs users in through the OS broker when it is
 * enabled for this OS and the authority is Microsoft Entra ID.
 *
 * @example
 * ```ts ignore
 * import { CONSOLE_WINDOW_HANDLE, PublicClientApplication } from "@entra-auth/core";
 * const app = new PublicClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   enableBrokerOnLinux: true,
 * });
 * const result = await app.acquireTokenInteractive({
 *   scopes: ["User.Read"],
 *   parentWindowHandle: CONSOLE_WINDOW_HANDLE,
 * });
 * console.log(result.account.username, result.expiresOn);
 * ```
 */
export class PublicClientApplication {
  /** The client id. */
  readonly clientId: string;
  /** The parsed authority. */
  readonly authority: Authority;
  readonly #logger: Logger;
  readonly #broker?: BrokerClient;
  readonly #network: NetworkClient;
  /** Last access token per account and scopes, only to tell the broker which one to renew. */
  readonly #lastTokens = new Map<string, string>();

  /**
   * Creates a PublicClientApplication.
   *
   * @param options the app's configuration
   * @throws EntraAuthError `invalid_argument` for a missing client id, a bad authority, or
   *   msal-node's nested configuration (`{ auth: { clientId } }`)
   * @example
   * ```ts
   * import { PublicClientApplication } from "@entra-auth/core";
   * const app = new PublicClientApplication({ clientId: "00000000-0000-0000-0000-000000000001" });
   * ```
   */
  constructor(options: PublicClientApplicationOptions) {
    checkRequest(options, "new PublicClientApplication", ["openBrowser", "fetch"]);
    if (!options.clientId) {
      const auth = (options as { auth?: { clientId?: unknown; }; }).auth;
      if (auth && typeof auth === "object") {
        throw new EntraAuthError(
          "invalid_argument",
          "This looks like msal-node's configuration ({ auth: { clientId, authority } }). "
            + "entra-auth takes the options at the top level: new PublicClientApplication({ "
            + "clientId, authority, enableBrokerOnLinux, logger, cache }) (see docs/migrating.md).",
        );
      }
      throw new EntraAuthError("invalid_argument", "clientId is required");
    }
    this.clientId = options.clientId;
    this.authority = parseAuthority(options.authority ?? DEFAULT_AUTHORITY, {
      knownAadHosts: options.knownAuthorityHosts,
    });
    this.#logger = new Logger(options.logger);
    this.#network = new NetworkClient({
      clientId: this.clientId,
      authority: this.authority.url,
      authorityType: options.authorityType,
      validateAuthority: options.validateAuthority,
      knownAuthorityHosts: options.knownAuthorityHosts,
      authorityMetadata: options.authorityMetadata,
      clientCapabilities: options.clientCapabilities,
      fetch: options.fetch,
      ...httpSettings(options.http),
      redirectUri: options.redirectUri,
      openBrowser: options.openBrowser,
      successTemplate: options.successTemplate,
      errorTemplate: options.errorTemplate,
      cachePlugin: cachePluginOf(options),
    }, this.#logger);
    const os = platform();
    const enabled = (os === "linux" && options.enableBrokerOnLinux)
      || (os === "darwin" && options.enableBrokerOnMac)
      || (os === "win32" && options.enableBrokerOnWindows);
    const b = options.broker ?? {};
    for (const key of ["silentTimeoutMs", "interactiveTimeoutMs", "startupTimeoutMs"] as const) {
      validateLimit(`broker.${key}`, b[key]);
    }
    if (enabled && this.authority.type === "aad") {
      this.#broker = new BrokerClient({
        clientId: this.clientId,
        authority: this.authority.url,
        redirectUri: b.redirectUri ?? brokerRedirectUri(os, this.clientId, b.macBundleId),
        libraryPath: b.libraryPath,
        silentTimeoutMs: b.silentTimeoutMs ?? 30_000,
        interactiveTimeoutMs: b.interactiveTimeoutMs ?? 600_000,
        startupTimeoutMs: b.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS,
        required: b.required ?? false,
        clientCapabilities: options.clientCapabilities,
      }, this.#logger);
    } else if (enabled) {
      this.#logger.log(
        "info",
        `The broker serves Entra ID only; ${this.authority.type} authority signs in without it.`,
      );
    }
  }

  /**
   * Signs a user in interactively (through the broker when enabled; with no prompt the default
   * OS account is tried first, silently).
   *
   * @param request scopes and options
   * @returns the token and account
   * @throws InteractionRequiredError, UserCanceledError, NetworkError, BrokerError (codes
   *   `broker_timeout`, `no_window`, `broker_error`), RedirectUriError
   */
  async acquireTokenInteractive(request: InteractiveRequest): Promise<AuthenticationResult> {
    checkRequest(request, "acquireTokenInteractive", ["openBrowser"]);
    checkScopes(request.scopes);
    const correlationId = request.correlationId ?? crypto.randomUUID();
    if (await this.#broker?.available(request.signal)) {
      try {
        const result = await this.#broker!.acquireTokenInteractive(
          { ...request, correlationId, pop: popParams(request.pop) },
          request.parentWindowHandle ?? CONSOLE_WINDOW_HANDLE,
          request.account,
        );
        this.#remember(result);
        return result;
      } catch (err) {
        // The broker turned out absent (Windows without WAM): sign in without it, as when it
        // is not installed, unless the app requires it.
        if (
          !(err instanceof BrokerError && err.code === "broker_unavailable")
          || this.#broker!.required
        ) throw err;
      }
    }
    return this.#network.acquireTokenInteractive({ ...request, correlationId });
  }

  /**
   * Signs a user in with a device code (for machines without a browser): the callback shows
   * the user where to go and which code to enter; the promise resolves once they have.
   *
   * @param request scopes, the callback and options
   * @returns the token and account
   * @throws ServerError (`user_canceled` when declined, `timeout` when the code expired)
   */
  async acquireTokenByDeviceCode(request: DeviceCodeRequest): Promise<AuthenticationResult> {
    checkRequest(request, "acquireTokenByDeviceCode", ["deviceCodeCallback"], [
      "deviceCodeCallback",
    ]);
    checkScopes(request.scopes);
    return await this.#network.acquireTokenByDeviceCode({
      ...request,
      correlationId: request.correlationId ?? crypto.randomUUID(),
    });
  }

  /**
   * Gets a token without user interaction for an account from {@link getAccounts} or an
   * earlier result.
   *
   * @param request scopes, account and options
   * @returns the token
   * @throws InteractionRequiredError when the user must sign in again, or when no account is
   *   given (`undefined`, `null`, `{}`: nobody has signed in yet)
   * @throws EntraAuthError `invalid_argument` for a malformed request; `timeout` / `aborted`
   *   (`http.timeoutMs`, `signal`); `permission_denied` (Deno without a needed flag)
   */
  async acquireTokenSilent(request: SilentRequest): Promise<AuthenticationResult> {
    checkRequest(request, "acquireTokenSilent");
    checkScopes(request.scopes);
    request = { ...request, account: silentAccount(request.account) };
    const correlationId = request.correlationId ?? crypto.randomUUID();
    if (request.account.nativeAccountId && await this.#broker?.available(request.signal)) {
      const renew = request.forceRefresh
        ? this.#lastTokens.get(tokenKey(request.account, request.scopes))
        : undefined;
      const result = await this.#broker!.acquireTokenSilent(
        { ...request, correlationId, pop: popParams(request.pop), accessTokenToRenew: renew },
        request.account,
      );
      this.#remember(result);
      return result;
    }
    if (request.pop) {
      throw new EntraAuthError(
        "invalid_argument",
        "Proof-of-possession tokens need the broker; check isPopSupported() first.",
      );
    }
    return this.#network.acquireTokenSilent({ ...request, correlationId });
  }

  /**
   * The accounts signed in to this app.
   *
   * @param options `signal` abandons the call (code `aborted`)
   * @returns the accounts (from the broker when it is in use; an account signed out with
   *   {@link removeAccount} is not listed until it signs in again)
   */
  async getAccounts(options: { signal?: AbortSignal; } = {}): Promise<AccountInfo[]> {
    const cached = await this.#network.getAccounts();
    if (!(await this.#broker?.available(options.signal))) return cached;
    const brokered = await this.#broker!.getAccounts(crypto.randomUUID(), options.signal);
    const seen = new Set(brokered.map((a) => a.homeAccountId));
    return [...brokered, ...cached.filter((a) => !seen.has(a.homeAccountId))];
  }

  /**
   * The in-memory token cache of the sign-ins made without the broker (MSAL's shared JSON
   * format: `serialize()` / `deserialize()`). The broker keeps its own.
   *
   * @returns the cache
   */
  getTokenCache(): TokenCache {
    return this.#network.cache;
  }

  /**
   * Signs an account out of this app: `getAccounts()` no longer lists it and silent calls for
   * it need interaction, until it signs in again. An unknown account is not an error.
   *
   * @param account the account
   * @param options `signal` abandons the call (code `aborted`)
   * @throws EntraAuthError `invalid_argument` when `account` is not an account (no
   *   `homeAccountId`)
   */
  async removeAccount(
    account: AccountInfo,
    options: { signal?: AbortSignal; } = {},
  ): Promise<void> {
    account = requireAccount(account, "removeAccount");
    for (const key of [...this.#lastTokens.keys()]) {
      if (key.startsWith(`${account.homeAccountId}|`)) this.#lastTokens.delete(key);
    }
    if (account.nativeAccountId && await this.#broker?.available(options.signal)) {
      await this.#broker!.removeAccount(account, crypto.randomUUID(), options.signal);
    }
    await this.#network.removeAccount(account);
  }

  /**
   * Whether proof-of-possession tokens can be issued (only through the broker today).
   *
   * @returns `true` when the broker is in use
   */
  async isPopSupported(): Promise<boolean> {
    // A question, not a sign-in: a required broker that cannot be used answers false here.
    return (await this.#broker?.available().catch(() => undefined)) !== undefined;
  }

  /**
   * Releases native resources: gives back this app's share of MSALRuntime, which the last
   * open application shuts down (when no call is outstanding). Other applications of the
   * process keep working; a new one after all closed starts MSALRuntime again.
   */
  async close(): Promise<void> {
    await this.#broker?.close();
  }

  #remember(result: AuthenticationResult): void {
    this.#lastTokens.set(tokenKey(result.account, result.scopes), result.accessToken);
  }
}

function tokenKey(account: AccountInfo, scopes: readonly string[]): string {
  return `${account.homeAccountId}|${[...scopes].sort().join(" ")}`;
}

function cachePluginOf(options: PublicClientApplicationOptions): CachePlugin | undefined {
  if (options.cache?.cachePlugin && options.persistentCache) {
    throw new EntraAuthError(
      "invalid_argument",
      "Pass either cache.cachePlugin or persistentCache, not both.",
    );
  }
  if (options.cache?.cachePlugin || !options.persistentCache) return options.cache?.cachePlugin;
  // A refused permission (Deno: --allow-env for the default folder, --allow-read and
  // --allow-write on it) is a PermissionDeniedError naming the flag.
  try {
    return guardPermissions(
      createPersistentCache(options.persistentCache),
      "using the persistent token cache",
    );
  } catch (err) {
    throw permissionError(err, "finding the persistent token cache's folder") ?? err;
  }
}

/** The longest time limit timers can hold (2^31 - 1 ms, about 24.8 days). */
const MAX_LIMIT_MS = 2_147_483_647;

function validateLimit(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > MAX_LIMIT_MS) {
    throw new EntraAuthError(
      "invalid_argument",
      `${name} must be a number of milliseconds from 1 to ${MAX_LIMIT_MS} (got ${String(value)}).`,
    );
  }
}

function popParams(pop: PopParameters | undefined) {
  if (!pop) return undefined;
  const url = new URL(pop.url);
  return { method: pop.method.toUpperCase(), host: url.host, path: url.pathname, nonce: pop.nonce };
}
