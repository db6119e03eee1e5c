/**
 * The persistent token cache: a {@link CachePlugin} that keeps the cache in a file, safe to
 * share between processes and runtimes (Deno, Bun, Node, msal-node, MSAL Python).
 *
 * - Before every access the file is re-read (skipped when its inode, size and mtime are
 *   those this process last read or wrote). Reads take no lock: writes replace the file
 *   atomically, so a reader sees the old or the new file, never a mix.
 * - After an access that changed the cache, under the lock file, the file is re-read and
 *   this process's changes are merged into it entry by entry (see `merge.ts`), then written
 *   atomically (temporary file, fsync, rename, fsync of the folder), owner-only (0600).
 * - With `encryption: "keyring"` the file is AES-256-GCM encrypted with a random key kept in
 *   the OS keyring; `"plaintext"` writes MSAL's shared JSON format as is.
 * - An unreadable file (truncated, not JSON, wrong shape, undecryptable) is moved aside as
 *   `<file>.corrupt-<time>` and a warning logged (`onCorrupt: "backup"`, the default), or a
 *   {@link PersistentCacheError} thrown (`onCorrupt: "throw"`). Never silently wiped.
 *
 * @module
 */

import type { SecretStore } from "../../ffi/keyring/failure.ts";
import { parseCache } from "../cache/parse.ts";
import type { CachePlugin, SerializableTokenCache, TokenCacheContext } from "../cache/plugin.ts";
import { Logger, type LoggerOptions } from "../logger.ts";
import {
  ensureFolder,
  type FileSnapshot,
  fileVersion,
  keepAside,
  readSnapshot,
  removeLeftovers,
  writeAtomic,
} from "./atomic_file.ts";
import { isEncrypted, open, seal } from "./envelope.ts";
import { PersistentCacheError, type PersistentCacheErrorReason } from "./errors.ts";
import { type CacheKeySource, openKeySource } from "./key_source.ts";
import { defaultCachePath } from "./location.ts";
import { FileLock } from "./lock.ts";
import { type CacheDocument, mergeCache } from "./merge.ts";

/** Options of {@link createPersistentCache}. */
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

/** What the plug-in knows about one in-memory cache. */
interface CacheState {
  /** The file as this process last read or wrote it (normalized by the cache). */
  base: CacheDocument;
  /** That file's version, or undefined when there was no file. */
  version: string | undefined;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A persistent, cross-process token cache plug-in. Create it with
 * {@link createPersistentCache}.
 *
 * @example
 * ```ts
 * import { createPersistentCache, PublicClientApplication } from "@entra-auth/core";
 * const cachePlugin = createPersistentCache({ encryption: "keyring" });
 * const app = new PublicClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   cache: { cachePlugin },
 * });
 * console.log((await app.getAccounts()).length, cachePlugin.path);
 * ```
 */
export class PersistentCache implements CachePlugin {
  /** The cache file. */
  readonly path: string;
  /** The lock file. */
  readonly lockPath: string;
  readonly #options: PersistentCacheOptions;
  readonly #name: string;
  readonly #logger: Logger;
  readonly #states = new WeakMap<SerializableTokenCache, CacheState>();
  #keySource: Promise<CacheKeySource> | undefined;
  #key: Uint8Array | undefined;
  #cleaned = false;

