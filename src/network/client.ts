/**
 * The network flows as three functions for `PublicClientApplication` to wire with the token
 * cache: {@link acquireByAuthCode} (browser + PKCE through a loopback redirect),
 * {@link acquireByDeviceCode} and {@link acquireByRefreshToken}. Each resolves the authority,
 * runs its grant, validates the reply and returns the token response with the request's
 * context, the one shape the cache takes in.
 *
 * @module
 */

import { EntraAuthError, InteractionRequiredError, ServerError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { TokenRequestContext, TokenResponse } from "../token_response.ts";
import { abortedError, type DelayFunction } from "./abort.ts";
import {
  type AuthorityConfig,
  resolveAuthority,
  type ResolvedAuthority,
} from "./authority_metadata.ts";
import { buildAuthorizeUrl, processRedirect, type Prompt } from "./authorize.ts";
import {
  checkBrowserEnvironment,
  openSystemBrowser,
  processBrowserEnvironment,
} from "./browser.ts";
import { type DeviceCodeInfo, pollDeviceCode, requestDeviceCode } from "./device_code.ts";
import { type FetchLike, type HttpOptions, sendRequest } from "./http.ts";
import { startLoopbackServer } from "./loopback_server.ts";
import { createPkce, randomValue } from "./pkce.ts";
import { loopbackTarget } from "./redirect_uri.ts";
import { mergeClaims, requestScopes } from "./scopes.ts";
import { API_IDS } from "./telemetry.ts";
import {
  authorizationCodeForm,
  type ProcessedTokens,
  processTokenResponse,
  refreshTokenForm,
  type TokenExpectations,
} from "./token_endpoint.ts";

export type { DeviceCodeInfo, FetchLike, Prompt };

/** What every flow needs: the app, its authority, and the transport. */
export interface NetworkRequest extends AuthorityConfig {
  /** The application (client) id. */
  clientId: string;
  /** The scopes the token is for (MSAL's `openid profile offline_access` are added). */
  scopes: readonly string[];
  /** A claims request (JSON text), e.g. an `InteractionRequiredError.claims` challenge. */
  claims?: string;
  /** Client capabilities sent as `xms_cc` in `claims`, e.g. `["CP1"]`. */
  clientCapabilities?: readonly string[];
  /** Cancels the flow (`aborted`). */
  signal?: AbortSignal;
  /** The `fetch` to use (proxies, tests). Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Time limit of each HTTP exchange, ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** Longest `Retry-After` waited for before the one retry, ms. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Wait before retrying a 429/5xx without `Retry-After`, ms. Default 1 000. */
  defaultRetryDelayMs?: number;
  /** The largest reply body read, bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /** `client-request-id` of every request of this flow. Default: a new UUID per request. */
  correlationId?: string;
  /** The library's logger. */
  logger?: Logger;
}

/** Options of {@link acquireByAuthCode}. */
export interface AuthCodeRequest extends NetworkRequest {
  /**
   * The loopback redirect URI registered for the app: `http://localhost` (default) or
   * `http://127.0.0.1`, with an optional path. A port in it is used as a fixed port;
   * without one a free port is picked. The server always listens on 127.0.0.1 only.
   */
  redirectUri?: string;
  /**
   * Opens the authorization URL. Default: the system browser (`xdg-open`, `open`, `start`);
   * without a display or in an SSH session that fails with `no_browser`.
   */
  openBrowser?: (url: string) => void | Promise<void>;
  prompt?: Prompt;
  loginHint?: string;
  domainHint?: string;
  /** Seconds since the last authentication beyond which the user must sign in again. */
  maxAge?: number;
  /** More scopes to consent to now (not part of this token). */
  extraScopesToConsent?: readonly string[];
  /** More authorize query parameters (they may not replace protocol parameters). */
  extraQueryParameters?: Readonly<Record<string, string>>;
  /** How long to wait for the browser's redirect, ms. Default 600 000. */
  timeoutMs?: number;
  /** HTML shown after a successful redirect. */
  successPage?: string;
  /** HTML shown after a redirect with an error (`error` and its description given). */
  failurePage?: (error: string, description?: string) => string;
}

/** Options of {@link acquireByDeviceCode}. */
export interface DeviceCodeRequest extends NetworkRequest {
  /** Receives the message, user code and verification URI to show the user. */
  deviceCodeCallback: (info: DeviceCodeInfo) => void | Promise<void>;
  /** The wait between polls (tests). Default: a real timer. */
  delay?: DelayFunction;
}

/** Options of {@link acquireByRefreshToken}. */
export interface RefreshTokenRequest extends NetworkRequest {
  /** The refresh token the cache chose. */
  refreshToken: string;
  /**
   * The family id (FOCI, e.g. `"1"`) when `refreshToken` is a family refresh token rather than
   * the app's own: the request is the same, but a rejection then says to fall back to the
   * app's own refresh token.
   */
  familyId?: string;
  /** Why the cache did not serve the token (telemetry): 1 forced, 2 none, 3 expired, 4 refresh_in. */
  cacheInfo?: number;
}

/** A flow's outcome, for the token cache. */
export interface NetworkTokenResult {
  /** The validated token response. */
  response: TokenResponse;
  /** The request that produced it. */
  context: TokenRequestContext;
  /** The ID token's claims, when an ID token came back. */
  idTokenClaims?: Record<string, unknown>;
}

function httpOptions(request: NetworkRequest): HttpOptions {
  return {
    fetch: request.fetch,
    requestTimeoutMs: request.requestTimeoutMs,
    signal: request.signal,
    maxRetryAfterMs: request.maxRetryAfterMs,
    defaultRetryDelayMs: request.defaultRetryDelayMs,
    maxResponseBytes: request.maxResponseBytes,
    correlationId: request.correlationId,
    logger: request.logger,
  };
}

/** Settles with `work`, or rejects `aborted` as soon as the signal aborts. */
function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(what, signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function requireClientId(request: NetworkRequest): void {
  if (typeof request.clientId !== "string" || request.clientId === "") {
    throw new EntraAuthError("invalid_argument", "clientId is required");
  }
  // A signal aborted already: nothing starts (no request, no browser).
  if (request.signal?.aborted) throw abortedError("The sign-in", request.signal);
}

function result(
  processed: ProcessedTokens,
  authority: ResolvedAuthority,
  request: NetworkRequest,
  requestedAt: number,
): NetworkTokenResult {
  const context: TokenRequestContext = {
    clientId: request.clientId,
    authority: authority.url,
    environment: authority.host,
    tenant: authority.tenant,
    authorityType: authority.contextType,
    scopes: [...request.scopes],
    requestedAt,
  };
  if (request.claims !== undefined && request.claims !== "") context.claims = request.claims;
  const out: NetworkTokenResult = { response: processed.response, context };
  if (processed.idTokenClaims !== undefined) out.idTokenClaims = processed.idTokenClaims;
  return out;
}

function expectations(
  request: NetworkRequest,
  authority: ResolvedAuthority,
  scopes: readonly string[],
): TokenExpectations {
  const expect: TokenExpectations = { clientId: request.clientId, scopes };
  if (authority.type === "oidc") expect.issuer = authority.metadata.issuer;
  return expect;
}

/**
 * Signs the user in through a browser: authorization code with PKCE (S256), `state` and
 * `nonce` checked, the redirect received by a loopback server on 127.0.0.1 that accepts one
 * matching redirect and is closed afterwards; then redeems the code.
 *
 * @param request the app, authority, scopes, redirect URI, browser opener and options
 * @returns the token response and its context
 * @throws EntraAuthError `no_browser` (no display, SSH; use device code), `timeout`, `aborted`,
 *   `state_mismatch`, `nonce_mismatch`, `invalid_response`, `invalid_argument`
 * @throws InteractionRequiredError / ServerError for an `error` on the redirect (e.g.
 *   `access_denied`, `login_required` with `prompt: "none"`)
 * @throws ServerError code `invalid_grant` when the code is refused; `throttled`, `server_error`
 * @example
 * ```ts ignore
 * import { acquireByAuthCode } from "./client.ts";
 * const { response, context } = await acquireByAuthCode({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   scopes: ["User.Read"],
 *   loginHint: "alice@contoso.com",
 * });
 * console.log(context.environment, response.expires_in);
 * ```
 */
export async function acquireByAuthCode(request: AuthCodeRequest): Promise<NetworkTokenResult> {
  requireClientId(request);
  // Headless (no display, SSH): say so before anything slow, such as an unreachable authority.
  const environment = request.openBrowser ? undefined : await processBrowserEnvironment();
  if (environment) checkBrowserEnvironment(environment);
  const http = httpOptions(request);
  const authority = await resolveAuthority(request, http);
  const generic = authority.type === "oidc";
  const tokenScopes = requestScopes(request.scopes);
  const authorizeScopes = requestScopes(request.scopes, request.extraScopesToConsent);
  const claims = mergeClaims(request.claims, request.clientCapabilities);
  const target = loopbackTarget(request.redirectUri ?? "http://localhost");
  const pkce = await createPkce();
  const state = randomValue(32);
  const nonce = randomValue(32);
  const open = request.openBrowser ?? ((url: string) => openSystemBrowser(url, environment));

  const server = await startLoopbackServer({
    port: target.port,
    path: target.path,
    accept: (query) => query.get("state") === state,
    successPage: request.successPage,
    failurePage: request.failurePage,
  });
  // Sent exactly as registered (a trailing slash included): providers compare exactly.
  const redirectUri = `http://${target.hostname}:${server.port}${target.suffix}`;
  let query: URLSearchParams;
  try {
    const url = buildAuthorizeUrl(authority.metadata.authorization_endpoint, {
      clientId: request.clientId,
      redirectUri,
      scopes: authorizeScopes,
      state,
      nonce,
      codeChallenge: pkce.challenge,
      prompt: request.prompt,
      loginHint: request.loginHint,
      domainHint: request.domainHint,
      claims,
      maxAge: request.maxAge,
      clientInfo: !generic,
      extraQueryParameters: request.extraQueryParameters,
    });
    request.logger?.log("info", `interactive sign-in: waiting on 127.0.0.1:${server.port}`);
    const waiting = server.waitForRedirect({
      signal: request.signal,
      timeoutMs: request.timeoutMs ?? 600_000,
    });
    waiting.catch(() => {}); // observed below; avoid an unhandled rejection if open() fails
    // An opener that never settles must not outlast the time limit or the signal.
    await Promise.race([Promise.resolve().then(() => open(url)), waiting]);
    showWaiting(url, request);
    query = await waiting;
  } finally {
    await server.close();
  }
  const { code } = processRedirect(
    query,
    state,
    authority.metadata.authorization_response_iss_parameter_supported
      ? authority.metadata.issuer
      : undefined,
  );
  const requestedAt = Math.floor(Date.now() / 1000);
  const reply = await sendRequest({
    method: "POST",
    url: authority.metadata.token_endpoint,
    form: authorizationCodeForm({
      clientId: request.clientId,
      scopes: tokenScopes,
      claims,
      clientInfo: !generic,
      code,
      redirectUri,
      codeVerifier: pkce.verifier,
    }),
    telemetry: { apiId: API_IDS.interactive },
    what: "authorization code redemption",
  }, http);
  const expect = expectations(request, authority, tokenScopes);
  expect.nonce = nonce;
  if (request.maxAge !== undefined) expect.maxAge = request.maxAge;
  let processed: ProcessedTokens;
  try {
    processed = processTokenResponse(reply, expect);
  } catch (err) {
    if (err instanceof InteractionRequiredError && err.server?.error === "invalid_grant") {
      throw new ServerError(err.server, {
        code: "invalid_grant",
        message: `The authorization code was refused (${
          err.server.errorDescription ?? "invalid_grant"
        }). Sign in again.`,
      });
    }
    throw err;
  }
  return result(processed, authority, request, requestedAt);
}

/**
 * Signs the user in with the device code flow: the app shows `message` (through
 * `deviceCodeCallback`), the user signs in on any device, and this polls until done.
 *
 * @param request the app, authority, scopes and the callback
 * @returns the token response and its context
 * @throws ServerError code `user_canceled` (declined), `timeout` (expired), `server_error`
 *   (e.g. `bad_verification_code`); EntraAuthError `aborted`, `invalid_response`, `invalid_argument`
 * @example
 * ```ts ignore
 * import { acquireByDeviceCode } from "./client.ts";
 * const { response } = await acquireByDeviceCode({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   scopes: ["User.Read"],
 *   deviceCodeCallback: (info) => console.log(info.message),
 * });
 * ```
 */
export async function acquireByDeviceCode(request: DeviceCodeRequest): Promise<NetworkTokenResult> {
  requireClientId(request);
  const http = httpOptions(request);
  const authority = await resolveAuthority(request, http);
  const endpoint = authority.metadata.device_authorization_endpoint
    ?? (authority.type === "oidc" ? undefined : authority.url + "/oauth2/v2.0/devicecode");
  if (endpoint === undefined) {
    throw new EntraAuthError(
      "invalid_argument",
      `${authority.url} does not support the device code flow (its metadata has no `
        + "device_authorization_endpoint).",
    );
  }
  const scopes = requestScopes(request.scopes);
  const grant = {
    clientId: request.clientId,
    scopes,
    claims: mergeClaims(request.claims, request.clientCapabilities),
    clientInfo: authority.type !== "oidc",
  };
  const telemetry = { apiId: API_IDS.deviceCode };
  const info = await requestDeviceCode(endpoint, grant, http, telemetry);
  // A callback that never settles must not outlast the signal.
  await untilAborted(
    Promise.resolve().then(() => request.deviceCodeCallback(info)),
    request.signal,
    "The device code sign-in",
  );
  const requestedAt = Math.floor(Date.now() / 1000);
  const processed = await pollDeviceCode(
    authority.metadata.token_endpoint,
    info,
    grant,
    expectations(request, authority, scopes),
    http,
    { signal: request.signal, delay: request.delay, telemetry },
  );
  return result(processed, authority, request, requestedAt);
}

/**
 * Redeems a refresh token. A dead token (`invalid_grant`) becomes an
 * {@link InteractionRequiredError} whose `server` holds the reply, so the caller can remove it.
 *
 * @param request the app, authority, scopes, the refresh token and its family id if any
 * @returns the token response (with the rotated refresh token) and its context
 * @throws InteractionRequiredError for `invalid_grant`, `interaction_required`, `consent_required`,
 *   `login_required`, `bad_token` (and, for a family token, `unauthorized_client`)
 * @throws ServerError (`server_error`, `throttled`); EntraAuthError `invalid_response`,
 *   `timeout`, `aborted`
 * @example
 * ```ts ignore
 * import { acquireByRefreshToken } from "./client.ts";
 * declare const refreshToken: string;
 * const { response } = await acquireByRefreshToken({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   authority: "https://login.microsoftonline.com/organizations",
 *   scopes: ["User.Read"],
 *   refreshToken,
 * });
 * ```
 */
export async function acquireByRefreshToken(
  request: RefreshTokenRequest,
): Promise<NetworkTokenResult> {
  requireClientId(request);
  if (typeof request.refreshToken !== "string" || request.refreshToken === "") {
    throw new EntraAuthError("invalid_argument", "refreshToken is required");
  }
  const http = httpOptions(request);
  const authority = await resolveAuthority(request, http);
  const scopes = requestScopes(request.scopes);
  const requestedAt = Math.floor(Date.now() / 1000);
  const reply = await sendRequest({
    method: "POST",
    url: authority.metadata.token_endpoint,
    form: refreshTokenForm({
      clientId: request.clientId,
      scopes,
      claims: mergeClaims(request.claims, request.clientCapabilities),
      clientInfo: authority.type !== "oidc",
      refreshToken: request.refreshToken,
    }),
    telemetry: { apiId: API_IDS.refreshToken, cacheInfo: request.cacheInfo },
    what: "refresh token redemption",
  }, http);
  try {
    return result(
      processTokenResponse(reply, expectations(request, authority, scopes)),
      authority,
      request,
      requestedAt,
    );
  } catch (err) {
    if (request.familyId === undefined) throw err;
    const details = err instanceof InteractionRequiredError
      ? err.server
      : err instanceof ServerError
      ? {
        httpStatus: err.httpStatus,
        error: err.error,
        errorDescription: err.errorDescription,
        errorCodes: err.errorCodes,
        subError: err.subError,
        correlationId: err.correlationId,
        traceId: err.traceId,
        claims: err.claims,
      }
      : undefined;
    if (details?.error !== "unauthorized_client" && details?.error !== "invalid_grant") throw err;
    throw new InteractionRequiredError(
      `The family refresh token (FOCI family ${request.familyId}) was refused: ${details.error}`
        + `${details.errorDescription ? ` (${details.errorDescription})` : ""}. `
        + "Retry with the app's own refresh token, if any; otherwise sign in interactively.",
      { server: details, cause: err },
    );
  }
}

// Tells the user what the sign-in waits for, with the URL to open by hand when the browser did
// not show it: at `info` to the app's logger (without `login_hint`, which is personal data), and
// on stderr when the app has no logger and the system browser was used.
function showWaiting(url: string, request: AuthCodeRequest): void {
  const shown = new URL(url);
  shown.searchParams.delete("login_hint");
  const text = "Waiting for the sign-in in the browser. If no browser opened, open this URL: "
    + shown.href;
  if (request.logger?.enabled("info")) request.logger.log("info", text);
  else if (!request.openBrowser) console.error(`entra-auth: ${text}`);
}
