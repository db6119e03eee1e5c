/**
 * The device authorization grant (RFC 8628): requesting a device code, then polling the
 * token endpoint at the server's `interval` (+5 s on `slow_down`) until the user approves,
 * declines, or the code expires; cancel by `AbortSignal`.
 *
 * @module
 */

import { EntraAuthError, ServerError } from "../errors.ts";
import { delay as defaultDelay, type DelayFunction } from "./abort.ts";
import { type HttpOptions, type HttpRequest, sendRequest } from "./http.ts";
import { errorFromServer, parseErrorBody } from "./server_error.ts";
import {
  deviceCodeForm,
  type GrantCommon,
  type ProcessedTokens,
  processTokenResponse,
  type TokenExpectations,
} from "./token_endpoint.ts";
import { invalidResponse, optionalSeconds, optionalString, requireString } from "./validate.ts";

/**
 * The longest wait between two polls, seconds: a larger `interval` from the server is
 * clamped to it (RFC 8628 sets no maximum; codes live about 15 minutes).
 */
export const MAX_POLL_INTERVAL_S = 300;

/** The longest a device code is waited for, whatever the server says (a day), s. */
export const MAX_DEVICE_CODE_LIFETIME_S = 86_400;

/**
 * The server's `interval`, made safe to wait on: a number (or numeric string) clamped to
 * 1…{@link MAX_POLL_INTERVAL_S} s; anything else (absent, negative, NaN, text) gives the
 * RFC 8628 default of 5 s. A value beyond `setTimeout`'s range once made every wait end at
 * once: a poll flood.
 */
function pollInterval(value: unknown): number {
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : NaN;
  if (!Number.isFinite(n) || n < 0) return 5;
  return Math.min(MAX_POLL_INTERVAL_S, Math.max(1, n));
}

/** What the app shows the user (through its callback). */
export interface DeviceCodeInfo {
  /** The code the user types. */
  userCode: string;
  /** The secret the app polls with (not for display). */
  deviceCode: string;
  /** Where the user types the code. */
  verificationUri: string;
  /** A URI that carries the code already, when the server gives one. */
  verificationUriComplete?: string;
  /** Seconds the code is valid. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
  /** The server's instructions for the user (generated when it sends none). */
  message: string;
  /** Epoch ms when the code expires. */
  expiresAt: number;
}

/**
 * Processes the device authorization reply field by field.
 *
 * @param reply status and parsed body
 * @param now epoch ms (when the request was sent)
 * @returns the device code
 * @throws ServerError (or InteractionRequiredError) for an error reply
 * @throws EntraAuthError `invalid_response` for a malformed reply
 * @example
 * ```ts
 * import { processDeviceCodeResponse } from "./device_code.ts";
 * processDeviceCodeResponse({ status: 200, body: {
 *   user_code: "ABC", device_code: "d", verification_uri: "https://microsoft.com/devicelogin",
 *   expires_in: 900, interval: 5,
 * } }, Date.now()).userCode; // "ABC"
 * ```
 */