  /** @param options see {@link PersistentCacheOptions} */
  /**
   * Creates a PersistentCache.
   *
   * @param options where the file is and how it is protected
   * @throws EntraAuthError `invalid_argument` for options that do not fit together
   */
  constructor(options: PersistentCacheOptions) {
    if (options.encryption !== "keyring" && options.encryption !== "plaintext") {
      throw new PersistentCacheError(
        "io_error",
        "createPersistentCache needs encryption: \"keyring\" (encrypted with a key in the OS "
          + "keyring) or \"plaintext\" (explicit opt-in to an unencrypted file).",
      );
    }
    this.#options = options;
    this.#name = options.name ?? "token_cache";
    this.path = options.path ?? defaultCachePath(this.#name);
    this.lockPath = `${this.path}.lock`;
    this.#logger = new Logger(options.logger);
  }

  /**
   * Loads the file into the cache (skipped when the file has not changed since this
   * process last read or wrote it).
   *
   * @param ctx the access's context
   * @throws PersistentCacheError `keyring_unavailable`, `keyring_error`, `encrypted_file`,
   *   `io_error`, or `corrupt` / `undecryptable` with `onCorrupt: "throw"`
   */
  async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
    const cache = ctx.tokenCache;
    const state = this.#states.get(cache);
    if (state && state.version === (await this.#io(() => fileVersion(this.path)))) return;
    this.#states.delete(cache);
    const snapshot = await this.#io(() => readSnapshot(this.path));
    const text = snapshot ? await this.#readable(snapshot, false) : undefined;
    cache.deserialize(text ?? "{}");
    this.#states.set(cache, {
      base: JSON.parse(cache.serialize()),
      version: text === undefined ? undefined : snapshot?.version,
    });
  }

  /**
   * Saves the cache's changes, if any: under the lock, merged into the file as it is now,
   * written atomically. The cache then holds the merged contents.
   *
   * @param ctx the access's context
   * @throws PersistentCacheError `lock_timeout`, `keyring_unavailable`, `keyring_error`,
   *   `io_error`, or `corrupt` / `undecryptable` with `onCorrupt: "throw"`
   */
  async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
    if (!ctx.cacheHasChanged) return;
    const cache = ctx.tokenCache;
    const state = this.#states.get(cache) ?? { base: {}, version: undefined };
    this.#states.delete(cache); // until the write succeeds: the next access reloads
    const mine = JSON.parse(cache.serialize()) as CacheDocument;
    await this.#io(() => ensureFolder(this.path));
    const lock = await FileLock.acquire(this.lockPath, {
      timeoutMs: this.#options.lockTimeoutMs,
      staleAfterMs: this.#options.staleLockMs,
    });
    let merged: CacheDocument;
    let hasTheirs: boolean;
    let version: string | undefined;
    try {
      if (!this.#cleaned) {
        this.#cleaned = true;
        await removeLeftovers(this.path).catch(() => 0);
      }
      const snapshot = await this.#io(() => readSnapshot(this.path));
      let disk: CacheDocument = {};
      if (snapshot && snapshot.version === state.version) disk = state.base;
      else if (snapshot) {
        const text = await this.#readable(snapshot, true);
        // An unreadable file was kept aside: nobody else's changes can be recovered from it.
        disk = text === undefined ? state.base : JSON.parse(text);
      }
      const result = mergeCache(state.base, mine, disk);
      merged = result.document;
      hasTheirs = result.hasTheirs;
      if (result.changed || !snapshot) {
        const text = JSON.stringify(merged);
        const bytes = this.#options.encryption === "keyring"
          ? await seal(text, await this.#keyForWrite())
          : encoder.encode(text);
        version = await this.#io(() => writeAtomic(this.path, bytes));
      } else {
        version = snapshot.version;
      }
    } finally {
      await lock.release();
    }
    // The cache holds what it wrote; if the file also holds others' changes, the next access
    // loads them (lazily: a short-lived process often makes no further access).
    if (!hasTheirs) this.#states.set(cache, { base: merged, version });
  }

