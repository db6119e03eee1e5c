/**
 * The headers MSAL libraries send with every request to Entra ID: `client-request-id`, the
 * `x-client-*` library and platform headers, `x-ms-lib-capability` (this client honours
 * `Retry-After` and HTTP 429) and the server telemetry headers (schema 4).
 *
 * @module
 */

import { arch, platform } from "node:os";

/** The SKU reported in `x-client-SKU`. */
export const CLIENT_SKU = "entra-auth.js";

/** The version reported in `x-client-Ver` (the package version). */
export const CLIENT_VERSION = "0.1.0";

/** API ids reported in `x-client-current-telemetry` (the values MSAL uses). */
export const API_IDS: {
  readonly interactive: 169;
  readonly authorizationCode: 832;
  readonly deviceCode: 671;
  readonly refreshToken: 85;
  readonly silent: 84;
} = {
  interactive: 169,
  authorizationCode: 832,
  deviceCode: 671,
  refreshToken: 85,
  silent: 84,
};

/** What a request reports in `x-client-current-telemetry`. */
export interface TelemetryInfo {
  /** The public API that caused the request, e.g. {@link API_IDS}.deviceCode. */
  apiId: number;
  /** Why a cached token was not used: 1 forced, 2 no cached token, 3 expired, 4 refresh_in passed. */
  cacheInfo?: number;
}

/**
 * The headers for one request.
 *
 * @param correlationId the `client-request-id`
 * @param telemetry the API id and cache info, if any
 * @returns header names and values
 * @example
 * ```ts
 * import { clientHeaders } from "./telemetry.ts";
 * clientHeaders(crypto.randomUUID(), { apiId: 671 })["x-client-current-telemetry"]; // "4|671,0|"
 * ```
 */
export function clientHeaders(
  correlationId: string,
  telemetry?: TelemetryInfo,
): Record<string, string> {
  const headers: Record<string, string> = {
    "client-request-id": correlationId,
    "return-client-request-id": "true",
    "x-client-SKU": CLIENT_SKU,
    "x-client-Ver": CLIENT_VERSION,
    "x-client-OS": platform(),
    "x-client-CPU": arch(),
    "x-ms-lib-capability": "retry-after, h429",
  };
  if (telemetry !== undefined) {
    headers["x-client-current-telemetry"] = `4|${telemetry.apiId},${telemetry.cacheInfo ?? 0}|`;
    headers["x-client-last-telemetry"] = "4|0|||";
  }
  return headers;
}
