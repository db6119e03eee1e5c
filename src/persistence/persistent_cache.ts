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

import { unlink } from "node:fs/promises";
import type { CachePlugin, SerializableTokenCache, TokenCacheContext } from "../cache/plugin.ts";
import { Logger } from "../logger.ts";
import {
  ensureFolder,
  type FileSnapshot,
  fileVersion,
  keepAside,
  readHeader,
  readSnapshot,
  removeBackups,
  removeLeftovers,
  writeAtomic,
} from "./atomic_file.ts";
import { HEADER_BYTES, isEncrypted, keyIdOf, seal } from "./envelope.ts";
import { PersistentCacheError, type PersistentCacheErrorReason } from "./errors.ts";
import { type Decrypted, FileKeys } from "./file_keys.ts";
import { plaintextProblem, settle } from "./file_reader.ts";
import type { CacheKey } from "./key_source.ts";
import { canonicalCachePath, defaultCachePath } from "./location.ts";
import { FileLock } from "./lock.ts";
import { type CacheDocument, mergeCache, unionCache } from "./merge.ts";
import type { PersistentCacheOptions } from "./options.ts";
import {
  guardPath,
  recordTakeover,
  replacedSinceGuard,
  settleRecords,
  takeoverState,
} from "./takeover.ts";

export type { PersistentCacheOptions } from "./options.ts";

/** What the plug-in knows about one in-memory cache. */
interface CacheState {
  /** The file as this process last read or wrote it (normalized by the cache). */
  base: CacheDocument;
  /** That file's version, or undefined when there was no file. */
  version: string | undefined;
}

/** What reading the file gave: its text, or nothing usable (and whether it still exists). */
type Loaded = { text: string; } | { text: undefined; };

/** What decoding one snapshot gave. */
type Decoded = Decrypted;

/** Thrown under the lock to start the write again: the lock was lost, or a key is needed. */
class Retry extends Error {
  constructor(readonly why: "lock_lost" | "key") {
    super(why);
  }
}

