/**
 * Error replies of the identity provider: parsing an OAuth error body (Entra's AADSTS fields
 * included) into {@link ServerErrorDetails}, and mapping it to the error an app handles.
 *
 * @module
 */

import {
  type ErrorCode,
  InteractionRequiredError,
  ServerError,
  type ServerErrorDetails,
} from "../errors.ts";
import { isJsonObject } from "./validate.ts";

/** OAuth errors that only an interactive sign-in can resolve. */
export const INTERACTION_REQUIRED_ERRORS: readonly string[] = [
  "invalid_grant",
  "interaction_required",
  "consent_required",
  "login_required",
  "bad_token",
];

/**
 * A throttling reply (HTTP 429, or a 5xx with `Retry-After`) that persisted after the one
 * retry, or whose `Retry-After` exceeded the cap. Wait `retryAfterMs` before trying again.
 *
 * @example
 * ```ts
 * import { ThrottledError } from "./server_error.ts";
 * const err = new ThrottledError({ httpStatus: 429, error: "temporarily_unavailable" }, 5000);
 * console.log(err.code, err.retryAfterMs); // "throttled" 5000
 * ```
 */
export class ThrottledError extends ServerError {
  /** How long the server asked to wait, in ms (`undefined` when it did not say). */
  readonly retryAfterMs?: number;

  /**
   * @param details the error reply's fields
   * @param retryAfterMs the server's `Retry-After`, in ms
   */
  /**
   * Creates a ThrottledError.
   *
   * @param details the server's error
   * @param retryAfterMs how long the server asked to wait, when it said
   */
  constructor(details: ServerErrorDetails, retryAfterMs?: number) {
    super(details, {
      code: "throttled",
      message: `The identity provider is throttling requests (HTTP ${details.httpStatus}`
        + (details.errorDescription ? `: ${details.errorDescription}` : "")
        + `). ${
          retryAfterMs === undefined
            ? "Retry later."
            : `Retry after ${Math.ceil(retryAfterMs / 1000)} s.`
        }`,
    });
    this.retryAfterMs = retryAfterMs;
  }
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Reads an OAuth error body. Fields of the wrong type are dropped rather than trusted.
 * When `error_codes` is absent, AADSTS numbers are taken from `error_description`.
 *
 * @param httpStatus the reply's status
 * @param body the parsed JSON body
 * @returns the details, or `undefined` when the body has no string `error`
 * @example
 * ```ts
 * import { parseErrorBody } from "./server_error.ts";
 * parseErrorBody(400, { error: "invalid_grant", error_codes: [70000] })?.errorCodes; // [70000]
 * ```
 */
export function parseErrorBody(httpStatus: number, body: unknown): ServerErrorDetails | undefined {
  if (!isJsonObject(body)) return undefined;
  const error = stringField(body, "error");
  if (error === undefined) return undefined;
  const details: ServerErrorDetails = { httpStatus, error };
  const description = stringField(body, "error_description");
  if (description !== undefined) details.errorDescription = description;
  const codes = body["error_codes"];
  if (Array.isArray(codes) && codes.every((c) => typeof c === "number")) {
    details.errorCodes = codes as number[];
  } else if (description !== undefined) {
    const found = [...description.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
    if (found.length > 0) details.errorCodes = found;
  }
  const subError = stringField(body, "suberror") ?? stringField(body, "error_subcode");
  if (subError !== undefined) details.subError = subError;
  const correlationId = stringField(body, "correlation_id");
  if (correlationId !== undefined) details.correlationId = correlationId;
  const traceId = stringField(body, "trace_id");
  if (traceId !== undefined) details.traceId = traceId;
  const timestamp = stringField(body, "timestamp");
  if (timestamp !== undefined) details.timestamp = timestamp;
  const claims = stringField(body, "claims");
  if (claims !== undefined) details.claims = claims;
  return details;
}

/**
 * The error to throw for an error reply: {@link InteractionRequiredError} (with `server`) for
 * `invalid_grant`, `interaction_required`, `consent_required`, `login_required` and
 * `bad_token`; otherwise a {@link ServerError} (code `server_error`, or `options.code`).
 *
 * @param details the parsed reply
 * @param options `code` for the non-interaction case, `hint` appended to the message
 * @returns the error
 * @example
 * ```ts
 * import { errorFromServer } from "./server_error.ts";
 * const err = errorFromServer({ httpStatus: 400, error: "invalid_grant" });
 * console.log(err.code); // "interaction_required"
 * ```
 */
export function errorFromServer(
  details: ServerErrorDetails,
  options: { code?: ErrorCode; hint?: string; } = {},
): ServerError | InteractionRequiredError {
  const summary = `${details.error}${
    details.errorDescription ? `: ${details.errorDescription}` : ""
  } (HTTP ${details.httpStatus})`;
  if (INTERACTION_REQUIRED_ERRORS.includes(details.error)) {
    return new InteractionRequiredError(
      `The identity provider requires an interactive sign-in: ${summary}. `
        + (options.hint
          ?? "Call acquireTokenInteractive, passing `claims` when the error has them."),
      { server: details },
    );
  }
  const codes = details.errorCodes ?? [];
  let hint = options.hint;
  if (hint === undefined && codes.includes(7000218)) {
    hint = "The app registration must allow public client flows: in the Entra admin center, "
      + "open the app registration, Authentication, and set \"Allow public client flows\" to Yes.";
  } else if (hint === undefined && codes.includes(53000)) {
    hint = "Conditional Access requires a compliant or managed device: sign in through the OS "
      + "broker (enableBrokerOnLinux / enableBrokerOnMac / enableBrokerOnWindows).";
  }
  return new ServerError(details, {
    code: options.code,
    message: `The identity provider returned ${summary}.${hint ? ` ${hint}` : ""}`,
  });
}
