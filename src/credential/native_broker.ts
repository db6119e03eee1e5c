/**
 * msal-node's native broker interface (`INativeBrokerPlugin`) on entra-auth's MSALRuntime
 * binding: what `@azure/identity-broker` gives `@azure/identity` through msal-node's N-API
 * addon, here through each runtime's FFI, so that `@azure/identity`'s brokered credentials work
 * on Deno and Bun as on Node.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { platform } from "node:os";
import { locateMsalRuntime } from "../../ffi/msalruntime/locate.ts";
import {
  BrokerClient,
  type BrokerRequest,
  CONSOLE_WINDOW_HANDLE,
} from "../broker/broker_client.ts";
import { brokerRedirectUri } from "../broker/redirect_uri.ts";
import { EntraAuthError, InteractionRequiredError } from "../errors.ts";
import { Logger, type LogLevel } from "../logger.ts";
import type { AccountInfo, AuthenticationResult } from "../result.ts";
import type {
  MsalAccountInfo,
  MsalAuthenticationResult,
  MsalLoggerOptions,
  NativeBrokerPlugin,
  NativeRequest,
  NativeSignOutRequest,
} from "./identity_plugin_types.ts";

/**
 * Options of {@link EntraAuthNativeBroker}.
 *
 * @example
 * ```ts
 * import type { EntraAuthNativeBrokerOptions } from "@entra-auth/core/azure-identity";
 * const options: EntraAuthNativeBrokerOptions = { silentTimeoutMs: 10_000 };
 * ```
 */
export interface EntraAuthNativeBrokerOptions {
  /** Path of the MSALRuntime library (else `ENTRA_AUTH_MSALRUNTIME_PATH`, then the npm package). */
  libraryPath?: string;
  /** Time limit of a silent broker call, ms. Default 30 000. */
  silentTimeoutMs?: number;
  /** Time limit of an interactive broker call, ms. Default 600 000. */
  interactiveTimeoutMs?: number;
  /** Time limit of MSALRuntime's start-up, ms. Default 3 000. */
  startupTimeoutMs?: number;
}

const LEVELS: LogLevel[] = ["error", "warning", "info", "verbose", "trace"];
/** Telemetry msal-node adds for its own addon; MSALRuntime is not told it. */
const MSAL_TELEMETRY = /^x-client-/i;

/**
 * The native broker msal-node talks to, backed by entra-auth's MSALRuntime binding.
 *
 * @example
 * ```ts ignore
 * import { PublicClientApplication } from "@azure/msal-node";
 * import { EntraAuthNativeBroker } from "@entra-auth/core/azure-identity";
 * const pca = new PublicClientApplication({
 *   auth: { clientId: "<client id>" },
 *   broker: { nativeBrokerPlugin: new EntraAuthNativeBroker() },
 * });
 * ```
 */
export class EntraAuthNativeBroker implements NativeBrokerPlugin {
  /** Whether MSALRuntime was found for this OS (the broker service itself is asked on first use). */
  readonly isBrokerAvailable: boolean;
  readonly #options: EntraAuthNativeBrokerOptions;
  #logger = new Logger();
  readonly #clients = new Map<string, BrokerClient>();
  /** Last token per account and scopes, only to tell the broker which one to renew. */
  readonly #lastTokens = new Map<string, string>();

  /**
   * A broker for msal-node; `isBrokerAvailable` says whether MSALRuntime was found.
   *
   * @param options where MSALRuntime is, time limits
   */
  constructor(options: EntraAuthNativeBrokerOptions = {}) {
    this.#options = options;
    let available = ["linux", "darwin", "win32"].includes(platform());
    if (available) {
      try {
        available = existsSync(locateMsalRuntime(options.libraryPath).path);
      } catch {
        available = false;
      }
    }
    this.isBrokerAvailable = available;
  }

