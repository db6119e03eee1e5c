/**
 * Entra's error replies: the AADSTS error body, its HTTP status, and an internal exception
 * the handlers throw to produce one.
 *
 * @module
 */

/** An Entra error as the handlers raise it. */
export class AadError extends Error {
  /** OAuth error, e.g. `invalid_grant`. */
  readonly error: string;
  /** AADSTS number. */
  readonly code: number;
  /** HTTP status. */
  readonly status: number;
  /** `suberror`, when any. */
  readonly suberror?: string;
  /** `claims` challenge, when any. */
  readonly claims?: string;

  /**
   * @param error OAuth error.
   * @param code AADSTS number.
   * @param description Text after `AADSTSnnn: `.
   * @param extra Status (default by error), suberror, claims.
   * @example
   * ```ts
   * import { AadError } from "./aad_error.ts";
   * throw new AadError("invalid_grant", 70008, "The provided authorization code has expired.");
   * ```
   */
  constructor(
    error: string,
    code: number,
    description: string,
    extra: { status?: number; suberror?: string; claims?: string; } = {},
  ) {
    super(description);
    this.name = "AadError";
    this.error = error;
    this.code = code;
    this.status = extra.status ?? defaultStatus(error);
    this.suberror = extra.suberror;
    this.claims = extra.claims;
  }
}

/** Entra's JSON error body. */
export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

const DEFAULTS: Record<string, [number, string]> = {
  invalid_request: [900144, "The request body must contain the following parameter: 'grant_type'."],
  invalid_grant: [70000, "Provided grant is invalid or malformed."],
  invalid_client: [7000215, "Invalid client secret provided."],
  unauthorized_client: [700016, "Application was not found in the directory."],
  invalid_scope: [70011, "The provided value for the input parameter 'scope' is not valid."],
  interaction_required: [
    50076,
    "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
  ],
  consent_required: [65001, "The user or administrator has not consented to use the application."],
  login_required: [50058, "A silent sign-in request was sent but no user is signed in."],
  access_denied: [65004, "User declined to consent to access the app."],
  temporarily_unavailable: [90033, "A transient error has occurred. Please try again."],
  server_error: [90033, "A transient error has occurred. Please try again."],
  authorization_pending: [
    70016,
    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
  ],
  slow_down: [70016, "OAuth 2.0 device flow error. Polling too fast: slow down."],
  authorization_declined: [70000, "The user has declined the authorization request."],
  expired_token: [
    70020,
    "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
  ],
  bad_verification_code: [
    70019,
    "The provided value for the input parameter 'device_code' is not valid.",
  ],
};

/**
 * Default AADSTS code and description for an OAuth error name.
 *
 * @param error OAuth error, e.g. `invalid_grant`.
 * @returns The code and description Entra typically sends with it.
 * @example
 * ```ts
 * import { defaultsFor } from "./aad_error.ts";
 * console.log(defaultsFor("login_required")[0]); // 50058
 * ```
 */
export function defaultsFor(error: string): [number, string] {
  return DEFAULTS[error] ?? [90000, `Emulated error '${error}'.`];
}

/**
 * HTTP status Entra uses for an OAuth error: 401 for `invalid_client`, else 400.
 *
 * @param error OAuth error.
 * @returns The status.
 * @example
 * ```ts
 * import { defaultStatus } from "./aad_error.ts";
 * console.log(defaultStatus("invalid_client")); // 401
 * ```
 */
export function defaultStatus(error: string): number {
  return error === "invalid_client" ? 401 : 400;
}

/**
 * Formats a timestamp the way Entra writes it in errors: `2024-05-01 12:00:00Z`.
 *
 * @param ms Epoch milliseconds.
 * @returns The formatted time.
 * @example
 * ```ts
 * import { aadTimestamp } from "./aad_error.ts";
 * console.log(aadTimestamp(0)); // 1970-01-01 00:00:00Z
 * ```
 */
export function aadTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/**
 * Builds Entra's error body, with trace id, correlation id and timestamp in the description
 * (separated by CRLF, as Entra does).
 *
 * @param err The error.
 * @param correlationId Correlation id (the request's `client-request-id` or a new one).
 * @param now Epoch milliseconds.
 * @param traceId Trace id (random when absent).
 * @returns The JSON body.
 * @example
 * ```ts
 * import { AadError, errorBody } from "./aad_error.ts";
 * const body = errorBody(new AadError("invalid_grant", 70008, "Expired."), "c1", 0);
 * console.log(body.error_description.startsWith("AADSTS70008: Expired.")); // true
 * ```
 */
export function errorBody(
  err: AadError,
  correlationId: string,
  now: number,
  traceId: string = crypto.randomUUID(),
): AadErrorBody {
  const timestamp = aadTimestamp(now);
  const body: AadErrorBody = {
    error: err.error,
    error_description:
      `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
  };
  if (err.suberror !== undefined) body.suberror = err.suberror;
  if (err.claims !== undefined) body.claims = err.claims;
  return body;
}
