/**
 * The application object: wires configuration, the broker and (later) the network flows
 * together. It holds no protocol logic itself.
 *
 * @module
 */

import { platform } from "node:os";
import { type Authority, DEFAULT_AUTHORITY, parseAuthority } from "./authority.ts";
import { BrokerClient, CONSOLE_WINDOW_HANDLE, type WindowHandle } from "./broker/broker_client.ts";
import { brokerRedirectUri } from "./broker/redirect_uri.ts";
import type { CachePlugin } from "./cache/plugin.ts";
import type { TokenCache } from "./cache/token_cache.ts";
import { BrokerError, EntraAuthError } from "./errors.ts";
import { NetworkClient } from "./flows/network_client.ts";
import { Logger, type LoggerOptions } from "./logger.ts";
import type { OidcMetadata } from "./network/authority_metadata.ts";
import type { DeviceCodeInfo, FetchLike } from "./network/client.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "./persistence/persistent_cache.ts";
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
  /** Opens the sign-in page. Default: the system browser. */
  openBrowser?: (url: string) => void | Promise<void>;
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
  scopes: string[];
  /** The app's window, or {@link CONSOLE_WINDOW_HANDLE} for console apps. Default: console. */
  parentWindowHandle?: WindowHandle;
  loginHint?: string;
  /** `none`, `login`, `select_account`, `consent`, `create`. */
  prompt?: "none" | "login" | "select_account" | "consent" | "create";
  domainHint?: string;
  /** A claims request (JSON text), e.g. from a claims challenge. */
  claims?: string;
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
  correlationId?: string;
  signal?: AbortSignal;
}

/** A device code request. */
export interface DeviceCodeRequest {
  scopes: string[];
  /** Shows the user the message, the code and where to enter it. */
  deviceCodeCallback: (info: DeviceCodeInfo) => void | Promise<void>;
  claims?: string;
  correlationId?: string;
  signal?: AbortSignal;
}

/** A silent token request. */
export interface SilentRequest {
  scopes: string[];
  account: AccountInfo;
  /** Get a new token even if the cached one is valid. */
  forceRefresh?: boolean;
  claims?: string;
  pop?: PopParameters;
  correlationId?: string;
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
   * @param options the app's configuration
   * @throws EntraAuthError `invalid_argument` for a missing client id or a bad authority
   */
  constructor(options: PublicClientApplicationOptions) {
    if (!options.clientId) throw new EntraAuthError("invalid_argument", "clientId is required");
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
      redirectUri: options.redirectUri,
      openBrowser: options.openBrowser,
      cachePlugin: cachePluginOf(options),
    }, this.#logger);
    const os = platform();
    const enabled = (os === "linux" && options.enableBrokerOnLinux)
      || (os === "darwin" && options.enableBrokerOnMac)
      || (os === "win32" && options.enableBrokerOnWindows);
    if (enabled && this.authority.type === "aad") {
      const b = options.broker ?? {};
      this.#broker = new BrokerClient({
        clientId: this.clientId,
        authority: this.authority.url,
        redirectUri: b.redirectUri ?? brokerRedirectUri(os, this.clientId, b.macBundleId),
        libraryPath: b.libraryPath,
        silentTimeoutMs: b.silentTimeoutMs ?? 30_000,
        interactiveTimeoutMs: b.interactiveTimeoutMs ?? 600_000,
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
    validateScopes(request.scopes);
    const correlationId = request.correlationId ?? crypto.randomUUID();
    if (await this.#broker?.available()) {
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
        // is not installed.
        if (!(err instanceof BrokerError && err.code === "broker_unavailable")) throw err;
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
  acquireTokenByDeviceCode(request: DeviceCodeRequest): Promise<AuthenticationResult> {
    validateScopes(request.scopes);
    return this.#network.acquireTokenByDeviceCode({
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
   * @throws InteractionRequiredError when the user must sign in again
   */
  async acquireTokenSilent(request: SilentRequest): Promise<AuthenticationResult> {
    validateScopes(request.scopes);
    const correlationId = request.correlationId ?? crypto.randomUUID();
    if (request.account.nativeAccountId && await this.#broker?.available()) {
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
   * @returns the accounts (from the broker when it is in use)
   */
  async getAccounts(): Promise<AccountInfo[]> {
    const cached = await this.#network.getAccounts();
    if (!(await this.#broker?.available())) return cached;
    const brokered = await this.#broker!.getAccounts(crypto.randomUUID());
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
   * Signs an account out of this app.
   *
   * @param account the account
   */
  async removeAccount(account: AccountInfo): Promise<void> {
    for (const key of [...this.#lastTokens.keys()]) {
      if (key.startsWith(`${account.homeAccountId}|`)) this.#lastTokens.delete(key);
    }
    if (account.nativeAccountId && await this.#broker?.available()) {
      await this.#broker!.removeAccount(account, crypto.randomUUID());
    }
    await this.#network.removeAccount(account);
  }

  /**
   * Whether proof-of-possession tokens can be issued (only through the broker today).
   *
   * @returns `true` when the broker is in use
   */
  async isPopSupported(): Promise<boolean> {
    return (await this.#broker?.available()) !== undefined;
  }

  /** Releases native resources (shuts MSALRuntime down when no call is outstanding). */
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
  return options.cache?.cachePlugin
    ?? (options.persistentCache ? createPersistentCache(options.persistentCache) : undefined);
}

function validateScopes(scopes: readonly string[]): void {
  if (
    !Array.isArray(scopes) || scopes.length === 0
    || scopes.some((s) => typeof s !== "string" || !s.trim())
  ) {
    throw new EntraAuthError(
      "invalid_argument",
      "scopes must be a non-empty array of scope strings",
    );
  }
}

function popParams(pop: PopParameters | undefined) {
  if (!pop) return undefined;
  const url = new URL(pop.url);
  return { method: pop.method.toUpperCase(), host: url.host, path: url.pathname, nonce: pop.nonce };
}