  /** msal-node passes its logger options here before any call. */
  setLogger(loggerOptions: MsalLoggerOptions): void {
    const cb = loggerOptions?.loggerCallback;
    this.#logger = new Logger({
      loggerCallback: cb
        ? (level, message, containsPii) => cb(LEVELS.indexOf(level), message, containsPii)
        : undefined,
      level: LEVELS[loggerOptions?.logLevel ?? 2] ?? "info",
      piiLoggingEnabled: loggerOptions?.piiLoggingEnabled === true,
    });
  }

  /** The broker's accounts for the app. */
  async getAllAccounts(clientId: string, correlationId: string): Promise<MsalAccountInfo[]> {
    const client = this.#client(clientId, "https://login.microsoftonline.com/common", "");
    return (await client.getAccounts(correlationId)).map(toMsalAccount);
  }

  /** One account by the broker's id, among the accounts of the apps used so far. */
  async getAccountById(accountId: string, correlationId: string): Promise<MsalAccountInfo> {
    for (const client of this.#clients.values()) {
      const found = (await client.getAccounts(correlationId)).find((a) =>
        a.nativeAccountId === accountId
      );
      if (found) return toMsalAccount(found);
    }
    throw new InteractionRequiredError(
      "The broker does not know this account (signed out, or never signed in): sign in interactively.",
    );
  }

  /** A token without UI for the request's account (`accountId`). */
  async acquireTokenSilent(request: NativeRequest): Promise<MsalAuthenticationResult> {
    if (!request.accountId) {
      throw new InteractionRequiredError(
        "No broker account is given for the silent request: sign in interactively first.",
      );
    }
    const client = this.#clientFor(request);
    const key = `${request.accountId}|${[...request.scopes].sort().join(" ")}`;
    const result = await client.acquireTokenSilent(
      {
        ...this.#request(request),
        accessTokenToRenew: request.forceRefresh ? this.#lastTokens.get(key) : undefined,
      },
      accountWithId(request.accountId),
    );
    this.#lastTokens.set(key, result.accessToken);
    return toMsalResult(result, request.authority);
  }

  /**
   * Interactive sign-in through the broker's UI; `prompt: "none"` (identity's default broker
   * account) signs the OS's default account in without UI, or fails.
   *
   * @param request the request
   * @param windowHandle the parent window's handle, as bytes (HWND, NSWindow, X11 window id)
   */
  async acquireTokenInteractive(
    request: NativeRequest,
    windowHandle?: Uint8Array,
  ): Promise<MsalAuthenticationResult> {
    const client = this.#clientFor(request);
    const result = await client.acquireTokenInteractive(
      {
        ...this.#request(request),
        prompt: request.prompt as BrokerRequest["prompt"],
        loginHint: request.loginHint,
      },
      windowFrom(windowHandle),
      request.accountId ? accountWithId(request.accountId) : undefined,
    );
    const key = `${result.account.nativeAccountId}|${[...request.scopes].sort().join(" ")}`;
    this.#lastTokens.set(key, result.accessToken);
    return toMsalResult(result, request.authority);
  }

  /** Signs the account out of the app in the broker. */
  async signOut(request: NativeSignOutRequest): Promise<void> {
    const client = this.#client(request.clientId, "https://login.microsoftonline.com/common", "");
    for (const key of [...this.#lastTokens.keys()]) {
      if (key.startsWith(`${request.accountId}|`)) this.#lastTokens.delete(key);
    }
    await client.removeAccount(accountWithId(request.accountId), request.correlationId);
  }

  #request(request: NativeRequest): BrokerRequest {
    if (!Array.isArray(request.scopes) || request.scopes.length === 0) {
      throw new EntraAuthError("invalid_argument", "the broker request has no scopes");
    }
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.extraParameters ?? {})) {
      if (!MSAL_TELEMETRY.test(k) && typeof v === "string") extra[k] = v;
    }
    let pop: BrokerRequest["pop"];
    if (request.authenticationScheme?.toLowerCase() === "pop") {
      if (!request.resourceRequestUri || !URL.canParse(request.resourceRequestUri)) {
        throw new EntraAuthError(
          "invalid_argument",
          "a PoP request needs resourceRequestUri, the absolute URL of the resource request",
        );
      }
      const url = new URL(request.resourceRequestUri);
      pop = {
        method: (request.resourceRequestMethod ?? "GET").toUpperCase(),
        host: url.host,
        path: url.pathname,
        nonce: request.shrNonce,
      };
    }
    return {
      scopes: [...request.scopes, ...(request.extraScopesToConsent ?? [])],
      correlationId: request.correlationId || crypto.randomUUID(),
      claims: request.claims || undefined,
      extraQueryParameters: extra,
      pop,
    };
  }

  #clientFor(request: NativeRequest): BrokerClient {
    if (!request.clientId || !request.authority) {
      throw new EntraAuthError(
        "invalid_argument",
        "the broker request needs clientId and authority",
      );
    }
    return this.#client(request.clientId, request.authority, request.redirectUri);
  }

  #client(clientId: string, authority: string, redirectUri: string): BrokerClient {
    const redirect = redirectUri || brokerRedirectUri(platform(), clientId);
    const key = `${clientId}|${authority}|${redirect}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = new BrokerClient({
        clientId,
        authority,
        redirectUri: redirect,
        libraryPath: this.#options.libraryPath,
        silentTimeoutMs: this.#options.silentTimeoutMs ?? 30_000,
        interactiveTimeoutMs: this.#options.interactiveTimeoutMs ?? 600_000,
        startupTimeoutMs: this.#options.startupTimeoutMs ?? 3_000,
        // @azure/identity asks isBrokerAvailable and falls back itself.
        required: false,
      }, this.#logger);
      this.#clients.set(key, client);
    }
    return client;
  }
}

function accountWithId(nativeAccountId: string): AccountInfo {
  return {
    homeAccountId: "",
    environment: "",
    tenantId: "",
    username: "",
    localAccountId: "",
    nativeAccountId,
  };
}

/** The window handle msal-node passes as bytes (little-endian), or the console's. */
function windowFrom(bytes: Uint8Array | undefined): bigint | typeof CONSOLE_WINDOW_HANDLE {
  if (!bytes || bytes.byteLength === 0) return CONSOLE_WINDOW_HANDLE;
  let value = 0n;
  for (let i = Math.min(bytes.byteLength, 8) - 1; i >= 0; i--) {
    value = (value << 8n) | BigInt(bytes[i]);
  }
  return value === 0n ? CONSOLE_WINDOW_HANDLE : value;
}

function toMsalAccount(a: AccountInfo): MsalAccountInfo {
  return {
    homeAccountId: a.homeAccountId,
    environment: a.environment,
    tenantId: a.tenantId,
    username: a.username,
    localAccountId: a.localAccountId,
    name: a.name,
    nativeAccountId: a.nativeAccountId,
    idTokenClaims: a.idTokenClaims ? { ...a.idTokenClaims } : undefined,
    authorityType: "MSSTS",
  };
}

function toMsalResult(r: AuthenticationResult, authority: string): MsalAuthenticationResult {
  return {
    authority,
    uniqueId: r.account.localAccountId,
    tenantId: r.tenantId,
    scopes: [...r.scopes],
    account: { ...toMsalAccount(r.account), idToken: r.idToken || undefined },
    idToken: r.idToken,
    idTokenClaims: { ...r.idTokenClaims },
    accessToken: r.accessToken,
    fromCache: false,
    expiresOn: r.expiresOn,
    tokenType: r.tokenType,
    correlationId: r.correlationId,
    fromPlatformBroker: true,
  };
}
