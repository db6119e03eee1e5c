/**
 * The application's transport limits (`PublicClientApplicationOptions.http`): the time limit
 * of each HTTP exchange, the cap of a reply's size, and the longest `Retry-After` waited for.
 * None is a protocol parameter.
 *
 * @module
 */

import { EntraAuthError } from "./errors.ts";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "./network/http.ts";

/**
 * Limits of every request to the identity provider (metadata, instance discovery, token,
 * device code).
 *
 * @example
 * ```ts
 * import type { HttpSettings } from "@entra-auth/core";
 * const http: HttpSettings = { timeoutMs: 10_000, maxResponseBytes: 262_144, maxRetryAfterMs: 5_000 };
 * ```
 */
export interface HttpSettings {
  /**
   * Time limit of one HTTP exchange (connect, request, the whole reply), ms. Default 30 000.
   * It ends in an `EntraAuthError` with code `timeout`.
   */
  timeoutMs?: number;
  /**
   * The largest reply body read, bytes. Default 1 048 576 (1 MiB). A larger or endless body
   * is cut off as soon as it passes the cap: `EntraAuthError` code `invalid_response`.
   */
  maxResponseBytes?: number;
  /**
   * The longest `Retry-After` of a 429/5xx honoured by waiting before the one retry, ms.
   * Default 60 000; a longer one fails at once with a `ThrottledError` carrying `retryAfterMs`.
   */
  maxRetryAfterMs?: number;
}

/** The defaults of {@link HttpSettings}. */
export const HTTP_DEFAULTS: Readonly<Required<HttpSettings>> = Object.freeze({
  timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
});

function positive(value: unknown, name: string, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0
    || (!allowZero && value === 0) || value > 2_147_483_647
  ) {
    throw new EntraAuthError(
      "invalid_argument",
      `http.${name} must be a ${allowZero ? "non-negative" : "positive"} number `
        + `(at most 2147483647), got ${String(value)}.`,
    );
  }
  return value;
}

/**
 * Checks the app's `http` option and maps it to the network path's settings.
 *
 * @param http the option (may be absent)
 * @returns `requestTimeoutMs`, `maxResponseBytes`, `maxRetryAfterMs` (each absent when not set)
 * @throws EntraAuthError `invalid_argument` for a value that is not a positive number
 * @example
 * ```ts
 * import { httpSettings } from "./http_settings.ts";
 * httpSettings({ timeoutMs: 5_000 }); // { requestTimeoutMs: 5000, … }
 * ```
 */
export function httpSettings(http: HttpSettings | undefined): {
  requestTimeoutMs?: number;
  maxResponseBytes?: number;
  maxRetryAfterMs?: number;
} {
  if (http === undefined) return {};
  if (typeof http !== "object" || http === null) {
    throw new EntraAuthError(
      "invalid_argument",
      "http must be an object such as { timeoutMs: 30000 }.",
    );
  }
  return {
    requestTimeoutMs: positive(http.timeoutMs, "timeoutMs", false),
    maxResponseBytes: positive(http.maxResponseBytes, "maxResponseBytes", false),
    maxRetryAfterMs: positive(http.maxRetryAfterMs, "maxRetryAfterMs", true),
  };
}
