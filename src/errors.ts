/**
 * Every error entra-auth throws is an {@link EntraAuthError}: switch on `err.code`, or test
 * with `instanceof` for the families below. Messages say what to do next.
 *
 * The families, as an app handles them (docs/errors.md has the table):
 *
 * - {@link InteractionRequiredError}: sign the user in interactively;
 * - {@link ServerError} (and `ThrottledError`): the identity provider refused the request;
 * - {@link NetworkError}: the network or the service is unreachable, retry later;
 * - {@link UserCanceledError}: the user (or the app) canceled;
 * - {@link RedirectUriError}: the app registration lacks the redirect URI;
 * - {@link BrokerError}: the OS broker itself failed, timed out or cannot be used;
 * - {@link NativeLibraryError}, {@link NativeTimeoutError}: the native layer.
 *
 * None of the first five extends {@link BrokerError}: an error that came from the broker, of
 * any family, carries the broker's report in {@link EntraAuthError.broker}.
 *
 * @module
 */

/** The machine-readable code carried by every {@link EntraAuthError}. */
export type ErrorCode =
  | "native_library_missing"
  | "native_dependency_missing"
  | "native_symbol_missing"
  | "native_load_failed"
  | "native_call_timeout"
  | "native_call_failed"
  | "invalid_argument"
  | "interaction_required"
  | "user_canceled"
  | "network_error"
  | "broker_error"
  | "broker_unavailable"
  | "broker_timeout"
  | "redirect_uri_not_registered"
  | "no_window"
  | "server_error"
  | "invalid_grant"
  | "invalid_response"
  | "throttled"
  | "state_mismatch"
  | "nonce_mismatch"
  | "no_browser"
  | "timeout"
  | "aborted"
  | "permission_denied"
  | "cache_error";

/** Options accepted by every error constructor. */
export interface EntraAuthErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** What MSALRuntime reported, when the error comes from the broker. */
  broker?: BrokerErrorInfo;
  /** The operation that failed. */
  operation?: string;
}

/**
 * The base class of every error thrown by entra-auth.
 *
 * @example
 * ```ts
 * import { EntraAuthError } from "@entra-auth/core";
 * try {
 *   throw new EntraAuthError("invalid_argument", "scopes must not be empty");
 * } catch (err) {
 *   if (err instanceof EntraAuthError) console.log(err.code);
 * }
 * ```
 */
export class EntraAuthError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: ErrorCode;
  /**
   * What the OS broker (MSALRuntime) reported, when the error came from it, whatever its
   * family: status, error code, tag and context.
   */
  readonly broker?: BrokerErrorInfo;
  /** The operation that failed, when known. */
  readonly operation?: string;

  /**
   * Creates an EntraAuthError.
   *
   * @param code stable error code
   * @param message what happened and what to do next
   * @param options the cause, the broker's report and the operation, if any
   */
  constructor(code: ErrorCode, message: string, options?: EntraAuthErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    if (options?.broker) this.broker = options.broker;
    if (options?.operation) this.operation = options.operation;
  }
}

/** Why a native library could not be used. */
export type NativeLibraryErrorCode =
  | "native_library_missing"
  | "native_dependency_missing"
  | "native_symbol_missing"
  | "native_load_failed";

/** Details carried by a {@link NativeLibraryError}. */
export interface NativeLibraryErrorDetails extends EntraAuthErrorOptions {
  /** The library that was being loaded (path or name). */
  library: string;
  /** The missing dependency (`libfoo.so.1`) or symbol, when that is the cause. */
  missing?: string;
  /** The loader's own message. */
  loaderMessage?: string;
}

/**
 * A native library could not be loaded: the file is missing, one of its own dependencies is
 * missing (`missing` names it), a symbol is absent, or the loader refused it.
 *
 * @example
 * ```ts
 * import { NativeLibraryError } from "@entra-auth/core";
 * const err = new NativeLibraryError(
 *   "native_dependency_missing",
 *   "libmsalruntime.so needs libsecret-1.so.0: apt-get install libsecret-1-0",
 *   { library: "libmsalruntime.so", missing: "libsecret-1.so.0" },
 * );
 * console.log(err.missing); // "libsecret-1.so.0"
 * ```
 */
