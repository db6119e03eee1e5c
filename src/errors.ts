/**
 * Every error entra-auth throws is an {@link EntraAuthError}: switch on `err.code`, or test
 * with `instanceof` for the families below. Messages say what to do next.
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
  | "invalid_argument";

/** Options accepted by every error constructor. */
export interface EntraAuthErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
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
   * @param code stable error code
   * @param message what happened and what to do next
   * @param options the cause, if any
   */
  constructor(code: ErrorCode, message: string, options?: EntraAuthErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
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
  readonly operation: string;
  /** The limit that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  /**
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
