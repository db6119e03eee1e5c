/**
 * The options of the persistent token cache.
 *
 * @module
 */

import type { SecretStore } from "../../ffi/keyring/failure.ts";
import type { LoggerOptions } from "../logger.ts";

/**
 * Options of `createPersistentCache`.
 *
 * @example
 * ```ts
 * import { createPersistentCache, type PersistentCacheOptions } from "@entra-auth/core";
 * const options: PersistentCacheOptions = { encryption: "keyring", lockTimeoutMs: 5_000 };
 * console.log(createPersistentCache(options).path);
 * ```
 */
export interface PersistentCacheOptions {
  /**
   * How the file is protected: `"keyring"` encrypts it with a key kept in the OS keyring
   * (Secret Service on Linux, Keychain on macOS, DPAPI on Windows); `"plaintext"` writes
   * MSAL's shared JSON format readable by other MSAL libraries, protected only by the
   * file's permissions. Required: there is no silent fallback from one to the other.
   */
  encryption: "keyring" | "plaintext";
  /** The cache file. Default: `<user cache folder>/entra-auth/<name>.json`. */
  path?: string;
  /** The cache's name: the default file name and the keyring entry. Default `token_cache`. */
  name?: string;
  /** The longest wait for another process's lock. Default 10 s. */
  lockTimeoutMs?: number;
  /** A lock older than this is taken over even if its owner seems alive. Default 30 s. */
  staleLockMs?: number;
  /** What to do with an unreadable file: keep it aside and start afresh, or throw. */
  onCorrupt?: "backup" | "throw";
  /** Where warnings go (default: `console.warn` for warnings, nothing else). */
  logger?: LoggerOptions;
  /** Keep the key in this store instead of the OS keyring (custom keyrings, tests). */
  secretStore?: SecretStore;
}