/** How many times a write starts again (lock taken over, new key needed) before giving up. */
const MAX_ATTEMPTS = 4;

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
  /** Caches holding changes a save failed to write, with the {@link clear} generation then. */
  readonly #unsaved = new WeakMap<SerializableTokenCache, number>();
  /** Increased by {@link clear}: changes left unsaved before it are not written after it. */
  #generation = 0;
  readonly #keys: FileKeys;
  #canonical: string | undefined;
  #cleaned = false;
  /** Nonces of this process's locks that were taken over (their writes are over). */
  readonly #lostLocks = new Set<string>();

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
    this.#keys = new FileKeys(this.#name, this.path, options.secretStore);
  }

  /**
   * Loads the file into the cache (skipped when the file has not changed since this
   * process last read or wrote it).
   *
   * @param ctx the access's context
   * @throws PersistentCacheError `keyring_unavailable`, `keyring_locked`, `keyring_error`,
   *   `encrypted_file`, `insecure_file`, `io_error`, or `corrupt` / `undecryptable` /
   *   `key_not_found` with `onCorrupt: "throw"`
   */
  async beforeCacheAccess(ctx: TokenCacheContext): Promise<void> {
    const cache = ctx.tokenCache;
    const state = this.#states.get(cache);
    const pending = this.#unsaved.get(cache);
    // Changes a failed save left in memory are merged into the file's contents, not dropped;
    // a clear() since then drops them (the in-memory cache is reloaded).
    const cleared = pending !== undefined && pending !== this.#generation;
    if (
      state && !cleared && state.version === (await this.#io(() => fileVersion(this.path)))
    ) return;
    const unsaved = state && pending !== undefined && !cleared ? documentOf(cache) : undefined;
    const snapshot = await this.#io(() => readSnapshot(this.path));
    let loaded = false;
    if (snapshot) {
      // The usual case parses the file once: deserialize validates it.
      const decoded = await this.#decode(snapshot, true, false);
      if (decoded.ok === true) {
        try {
          cache.deserialize(decoded.text);
          loaded = true;
        } catch {
          // unreadable: judged below (re-read, kept aside or reported)
        }
      }
      if (!loaded) {
        const text = (await this.#load(snapshot, undefined, ctx.signal)).text;
        cache.deserialize(text ?? "{}");
        loaded = text !== undefined;
      }
    } else cache.deserialize("{}");
    const base = documentOf(cache);
    this.#states.set(cache, { base, version: loaded ? snapshot?.version : undefined });
    if (state && unsaved) {
      cache.deserialize(JSON.stringify(mergeCache(state.base, unsaved, base).document));
    } else this.#unsaved.delete(cache);
  }

  /**
   * Saves the cache's changes, if any: under the lock, merged into the file as it is now,
   * written atomically. The cache then holds the merged contents. Keyring look-ups (which
   * may prompt) happen before the lock is taken; just before the file is replaced, the
   * lock is checked to be still ours (a process stalled past `staleLockMs` whose lock was
   * taken over merges again instead of writing an out-of-date file).
   *
   * @param ctx the access's context
   * @throws PersistentCacheError `lock_timeout`, `lock_lost`, `keyring_unavailable`,
   *   `keyring_locked`, `keyring_error`, `insecure_file`, `io_error`, or `corrupt` /
   *   `undecryptable` / `key_not_found` with `onCorrupt: "throw"`
   */
  async afterCacheAccess(ctx: TokenCacheContext): Promise<void> {
    const cache = ctx.tokenCache;
    const retry = this.#unsaved.get(cache) === this.#generation;
    if (!ctx.cacheHasChanged && !retry) return;
    try {
      await this.#save(cache, ctx.signal);
      this.#unsaved.delete(cache);
    } catch (err) {
      // Nothing is lost: the changes stay in memory (merged into the file's contents on the
      // next load) and are written by the next access that can.
      this.#unsaved.set(cache, this.#generation);
      if (ctx.cacheHasChanged) throw err;
      // A read-only access retried an earlier save, whose error was reported then.
      this.#logger.log(
        "warning",
        `Saving the token cache's pending changes failed again: ${(err as Error).message}`,
      );
    }
  }

  async #save(cache: SerializableTokenCache, signal: AbortSignal | undefined): Promise<void> {
    const state = this.#states.get(cache) ?? { base: {}, version: undefined };
    const mine = documentOf(cache);
    await this.#io(() => ensureFolder(this.path));
    for (let attempt = 1;; attempt++) {
      const writeKey = this.#options.encryption === "keyring"
        ? await this.#keys.forWrite(await this.#io(() => readHeader(this.path, HEADER_BYTES)))
        : undefined;
      const lock = await this.#lock(signal);
      try {
        const { merged, hasTheirs, version } = await this.#commit(state, mine, writeKey, lock);
        // The cache holds what it wrote; if the file also holds others' changes, the next
        // access loads them (lazily: a short-lived process often makes no further access).
        if (hasTheirs) this.#states.delete(cache);
        else this.#states.set(cache, { base: merged, version });
        if (isSignedOut(merged)) await removeBackups(this.path).catch(() => 0);
        break;
      } catch (err) {
        if (!(err instanceof Retry)) throw err;
        if (attempt >= MAX_ATTEMPTS) {
          throw new PersistentCacheError(
            err.why === "lock_lost" ? "lock_lost" : "keyring_error",
            err.why === "lock_lost"
              ? `The token cache ${this.path} lock was taken over ${attempt} times while this `
                + "process held it (it was stopped or too slow, past staleLockMs); nothing was "
                + "written. Retry; if it recurs, raise staleLockMs."
              : `The token cache ${this.path} changed its encryption key ${attempt} times while `
                + "this process wrote; nothing was written. Retry.",
            { path: this.path },
          );
        }
      } finally {
        await this.#release(lock);
      }
    }
    if (this.#options.encryption === "keyring") {
      const header = await readHeader(this.path, HEADER_BYTES).catch(() => undefined);
      await this.#keys.dropUnused(header && keyIdOf(header));
    }
  }

  /**
   * Checks that the keyring holding this cache's keys can be reached (and is unlocked), by a
   * look-up as reading the file would make: before an interactive sign-in whose tokens
   * could not be kept otherwise, or to diagnose. Nothing is created or changed. A plaintext
   * cache needs no keyring: it resolves at once.
   *
   * @throws PersistentCacheError `keyring_unavailable`, `keyring_locked`, `keyring_error`
   * @example
   * ```ts ignore
   * import { createPersistentCache } from "@entra-auth/core";
   * const cache = createPersistentCache({ encryption: "keyring" });
   * await cache.checkKeyring(); // throws, naming the fix, when no keyring is reachable
   * ```
   */
  async checkKeyring(): Promise<void> {
    if (this.#options.encryption !== "keyring") return;
    const source = await this.#keys.source();
    await source.load();
  }

  /**
   * Removes the cache file, its `.corrupt-*` backups and the key(s) this process knows it
   * by (sign-out of every account, or a reset). Other processes start afresh on their next
   * access.
   *
   * @throws PersistentCacheError `lock_timeout`, `insecure_file`, `io_error`
   * @example
   * ```ts
   * import { createPersistentCache } from "@entra-auth/core";
   * const cache = createPersistentCache({ encryption: "plaintext", path: "/tmp/example-cache.json" });
   * await cache.clear();
   * ```
   */
  async clear(): Promise<void> {
    this.#generation++;
    // The lock file needs the folder (a cache never written has none; clear() must not fail).
    await this.#io(() => ensureFolder(this.path));
    const lock = await this.#lock();
    let keyId: string | undefined;
    try {
      const snapshot = await this.#io(() => readSnapshot(this.path));
      if (snapshot) keyId = keyIdOf(snapshot.bytes);
      await this.#io(() => unlinkIfPresent(this.path));
      await removeBackups(this.path);
      // A guard kept since a takeover holds the cleared cache: a late write must not bring
      // it back (the late write itself is not undone: its writer's copy predates the clear).
      await this.#io(() => unlinkIfPresent(guardPath(this.path)));
      // The keys go under the lock too: a writer that takes the lock next finds them gone
      // (it checks the key it chose before the lock, see #commit).
      if (this.#options.encryption === "keyring") await this.#keys.removeAll(keyId);
    } finally {
      await this.#release(lock);
    }
  }

  #lock(signal?: AbortSignal): Promise<FileLock> {
    return FileLock.acquire(this.lockPath, {
      timeoutMs: this.#options.lockTimeoutMs,
      staleAfterMs: this.#options.staleLockMs,
      signal,
      // Its owner may still rename a late copy over what is committed next: see takeover.ts.
      onTakeover: (owner, text) =>
        this.#io(() => recordTakeover(this.path, this.lockPath, owner.nonce, text)),
    });
  }

  /** Releases the lock; one that was taken over is remembered (its record may go). */
  async #release(lock: FileLock): Promise<void> {
    if (!(await lock.release())) this.#lostLocks.add(lock.nonce);
  }

  /** Under the lock: re-read, merge, write (fenced). */
  async #commit(
    state: CacheState,
    mine: CacheDocument,
    writeKey: CacheKey | undefined,
    lock: FileLock,
  ): Promise<{ merged: CacheDocument; hasTheirs: boolean; version: string | undefined; }> {
    if (!this.#cleaned) {
      this.#cleaned = true;
      await removeLeftovers(this.path).catch(() => 0);
    }
    // A takeover's late rename may have replaced the last commit: merged back (takeover.ts).
    const takeover = await this.#io(() => takeoverState(this.path, this.lockPath));
    const replaced = await this.#io(() => replacedSinceGuard(this.path, takeover));
    // The file as it is now: not read again when it is the version this process last saw.
    const current = await this.#io(() => fileVersion(this.path));
    const snapshot = current === undefined || (current === state.version && !replaced)
      ? undefined
      : await this.#io(() => readSnapshot(this.path));
    if (writeKey && current === undefined && !this.#keys.unwritten(writeKey.keyId)) {
      // No file now, and the key was chosen (before the lock) from a file, or was written
      // with: a clear() since then removed the file and that key. A file sealed with a removed
      // key could be read by no one: the keyring is asked (rare: only a file that vanished).
      if (!(await this.#keys.known(writeKey.keyId, true))) throw new Retry("key");
    }
    if (writeKey && current !== undefined) {
      // Write with the key the file already names, so every writer converges on one key.
      const header = snapshot?.bytes ?? (await this.#io(() => readHeader(this.path, HEADER_BYTES)));
      const fileKeyId = header && keyIdOf(header);
      if (fileKeyId !== undefined && fileKeyId !== writeKey.keyId) {
        const known = this.#keys.cached(fileKeyId);
        if (known === undefined) throw new Retry("key"); // look it up outside the lock
        // (null: the keyring lacks it; reading the file below reports key_not_found)
        if (known) writeKey = { keyId: fileKeyId, key: known };
      }
    }
    let disk: CacheDocument = {};
    if (current !== undefined && !snapshot) disk = state.base;
    else if (snapshot) {
      const loaded = await this.#load(snapshot, lock);
      // An unreadable file (kept aside, or being rewritten by a non-locking writer): nobody
      // else's changes can be recovered from it; ours are written (last writer wins).
      disk = loaded.text === undefined ? state.base : JSON.parse(loaded.text);
    }
    // The guard, when it could not be merged back, is left as it is for a later commit.
    const guarded = replaced ? await this.#withGuard(disk) : undefined;
    if (guarded) disk = guarded;
    const keepGuard = replaced && !guarded
      ? false
      : (await this.#io(() => settleRecords(this.path, takeover, this.#lostLocks))) > 0;
    const result = mergeCache(state.base, mine, disk);
    let version: string | undefined;
    if (result.changed || current === undefined || replaced) {
      const text = JSON.stringify(result.document);
      const bytes = writeKey
        ? await seal(text, writeKey.key, {
          keyId: writeKey.keyId,
          path: await this.#canonicalPath(),
        })
        : encoder.encode(text);
      const check = () => {
        if (!lock.heldSync()) throw new Retry("lock_lost");
      };
      const guard = keepGuard ? guardPath(this.path) : undefined;
      version = await this.#io(() => writeAtomic(this.path, bytes, { check, guard }));
      if (writeKey) this.#keys.written(writeKey.keyId);
    } else {
      version = current;
    }
    return { merged: result.document, hasTheirs: result.hasTheirs, version };
  }

  /**
   * The file merged with the commit a late rename replaced (kept as the guard): nothing of
   * either is dropped. A guard that cannot be read here is left for a later commit.
   */
  async #withGuard(disk: CacheDocument): Promise<CacheDocument | undefined> {
    const guard = await this.#io(() => readSnapshot(guardPath(this.path)));
    const decoded = guard && (await this.#decode(guard, false));
    if (!decoded || decoded.ok !== true) {
      this.#warn(
        `The token cache ${this.path} was replaced by a process whose lock had been taken over, `
          + `and what it replaced (${guardPath(this.path)}) cannot be read now; it is kept.`,
      );
      return undefined;
    }
    this.#warn(
      `The token cache ${this.path} was replaced by a process whose lock had been taken over `
        + "(it was stopped past staleLockMs); what it replaced is merged back.",
    );
    return unionCache(JSON.parse(decoded.text), disk);
  }

  async #canonicalPath(): Promise<string> {
    this.#canonical ??= await canonicalCachePath(this.path);
    return this.#canonical;
  }

  /**
   * Decodes one snapshot: decrypts (keys from memory, or from the keyring when
   * `mayUseKeyring`) and validates. Messages hold no text of the file.
   */
  async #decode(snapshot: FileSnapshot, mayUseKeyring: boolean, validate = true): Promise<Decoded> {
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
      const decrypted = await this.#keys.decrypt(snapshot.bytes, await this.#canonicalPath(), {
        mayUseKeyring,
      });
      if (decrypted.ok !== true) return decrypted;
      text = decrypted.text;
    } else {
      text = decoder.decode(snapshot.bytes);
      if (this.#options.encryption === "keyring" && text.trim() !== "") {
        this.#logger.log(
          "info",
          "The token cache file is not encrypted; it will be encrypted on the next write.",
        );
      }
    }
    const problem = validate ? plaintextProblem(text) : undefined;
    if (problem !== undefined) {
      return { ok: false, reason: "corrupt", what: `is not a token cache (${problem})` };
    }
    return { ok: true, text };
  }

  /**
   * The file's JSON text, validated. An unreadable file is read again a few times (under the
   * lock) before anything is decided: one that changes meanwhile is being rewritten by
   * another writer and is left alone; one that stays the same is corrupt and kept aside
   * (or, with `onCorrupt: "throw"`, reported).
   *
   * @param held the lock when the caller holds it (then no keyring look-up is made)
   */
  async #load(
    snapshot: FileSnapshot,
    held: FileLock | undefined,
    signal?: AbortSignal,
  ): Promise<Loaded> {
    const decoded = await this.#decode(snapshot, !held);
    if (decoded.ok === "key") throw new Retry("key");
    if (decoded.ok) return { text: decoded.text };
    const lock = held ?? (await this.#lock(signal));
    try {
      const settled = await this.#io(() =>
        settle(this.path, snapshot, async (s) => (await this.#decode(s, false)).ok !== false)
      );
      if (settled.kind === "changed") {
        if (!settled.snapshot) return { text: undefined };
        if (!held) {
          await lock.release();
          return this.#load(settled.snapshot, undefined, signal);
        }
        return this.#load(settled.snapshot, held);
      }
      if (settled.kind === "busy") {
        this.#logger.log(
          "info",
          "The token cache file is being rewritten by another program; it was left as it is.",
        );
        return { text: undefined };
      }
      return await this.#unreadable(settled.snapshot, decoded.reason, decoded.what);
    } finally {
      if (!held) await lock.release();
    }
  }

  /** Under the lock: reports or keeps aside a file that stayed unreadable. */
  async #unreadable(
    snapshot: FileSnapshot,
    reason: PersistentCacheErrorReason,
    what: string,
  ): Promise<Loaded> {
    if (this.#options.onCorrupt === "throw") {
      throw new PersistentCacheError(
        reason,
        `The token cache ${this.path} ${what}. Move it away (or delete it) to start a new `
          + "cache, or use onCorrupt: \"backup\" to do so automatically.",
        { path: this.path },
      );
    }
    // Only the very file judged unreadable is moved.
    if ((await this.#io(() => fileVersion(this.path))) !== snapshot.version) {
      return { text: undefined };
    }
    const backup = await this.#io(() => keepAside(this.path));
    this.#warn(
      `The token cache ${this.path} ${what}; it was kept aside as ${backup} and a new `
        + "cache started: sign in again.",
    );
    return { text: undefined };
  }

  #warn(message: string): void {
    if (this.#logger.enabled("warning")) this.#logger.log("warning", message);
    else console.warn(`entra-auth: ${message}`);
  }

  async #io<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof PersistentCacheError || err instanceof Retry) throw err;
      const code = (err as { code?: string; }).code;
      throw new PersistentCacheError(
        "io_error",
        `The token cache ${this.path} cannot be read or written${code ? ` (${code})` : ""}. `
          + "Check the file's and its folder's owner and permissions, and the free disk space.",
        // The file system's own error (it names a path and an errno, never the file's text),
        // kept so that a refused permission can be told apart (Deno: --allow-read).
        { path: this.path, cause: err },
      );
    }
  }
}

/**
 * The cache as a document: shared entry objects when the cache offers it (ours: unchanged
 * entries are then told apart by identity, without serializing the whole cache), else
 * parsed from its serialization.
 */
function documentOf(cache: SerializableTokenCache): CacheDocument {
  const direct = (cache as { toDocument?: () => CacheDocument; }).toDocument;
  return typeof direct === "function" ? direct.call(cache) : JSON.parse(cache.serialize());
}

/** Whether a cache holds no account and no refresh token (every account signed out). */
function isSignedOut(doc: CacheDocument): boolean {
  const count = (section: string) => {
    const value = doc[section];
    return typeof value === "object" && value !== null ? Object.keys(value).length : 0;
  };
  return count("Account") === 0 && count("RefreshToken") === 0;
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err) => {
    if ((err as { code?: string; }).code !== "ENOENT") throw err;
  });
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