  /**
   * The file's JSON text, validated; undefined when it was unreadable and kept aside.
   *
   * @param locked whether the caller holds the lock (else it is taken to move a bad file)
   */
  async #readable(snapshot: FileSnapshot, locked: boolean): Promise<string | undefined> {
    let text: string;
    if (isEncrypted(snapshot.bytes)) {
      if (this.#options.encryption === "plaintext") {
        throw new PersistentCacheError(
          "encrypted_file",
          `The token cache ${this.path} is encrypted, and this app opened it with encryption: `
            + "\"plaintext\". Open it with encryption: \"keyring\", or use another path.",
          { path: this.path },
        );
      }
      const decrypted = await this.#decrypt(snapshot.bytes);
      if (decrypted === undefined) {
        return this.#unreadable(
          snapshot,
          "undecryptable",
          "cannot be decrypted with the key in the keyring (the key was removed or replaced, "
            + "or the file was altered)",
          locked,
        );
      }
      text = decrypted;
    } else {
      text = decoder.decode(snapshot.bytes);
      if (this.#options.encryption === "keyring" && text.trim() !== "") {
        this.#logger.log(
          "info",
          "The token cache file is not encrypted; it will be encrypted on the next write.",
        );
      }
    }
    try {
      parseCache(text);
    } catch (err) {
      const why = (err as Error).message.split(". ")[0];
      return this.#unreadable(snapshot, "corrupt", `is not a token cache (${why})`, locked, err);
    }
    return text;
  }

  async #unreadable(
    snapshot: FileSnapshot,
    reason: PersistentCacheErrorReason,
    what: string,
    locked: boolean,
    cause?: unknown,
  ): Promise<string | undefined> {
    if (this.#options.onCorrupt === "throw") {
      throw new PersistentCacheError(
        reason,
        `The token cache ${this.path} ${what}. Move it away (or delete it) to start a new `
          + "cache, or use onCorrupt: \"backup\" to do so automatically.",
        { path: this.path, cause },
      );
    }
    const lock = locked ? undefined : await FileLock.acquire(this.lockPath, {
      timeoutMs: this.#options.lockTimeoutMs,
      staleAfterMs: this.#options.staleLockMs,
    });
    try {
      // Only the very file judged unreadable is moved: a writer may have replaced it since
      // (then that file is read instead; its version is learnt again on the next access).
      if ((await this.#io(() => fileVersion(this.path))) !== snapshot.version) {
        const again = await this.#io(() => readSnapshot(this.path));
        return again ? this.#readable(again, true) : undefined;
      }
      const backup = await this.#io(() => keepAside(this.path));
      this.#warn(
        `The token cache ${this.path} ${what}; it was kept aside as ${backup} and a new `
          + "cache started: sign in again.",
      );
      return undefined;
    } finally {
      await lock?.release();
    }
  }

  #warn(message: string): void {
    if (this.#logger.enabled("warning")) this.#logger.log("warning", message);
    else console.warn(`entra-auth: ${message}`);
  }

  #keys(): Promise<CacheKeySource> {
    this.#keySource ??= openKeySource(this.#name, this.path, this.#options.secretStore);
    this.#keySource.catch(() => (this.#keySource = undefined));
    return this.#keySource;
  }

  /** Decrypts with the known key, then with the keyring's current one; undefined if neither. */
  async #decrypt(bytes: Uint8Array): Promise<string | undefined> {
    if (this.#key) {
      try {
        return await open(bytes, this.#key);
      } catch {
        // the key may have been replaced: ask the keyring again
      }
    }
    const key = await (await this.#keys()).load();
    if (!key) return undefined;
    this.#key = key;
    try {
      return await open(bytes, key);
    } catch {
      return undefined;
    }
  }

  /** The key to encrypt with, created (under the lock, which the caller holds) if none. */
  async #keyForWrite(): Promise<Uint8Array> {
    const source = await this.#keys();
    this.#key = (await source.load()) ?? (await source.create());
    return this.#key;
  }

  async #io<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof PersistentCacheError) throw err;
      throw new PersistentCacheError(
        "io_error",
        `The token cache ${this.path} cannot be read or written: ${(err as Error).message}. `
          + "Check the file's and its folder's owner and permissions.",
        { path: this.path, cause: err },
      );
    }
  }
}

/**
 * Creates a persistent cache plug-in; pass it as `cache: { cachePlugin }` to a
 * `PublicClientApplication`.
 *
 * @param options the encryption (required), and optionally the path, name, lock bounds,
 *   corrupt-file policy and logger
 * @returns the plug-in
 * @throws PersistentCacheError when `encryption` is missing
 * @example
 * ```ts
 * import { createPersistentCache, PublicClientApplication } from "@entra-auth/core";
 * const app = new PublicClientApplication({
 *   clientId: "00000000-0000-0000-0000-000000000001",
 *   cache: { cachePlugin: createPersistentCache({ encryption: "keyring" }) },
 * });
 * console.log((await app.getAccounts()).length);
 * ```
 */
export function createPersistentCache(options: PersistentCacheOptions): PersistentCache {
  return new PersistentCache(options);
}
