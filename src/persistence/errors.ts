/**
 * The error of the persistent token cache: an {@link EntraAuthError} with code `cache_error`
 * and a `reason` to switch on. Messages name the file and say what to do next.
 *
 * @module
 */

import { EntraAuthError, type EntraAuthErrorOptions } from "../errors.ts";

/** Why the persistent cache failed. */
export type PersistentCacheErrorReason =
  /** Another process held the lock for longer than `lockTimeoutMs`. */
  | "lock_timeout"
  /** No OS keyring could be reached (no Secret Service, no D-Bus session, no libsecret). */
  | "keyring_unavailable"
  /** The keyring answered, but refused or failed the operation. */
  | "keyring_error"
  /** The file is not a cache: truncated, not JSON, wrong shape (see `backupPath`). */
  | "corrupt"
  /** The file is encrypted, but it cannot be decrypted with the key in the keyring. */
  | "undecryptable"
  /** The file is encrypted and the cache was opened with `encryption: "plaintext"`. */
  | "encrypted_file"
  /** Reading, writing or renaming the file failed (permissions, disk full, …). */
  | "io_error"
  /** The keyring (its collection) is locked, and unlocking it failed or was refused. */
  | "keyring_locked"
  /** The file names the key it was encrypted with, and the keyring does not hold it. */
  | "key_not_found"
  /** The cache or lock file belongs to another user, or others may write it (POSIX). */
  | "insecure_file"
  /** The lock was taken over while this process held it (stalled past `staleLockMs`), repeatedly. */
  | "lock_lost";

/** Options of {@link PersistentCacheError}. */
export interface PersistentCacheErrorOptions extends EntraAuthErrorOptions {
  /** The cache file concerned. */
  path?: string;
  /** Where the unreadable file was moved, when it was kept aside. */
  backupPath?: string;
}

/**
 * The persistent cache could not load or save the token cache.
 *
 * @example
 * ```ts
 * import { PersistentCacheError } from "@entra-auth/core";
 * try {
 *   throw new PersistentCacheError("lock_timeout", "the cache is locked");
 * } catch (err) {
 *   if (err instanceof PersistentCacheError && err.reason === "lock_timeout") console.log(err.path);
 * }
 * ```
 */
export class PersistentCacheError extends EntraAuthError {
  /** What went wrong. */
  readonly reason: PersistentCacheErrorReason;
  /** The cache file concerned, if any. */
  readonly path?: string;
  /** Where an unreadable file was kept aside, if it was. */
  readonly backupPath?: string;

  /**
   * @param reason what went wrong
   * @param message what happened and what to do next
   * @param options cause, file, backup
   */
  /**
   * Creates a PersistentCacheError.
   *
   * @param reason what failed
   * @param message what happened and what to do
   * @param options the file's path and the cause
   */
  constructor(
    reason: PersistentCacheErrorReason,
    message: string,
    options: PersistentCacheErrorOptions = {},
  ) {
    super("cache_error", message, options);
    this.reason = reason;
    this.path = options.path;
    this.backupPath = options.backupPath;
  }
}
