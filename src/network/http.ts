/**
 * The one way entra-auth talks to an identity provider: an app-supplied or global `fetch`,
 * MSAL's request headers, a time limit and an `AbortSignal`, one retry of 429/5xx honouring
 * `Retry-After` (seconds or an HTTP date) up to a cap, and the reply's body read and parsed
 * as a JSON object before anything looks at it.
 *
 * @module
 */

import { NetworkError, ServerError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { permissionError } from "../permission_error.ts";
import { abortedError, delay, timeoutError } from "./abort.ts";
import { parseErrorBody, ThrottledError } from "./server_error.ts";
import { clientHeaders, type TelemetryInfo } from "./telemetry.ts";
import { invalidResponse, isJsonObject, type JsonObject } from "./validate.ts";

/** A `fetch`-compatible function (for proxies, custom TLS, tests). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Transport options shared by every network call. None of them is a protocol parameter. */
export interface HttpOptions {
  /** The `fetch` to use. Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Time limit of one HTTP exchange (request and body), ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** Cancels the request, and any wait before a retry. */
  signal?: AbortSignal;
  /**
   * The longest `Retry-After` honoured by waiting, ms; a longer one fails at once with a
   * `throttled` error carrying `retryAfterMs`. Default 60 000.
   */
  maxRetryAfterMs?: number;
  /** Wait before retrying a 429/5xx that has no `Retry-After`, ms. Default 1 000. */
  defaultRetryDelayMs?: number;
  /**
   * The largest reply body read, bytes; a longer one (or an endless one) is cut off with an
   * `invalid_response` error as soon as it passes the cap. Default 1 MiB
   * ({@link DEFAULT_MAX_RESPONSE_BYTES}).
   */
  maxResponseBytes?: number;
  /** `client-request-id` to send. Default: a new UUID per request. */
  correlationId?: string;
  /** Receives request and retry logs (no personal data). */
  logger?: Logger;
}

/**
 * Default cap of a reply body, bytes (1 MiB): Entra's largest replies (token responses with
 * big ID tokens, OpenID metadata) are tens of KB.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
/** Default time limit of one HTTP exchange, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default longest `Retry-After` honoured by waiting, ms. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** One request to an identity provider. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  /** Form fields (POST, `application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  /** Extra headers (e.g. `X-AnchorMailbox`). */
  headers?: Record<string, string>;
  /** Telemetry for `x-client-current-telemetry`. */
  telemetry?: TelemetryInfo;
  /** Names the operation in errors and logs, e.g. `token request`. */
  what: string;
}

/** A reply whose body parsed as a JSON object (any status but 429/5xx). */
export interface HttpReply {
  status: number;
  headers: Headers;
  body: JsonObject;
  /** The `client-request-id` sent. */
  correlationId: string;
}

/**
 * Parses `Retry-After`: delta seconds, or an HTTP date.
 *
 * @param value the header
 * @param now epoch ms
 * @returns the wait in ms, or `undefined` when absent or unreadable
 * @example
 * ```ts
 * import { parseRetryAfter } from "./http.ts";
 * parseRetryAfter("3", Date.now()); // 3000
 * ```
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

interface Attempt {
  response: Response;
  text: string;
}

/** Thrown while reading a body that passed the cap (not "cut short"). */
class TooLarge extends Error {}

/**
 * Reads a body as UTF-8, at most `max` bytes: an endless or huge body is canceled as soon as
 * it passes the cap, so memory stays bounded whatever the server sends.
 */
async function readCapped(response: Response, max: number, stopped: Promise<never>) {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    response.body?.cancel().catch(() => {});
    throw new TooLarge(`declares ${declared} bytes`);
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), stopped]);
      if (done) break;
      total += value.byteLength;
      if (total > max) throw new TooLarge(`passed ${max} bytes`);
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

