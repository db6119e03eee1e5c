/**
 * The error the token cache throws: a {@link EntraAuthError} with code `cache_error` and a
 * `reason` that says what was wrong.
 *
 * @module
 */

import { EntraAuthError, type EntraAuthErrorOptions } from "../errors.ts";

/** Why the cache refused an input or an operation. */
export type CacheErrorReason =
  /** The serialized cache is empty (a truncated file?). */
  | "empty"
  /** The serialized cache is not JSON (truncated or corrupt). */
  | "not_json"
  /** JSON, but not the shape of MSAL's shared cache format. */
  | "wrong_shape"
  /** A token response cannot be cached (no account can be derived from it). */
  | "invalid_response";

/** Options of {@link CacheError}. */
export interface CacheErrorOptions extends EntraAuthErrorOptions {
  /** Where in the input the problem is, e.g. `AccessToken["k"].expires_on`. */
  path?: string;
}

/**
 * The token cache rejected its input: a serialized cache that is corrupt or of the wrong
 * shape (the in-memory cache is left untouched), or a token response it cannot store.
 *
 * @example
 * ```ts
 * import { CacheError, TokenCache } from "@entra-auth/core";
 * const cache = new TokenCache();
 * try {
 *   cache.deserialize("{ truncated");
 * } catch (err) {
 *   if (err instanceof CacheError) console.log(err.code, err.reason); // "cache_error" "not_json"
 * }
 * ```
 */
export class CacheError extends EntraAuthError {
  /** What was wrong. */
  readonly reason: CacheErrorReason;
  /** Where in the input, when it is about one field or entry. */
  readonly path?: string;

  /**
   * @param reason what was wrong
   * @param message what happened and what to do next
   * @param options the cause and the path in the input
   */
  /**
   * Creates a CacheError.
   *
   * @param reason what is wrong
   * @param message what happened and what to do
   * @param options the cause
   */
  constructor(reason: CacheErrorReason, message: string, options: CacheErrorOptions = {}) {
    super("cache_error", message, options);
    this.reason = reason;
    this.path = options.path;
  }
}