export class NativeLibraryError extends EntraAuthError {
  /** The library that was being loaded. */
  readonly library: string;
  /** The missing dependency or symbol, when known. */
  readonly missing?: string;
  /** The dynamic loader's message. */
  readonly loaderMessage?: string;

  /**
   * Creates a NativeLibraryError.
   *
   * @param code which failure
   * @param message what happened and what to do next
   * @param details the library, the missing piece and the loader's message
   */
  constructor(code: NativeLibraryErrorCode, message: string, details: NativeLibraryErrorDetails) {
    super(code, message, details);
    this.library = details.library;
    this.missing = details.missing;
    this.loaderMessage = details.loaderMessage;
  }
}

/**
 * A native asynchronous call did not complete within its time limit. The call is abandoned:
 * if it completes later, its result is released and dropped.
 *
 * @example
 * ```ts
 * import { NativeTimeoutError } from "@entra-auth/core";
 * const err = new NativeTimeoutError("MSALRUNTIME_SignInSilentlyAsync", 30_000);
 * console.log(err.code, err.timeoutMs); // "native_call_timeout" 30000
 * ```
 */
export class NativeTimeoutError extends EntraAuthError {
  /** The operation that timed out. */
  override readonly operation: string;
  /** The limit that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * Creates a NativeTimeoutError.
   *
   * @param operation the native operation
   * @param timeoutMs the limit that elapsed
   * @param message overrides the default message
   */
  constructor(operation: string, timeoutMs: number, message?: string) {
    super(
      "native_call_timeout",
      message
        ?? `${operation} did not complete within ${timeoutMs} ms; it was abandoned. `
          + "Raise the timeout if the operation is legitimately slow.",
    );
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** What MSALRuntime reported for a failed broker operation. */
export interface BrokerErrorInfo {
  /** MSALRUNTIME_RESPONSE_STATUS: 2 interaction required, 7 user canceled, … */
  status: number;
  /** The broker's error code (often an HRESULT or AADSTS number). */
  errorCode: number;
  /** Where in MSALRuntime the error was raised (32-bit tag). */
  tag: number;
  /** The broker's message; personal data is redacted unless PII logging is on. */
  context: string;
}

/**
 * MSALRuntime's status names, by value.
 *
 * @example
 * ```ts
 * import { BROKER_STATUS_NAMES } from "@entra-auth/core";
 * console.log(BROKER_STATUS_NAMES[2]); // "InteractionRequired"
 * ```
 */
export const BROKER_STATUS_NAMES: readonly string[] = [
  "Unexpected",
  "Reserved",
  "InteractionRequired",
  "NoNetwork",
  "NetworkTemporarilyUnavailable",
  "ServerTemporarilyUnavailable",
  "ApiContractViolation",
  "UserCanceled",
  "ApplicationCanceled",
  "IncorrectConfiguration",
  "InsufficientBuffer",
  "AuthorityUntrusted",
  "UserSwitch",
  "AccountUnusable",
  "UserDataRemovalRequired",
  "KeyNotFound",
  "AccountNotFound",
  "TransientError",
  "AccountSwitch",
  "RequiredBrokerMissing",
  "DeviceNotRegistered",
  "FallbackToNativeMsal",
];

/** Options of the broker-related error constructors (the broker's report and the operation). */
export type BrokerErrorOptions = EntraAuthErrorOptions;

/**
 * The OS authentication broker (through MSALRuntime) failed in a way no other family
 * describes (`broker_error`), did not answer in time (`broker_timeout`), cannot be used
 * (`broker_unavailable`, e.g. with `broker.required`), or has no window to show
 * (`no_window`). `status`, `errorCode`, `tag` and `context` repeat the broker's report
 * ({@link EntraAuthError.broker}) when there is one. Interaction required, cancel, network
 * and redirect URI failures reported by the broker are their own families, not this one.
 *
 * @example
 * ```ts
 * import { BrokerError } from "@entra-auth/core";
 * const err = new BrokerError("broker_error", "the broker failed", {
 *   broker: { status: 0, errorCode: 0, tag: 0, context: "DBUS failed to send a message" },
 * });
 * console.log(err.status); // 0
 * ```
 */
export class BrokerError extends EntraAuthError {
  /** MSALRUNTIME_RESPONSE_STATUS, when MSALRuntime reported one. */
  readonly status?: number;
  /** The broker's error code. */
  readonly errorCode?: number;
  /** MSALRuntime's error tag. */
  readonly tag?: number;
  /** The broker's message. */
  readonly context?: string;

  /**
   * Creates a BrokerError.
   *
   * @param code which failure
   * @param message what happened and what to do next
   * @param options the broker's report and the operation
   */
  constructor(code: ErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(code, message, options);
    this.status = options.broker?.status;
    this.errorCode = options.broker?.errorCode;
    this.tag = options.broker?.tag;
    this.context = options.broker?.context;
  }
}

/**
 * The user must sign in interactively (or consent, or satisfy a policy): silent acquisition
 * cannot succeed. Call `acquireTokenInteractive`.
 *
 * @example
 * ```ts
 * import { InteractionRequiredError } from "@entra-auth/core";
 * const err = new InteractionRequiredError("sign in again");
 * console.log(err.code); // "interaction_required"
 * ```
 */
export class InteractionRequiredError extends EntraAuthError {
  /** The identity provider's error response, when the server (not the broker) required it. */
  readonly server?: ServerErrorDetails;

  /**
   * Creates an InteractionRequiredError.
   *
   * @param message what happened
   * @param options the broker's report, or the server's error response, if any
   */
  constructor(
    message: string,
    options: BrokerErrorOptions & { server?: ServerErrorDetails; } = {},
  ) {
    super("interaction_required", message, options);
    this.server = options.server;
  }

  /** A claims challenge to pass as `claims` to `acquireTokenInteractive`, when given. */
  get claims(): string | undefined {
    return this.server?.claims;
  }
}

/**
 * The user (or the application) canceled the sign-in.
 *
 * @example
 * ```ts
 * import { UserCanceledError } from "@entra-auth/core";
 * console.log(new UserCanceledError("canceled").code); // "user_canceled"
 * ```
 */
export class UserCanceledError extends EntraAuthError {
  /**
   * Creates an UserCanceledError.
   *
   * @param message what happened
   * @param options the broker's report, if any
   */
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super("user_canceled", message, options);
  }
}

/**
 * The network or the identity service was unreachable; retrying later may succeed.
 *
 * @example
 * ```ts
 * import { NetworkError } from "@entra-auth/core";
 * console.log(new NetworkError("offline").code); // "network_error"
 * ```
 */
export class NetworkError extends EntraAuthError {
  /**
   * Creates a NetworkError.
   *
   * @param message what happened
   * @param options the broker's report, if any
   */
  constructor(message: string, options: BrokerErrorOptions = {}) {
    super("network_error", message, options);
  }
}

/**
 * The app's redirect URI is not registered for the broker (AADSTS50011). `redirectUri` is the
 * value to add to the app registration.
 *
 * @example
 * ```ts
 * import { RedirectUriError } from "@entra-auth/core";
 * const err = new RedirectUriError("https://login.microsoftonline.com/common/oauth2/nativeclient");
 * console.log(err.redirectUri);
 * ```
 */
export class RedirectUriError extends EntraAuthError {
  /** The redirect URI to register. */
  readonly redirectUri: string;

