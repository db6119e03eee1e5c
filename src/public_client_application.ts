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
import { EntraAuthError } from "./errors.ts";
import { Logger, type LoggerOptions } from "./logger.ts";
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
      const result = await this.#broker!.acquireTokenInteractive(
        { ...request, correlationId, pop: popParams(request.pop) },
        request.parentWindowHandle ?? CONSOLE_WINDOW_HANDLE,
        request.account,
      );
      this.#remember(result);
      return result;
    }
    throw notAvailableYet("acquireTokenInteractive");
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
    throw notAvailableYet("acquireTokenSilent");
  }

  /**
   * The accounts signed in to this app.
   *
   * @returns the accounts (from the broker when it is in use)
   */
  async getAccounts(): Promise<AccountInfo[]> {
    if (await this.#broker?.available()) return this.#broker!.getAccounts(crypto.randomUUID());
    return [];
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

function notAvailableYet(api: string): EntraAuthError {
  return new EntraAuthError(
    "not_available_yet",
    `${api}: the broker is not in use (not enabled for this OS, not an Entra ID authority, or `
      + "not available on this machine) and entra-auth's own sign-in (browser with PKCE, device "
      + "code, refresh tokens) is not available yet in this version.",
  );
}