export function processDeviceCodeResponse(
  reply: { status: number; body: Record<string, unknown>; },
  now: number,
): DeviceCodeInfo {
  if (reply.status !== 200) {
    const details = parseErrorBody(reply.status, reply.body);
    if (!details) throw invalidResponse(`device code request: HTTP ${reply.status}`);
    throw errorFromServer(details);
  }
  const where = "device code response";
  const body = reply.body;
  const userCode = requireString(body, "user_code", where);
  const deviceCode = requireString(body, "device_code", where);
  // ADFS 2019 and older Entra replies say verification_url; an empty one is none.
  const verificationUri = optionalString(body, "verification_uri", where)
    || requireString(body, "verification_url", where);
  const rawExpiresIn = optionalSeconds(body, "expires_in", where);
  if (rawExpiresIn === undefined) throw invalidResponse(`${where}: expires_in is missing`);
  // A device code lives minutes (Entra: 15); a huge value would make expiresAt an invalid
  // Date and the polling endless. Capped at a day, as no sign-in waits longer.
  const expiresIn = Math.min(rawExpiresIn, MAX_DEVICE_CODE_LIFETIME_S);
  const interval = pollInterval(body["interval"]);
  const info: DeviceCodeInfo = {
    userCode,
    deviceCode,
    verificationUri,
    expiresIn,
    interval,
    // An empty message is none: the user must be told where to go.
    message: optionalString(body, "message", where)?.trim()
      || `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    expiresAt: now + expiresIn * 1000,
  };
  const complete = optionalString(body, "verification_uri_complete", where);
  if (complete !== undefined) info.verificationUriComplete = complete;
  return info;
}

/**
 * Requests a device code.
 *
 * @param endpoint the `device_authorization_endpoint`
 * @param grant client id, scopes, claims
 * @param http transport options
 * @param telemetry the request's telemetry
 * @returns the device code to show
 * @throws ServerError for an error reply; EntraAuthError `invalid_response`, `timeout`, `aborted`
 * @example
 * ```ts
 * import { requestDeviceCode } from "./device_code.ts";
 * const info = await requestDeviceCode(
 *   "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
 *   { clientId: "00000000-0000-0000-0000-000000000001", scopes: ["openid", "User.Read"] },
 *   {},
 * );
 * console.log(info.message);
 * ```
 */
export async function requestDeviceCode(
  endpoint: string,
  grant: GrantCommon,
  http: HttpOptions,
  telemetry?: HttpRequest["telemetry"],
): Promise<DeviceCodeInfo> {
  const form: Record<string, string> = { client_id: grant.clientId, scope: grant.scopes.join(" ") };
  if (grant.claims !== undefined) form.claims = grant.claims;
  const now = Date.now();
  const reply = await sendRequest(
    { method: "POST", url: endpoint, form, telemetry, what: "device code request" },
    http,
  );
  return processDeviceCodeResponse(reply, now);
}

/** Options of {@link pollDeviceCode}. */
export interface PollOptions {
  /** Cancels the polling (`aborted`). Also passed to each request. */
  signal?: AbortSignal;
  /** The wait between polls (tests inject a fast one). Default: a real, abortable timer. */
  delay?: DelayFunction;
  /** The request's telemetry. */
  telemetry?: HttpRequest["telemetry"];
}

/**
 * Polls the token endpoint until the user completes the device code sign-in.
 *
 * @param tokenEndpoint the `token_endpoint`
 * @param info the device code
 * @param grant client id, scopes, claims
 * @param expect what the token reply must match
 * @param http transport options
 * @param options signal, delay function, telemetry
 * @returns the tokens
 * @throws ServerError code `user_canceled` for `authorization_declined`
 * @throws ServerError code `timeout` for `expired_token`; EntraAuthError `timeout` when the
 *   code expired locally
 * @throws ServerError for `bad_verification_code` and any other error; EntraAuthError `aborted`
 * @example
 * ```ts
 * import { pollDeviceCode, requestDeviceCode } from "./device_code.ts";
 * declare const metadata: import("./authority_metadata.ts").OidcMetadata;
 * const grant = { clientId: "00000000-0000-0000-0000-000000000001", scopes: ["openid"] };
 * const info = await requestDeviceCode(metadata.device_authorization_endpoint!, grant, {});
 * const { response } = await pollDeviceCode(metadata.token_endpoint, info, grant, {
 *   clientId: grant.clientId, scopes: grant.scopes,
 * }, {});
 * ```
 */
export async function pollDeviceCode(
  tokenEndpoint: string,
  info: DeviceCodeInfo,
  grant: GrantCommon,
  expect: TokenExpectations,
  http: HttpOptions,
  options: PollOptions = {},
): Promise<ProcessedTokens> {
  const wait = options.delay
    ?? ((ms: number, signal: AbortSignal | undefined) =>
      defaultDelay(ms, signal, "The device code sign-in"));
  const signal = options.signal ?? http.signal;
  let interval = info.interval;
  for (;;) {
    if (Date.now() + interval * 1000 > info.expiresAt) {
      throw new EntraAuthError(
        "timeout",
        `The device code expired after ${info.expiresIn} s before the user completed the `
          + "sign-in. Start again.",
      );
    }
    await wait(interval * 1000, signal);
    const reply = await sendRequest({
      method: "POST",
      url: tokenEndpoint,
      form: deviceCodeForm({ ...grant, deviceCode: info.deviceCode }),
      telemetry: options.telemetry,
      what: "device code token request",
    }, { ...http, signal });
    const details = reply.status === 200 ? undefined : parseErrorBody(reply.status, reply.body);
    switch (details?.error) {
      case "authorization_pending":
        continue;
      case "slow_down":
        interval = Math.min(MAX_POLL_INTERVAL_S, interval + 5);
        continue;
      case "authorization_declined":
      case "access_denied":
        throw new ServerError(details, {
          code: "user_canceled",
          message: "The user declined the device code sign-in.",
        });
      case "expired_token":
        throw new ServerError(details, {
          code: "timeout",
          message: "The device code expired before the user completed the sign-in. Start again.",
        });
      default:
        return processTokenResponse(reply, expect);
    }
  }
}