  /**
   * Creates a RedirectUriError.
   *
   * @param redirectUri the URI the app must register
   * @param options the broker's report, if any
   */
  constructor(redirectUri: string, options: BrokerErrorOptions = {}) {
    super(
      "redirect_uri_not_registered",
      `The redirect URI ${redirectUri} is not registered for this app (AADSTS50011). In the `
        + "Entra admin center, open the app registration, Authentication, add a platform "
        + `"Mobile and desktop applications" and add ${redirectUri} as a redirect URI.`,
      options,
    );
    this.redirectUri = redirectUri;
  }
}

/**
 * Maps what MSALRuntime reported to the error an app can handle.
 *
 * @param info the broker's report
 * @param operation the operation that failed
 * @returns the typed error
 * @example
 * ```ts
 * import { brokerErrorFrom } from "@entra-auth/core";
 * const err = brokerErrorFrom({ status: 2, errorCode: 0, tag: 0, context: "" }, "silent");
 * console.log(err.code); // "interaction_required"
 * ```
 */
export function brokerErrorFrom(info: BrokerErrorInfo, operation: string): EntraAuthError {
  const name = BROKER_STATUS_NAMES[info.status] ?? `status ${info.status}`;
  const detail = `${operation}: ${name} (status ${info.status}, error code ${info.errorCode}, `
    + `tag 0x${info.tag.toString(16)})${info.context ? `: ${info.context}` : ""}`;
  const options = { broker: info, operation };
  switch (info.status) {
    case 2:
    case 13:
      return new InteractionRequiredError(
        `Interaction required. ${detail}. Call acquireTokenInteractive.`,
        options,
      );
    case 7:
    case 8:
      return new UserCanceledError(`Sign-in was canceled. ${detail}`, options);
    case 3:
    case 4:
    case 5:
    case 17:
      return new NetworkError(
        `The network or the service is unavailable. ${detail}. Retry later.`,
        options,
      );
    default:
      if (/AADSTS50011/.test(info.context)) {
        const uri = /redirect URI[^']*'([^']+)'/i.exec(info.context)?.[1] ?? "(see the message)";
        return new RedirectUriError(uri, options);
      }
      return new BrokerError(
        "broker_error",
        `The authentication broker failed. ${detail}`,
        options,
      );
  }
}

/** The fields of an OAuth error response from the identity provider. */
export interface ServerErrorDetails {
  /** HTTP status. */
  httpStatus: number;
  /** `error`, e.g. `invalid_grant`, `interaction_required`. */
  error: string;
  /** `error_description`, e.g. `AADSTS50076: …`. */
  errorDescription?: string;
  /** `error_codes`: the AADSTS numbers. */
  errorCodes?: number[];
  /** `suberror`, e.g. `basic_action`, `consent_required`. */
  subError?: string;
  /** `correlation_id`. */
  correlationId?: string;
  /** `trace_id`. */
  traceId?: string;
  /** `timestamp`. */
  timestamp?: string;
  /** A claims challenge to pass back as `claims` when signing in again. */
  claims?: string;
}

/**
 * An error response from the identity provider (token, device code or authorize endpoint).
 *
 * @example
 * ```ts
 * import { ServerError } from "@entra-auth/core";
 * const err = new ServerError({ httpStatus: 400, error: "invalid_scope", errorCodes: [70011] });
 * console.log(err.error, err.errorCodes); // "invalid_scope" [70011]
 * ```
 */
export class ServerError extends EntraAuthError {
  /** HTTP status. */
  readonly httpStatus: number;
  /** The OAuth `error`. */
  readonly error: string;
  /** The OAuth `error_description`. */
  readonly errorDescription?: string;
  /** AADSTS numbers. */
  readonly errorCodes?: number[];
  /** The `suberror`. */
  readonly subError?: string;
  /** The server's correlation id. */
  readonly correlationId?: string;
  /** The server's trace id. */
  readonly traceId?: string;
  /** A claims challenge. */
  readonly claims?: string;

  /**
   * Creates a ServerError.
   *
   * @param details the error response's fields
   * @param options `code` (default `server_error`), `message`, `cause`
   */
  constructor(
    details: ServerErrorDetails,
    options: EntraAuthErrorOptions & { code?: ErrorCode; message?: string; } = {},
  ) {
    super(
      options.code ?? "server_error",
      options.message
        ?? `The identity provider returned ${details.error}`
          + (details.errorDescription ? `: ${details.errorDescription}` : "")
          + ` (HTTP ${details.httpStatus})`,
      options,
    );
    this.httpStatus = details.httpStatus;
    this.error = details.error;
    this.errorDescription = details.errorDescription;
    this.errorCodes = details.errorCodes;
    this.subError = details.subError;
    this.correlationId = details.correlationId;
    this.traceId = details.traceId;
    this.claims = details.claims;
  }
}