async function attempt(
  request: HttpRequest,
  options: HttpOptions,
  correlationId: string,
): Promise<Attempt> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const headers: Record<string, string> = {
    accept: "application/json",
    ...clientHeaders(correlationId, request.telemetry),
    ...request.headers,
  };
  let body: string | undefined;
  if (request.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded;charset=utf-8";
    body = new URLSearchParams(request.form).toString();
  }
  const fetcher = options.fetch ?? globalThis.fetch;
  const fail = (cause: unknown, reading: boolean) => {
    if (options.signal?.aborted) return abortedError(request.what, options.signal);
    if (timedOut) return timeoutError(request.what, timeoutMs);
    if (cause instanceof TooLarge) {
      return invalidResponse(
        `${request.what}: the reply's body ${cause.message}, more than the ${maxBytes}-byte `
          + "limit (http.maxResponseBytes)",
      );
    }
    if (reading) return invalidResponse(`${request.what}: the reply was cut short`, cause);
    const denied = permissionError(cause, `${request.what} to ${new URL(request.url).host}`);
    if (denied) return denied;
    return new NetworkError(
      `${request.what} to ${new URL(request.url).host} failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }. Check the network and any proxy.`,
      { cause },
    );
  };
  // A custom fetch may ignore the signal: race it, so time limits and cancels always hold.
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(new Error("aborted")), {
      once: true,
    });
  });
  stopped.catch(() => {});
  try {
    if (options.signal?.aborted) throw abortedError(request.what, options.signal);
    let response: Response;
    try {
      response = await Promise.race([
        fetcher(request.url, {
          method: request.method,
          headers,
          body,
          redirect: "manual",
          signal: controller.signal,
        }),
        stopped,
      ]);
    } catch (cause) {
      throw fail(cause, false);
    }
    try {
      return { response, text: await readCapped(response, maxBytes, stopped) };
    } catch (cause) {
      throw fail(cause, true);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw invalidResponse(`${what}: the body is not JSON`, cause);
  }
}

/**
 * Sends a request and returns its parsed reply. A 429 or 5xx is retried once, after
 * `Retry-After` (or `defaultRetryDelayMs`); if it persists, or `Retry-After` exceeds
 * `maxRetryAfterMs`, the error is thrown. Any other status is returned with its body, for the
 * caller's `process…` function to judge.
 *
 * @param request method, URL, form, headers, telemetry
 * @param options fetch, time limit, signal, retry cap, correlation id, logger
 * @returns the reply with a JSON-object body
 * @throws ThrottledError (code `throttled`) for persisting 429 / 5xx with `Retry-After`
 * @throws ServerError (code `server_error`) for other persisting 5xx
 * @throws EntraAuthError `invalid_response` for a body that is not a JSON object or is cut short
 * @throws EntraAuthError `timeout` / `aborted`; NetworkError `network_error` when fetch fails
 * @example
 * ```ts
 * import { sendRequest } from "./http.ts";
 * const reply = await sendRequest({
 *   method: "GET",
 *   url: "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
 *   what: "OIDC metadata request",
 * });
 * console.log(reply.body.issuer);
 * ```
 */
export async function sendRequest(
  request: HttpRequest,
  options: HttpOptions = {},
): Promise<HttpReply> {
  const correlationId = options.correlationId ?? crypto.randomUUID();
  const cap = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  for (let round = 0;; round++) {
    options.logger?.log(
      "verbose",
      `${request.what}: ${request.method} ${new URL(request.url).origin}${
        new URL(request.url).pathname
      } (client-request-id ${correlationId})`,
    );
    const { response, text } = await attempt(request, options, correlationId);
    const status = response.status;
    const transient = status === 429 || (status >= 500 && status <= 599);
    if (!transient) {
      const body = parseJson(text, request.what);
      if (!isJsonObject(body)) throw invalidResponse(`${request.what}: the body is not an object`);
      return { status, headers: response.headers, body, correlationId };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const details = parseErrorBody(status, parsed)
      ?? { httpStatus: status, error: status === 429 ? "throttled" : "server_error" };
    details.correlationId ??= response.headers.get("client-request-id") ?? correlationId;
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    const wait = retryAfter ?? options.defaultRetryDelayMs ?? 1000;
    if (round === 0 && wait <= cap) {
      options.logger?.log(
        "warning",
        `${request.what}: HTTP ${status}; retrying once in ${wait} ms`,
      );
      await delay(wait, options.signal, request.what);
      continue;
    }
    if (status === 429 || retryAfter !== undefined) throw new ThrottledError(details, retryAfter);
    throw new ServerError(details, {
      message: `The identity provider failed (HTTP ${status}${
        details.errorDescription ? `: ${details.errorDescription}` : ""
      }) twice in a row. Retry later.`,
    });
  }
}
