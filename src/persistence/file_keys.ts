/**
 * The keys one persistent cache knows: the key each file names in its header (looked up in
 * the keyring once, then kept in memory), and the key this process created when the file
 * named none. Keyring calls can be slow (D-Bus, a prompt to unlock): the cache calls
 * {@link FileKeys.known} and {@link FileKeys.forWrite} before taking the file lock, and
 * only {@link FileKeys.cached} while holding it.
 *
 * @module
 */

import type { SecretStore } from "../../ffi/keyring/failure.ts";
import { isEncrypted, keyIdOf, open } from "./envelope.ts";
import type { PersistentCacheErrorReason } from "./errors.ts";
import { type CacheKey, type CacheKeySource, openKeySource } from "./key_source.ts";

/** What decrypting (and later validating) a file gave. */
export type Decrypted =
  | { ok: true; text: string; }
  /** Unreadable: why (for the error's reason), and what to say after "The token cache <path>". */
  | { ok: false; reason: PersistentCacheErrorReason; what: string; }
  /** Its key is not in memory, and keyring look-ups are not allowed now (under the lock). */
  | { ok: "key"; };

/**
 * The keys of one cache file.
 *
 * @example
 * ```ts
 * import { FileKeys } from "./file_keys.ts";
 * const keys = new FileKeys("token_cache", "/tmp/cache.json");
 * const { keyId, key } = await keys.forWrite(undefined);
 * console.log(keyId.length, key.length); // 32 32
 * ```
 */
export class FileKeys {
  readonly #name: string;
  readonly #path: string;
  readonly #store: SecretStore | undefined;
  #source: Promise<CacheKeySource> | undefined;
  /** By key id ("" for a version-1 file's key); null: the keyring was asked and lacks it. */
  readonly #cache = new Map<string, Uint8Array | null>();
  /** The key this process created, and whether a file was written with it. */
  #own: { key: CacheKey; written: boolean; } | undefined;

  /**
   * @param name the cache's name (the keyring account prefix)
   * @param path the cache file
   * @param store a secret store instead of the OS keyring
   */
  constructor(name: string, path: string, store?: SecretStore) {
    this.#name = name;
    this.#path = path;
    this.#store = store;
  }

  /** The key source (OS keyring, DPAPI, or the given store). */
  source(): Promise<CacheKeySource> {
    this.#source ??= openKeySource(this.#name, this.#path, this.#store);
    this.#source.catch(() => (this.#source = undefined));
    return this.#source;
  }

  /**
   * A key from memory only (no keyring call: safe under the file lock).
   *
   * @param keyId the file's key id (undefined: version 1)
   * @returns the key, null when the keyring is known to lack it, undefined when not asked yet
   */
  cached(keyId: string | undefined): Uint8Array | null | undefined {
    return this.#cache.get(keyId ?? "");
  }

  /**
   * A key from memory, else from the keyring (may be slow or prompt: not under the lock).
   *
   * @param keyId the file's key id (undefined: version 1)
   * @param reload ask the keyring even if memory has an answer
   * @returns the key, or undefined when the keyring does not hold it
   * @throws PersistentCacheError `keyring_unavailable`, `keyring_locked`, `keyring_error`
   */
  async known(keyId: string | undefined, reload = false): Promise<Uint8Array | undefined> {
    const slot = keyId ?? "";
    if (!reload && this.#cache.has(slot)) return this.#cache.get(slot) ?? undefined;
    const key = await (await this.source()).load(keyId);
    this.#cache.set(slot, key ?? null);
    return key;
  }

  /**
   * Before the lock: the key to write with. The key the file names when the keyring has it
   * (every writer converges on it), else one this process creates (once). When there is no
   * file and this process wrote one with its key before, the key is looked up again: a
   * `clear()` (here or in another process) removes the file's key from the keyring, and a
   * file written with a removed key could be read by no one.
   *
   * @param header the file's first bytes (undefined: no file)
   * @returns the key and its id
   */
  async forWrite(header: Uint8Array | undefined): Promise<CacheKey> {
    if (header && isEncrypted(header)) {
      const keyId = keyIdOf(header);
      const key = await this.known(keyId);
      if (key && keyId !== undefined) return { keyId, key };
    }
    if (header === undefined && this.#own?.written) {
      if (!(await this.known(this.#own.key.keyId, true))) this.#own = undefined;
    }
    if (!this.#own) {
      const created = await (await this.source()).create();
      this.#cache.set(created.keyId, created.key);
      this.#own = { key: created, written: false };
    }
    return this.#own.key;
  }

  /**
   * Decrypts a file with the key its header names (memory first; the keyring when allowed).
   * Messages name the key id, never any content.
   *
   * @param bytes the encrypted file
   * @param canonicalPath the file's canonical path (bound in version 2)
   * @param options whether keyring look-ups are allowed now (not under the file lock)
   * @returns the text, why it cannot be read, or that a look-up is needed first
   * @throws PersistentCacheError `keyring_unavailable`, `keyring_locked`, `keyring_error`
   */
  async decrypt(
    bytes: Uint8Array,
    canonicalPath: string,
    options: { mayUseKeyring: boolean; },
  ): Promise<Decrypted> {
    const { mayUseKeyring } = options;
    const keyId = keyIdOf(bytes);
    const cached = this.cached(keyId);
    if (cached === undefined && !mayUseKeyring) return { ok: "key" };
    // A key the keyring lacked is asked for again when look-ups are allowed.
    const key = cached ?? (mayUseKeyring ? await this.known(keyId, true) : undefined);
    const description = (await this.source()).description;
    if (!key) {
      return keyId === undefined
        ? {
          ok: false,
          reason: "undecryptable",
          what: `cannot be decrypted: ${description} holds no key for the cache "${this.#name}" `
            + "(the key was removed or replaced)",
        }
        : {
          ok: false,
          reason: "key_not_found",
          what: `is encrypted with the key ${keyId}, which ${description} does not hold (it `
            + "was removed, or the file comes from another user or machine)",
        };
    }
    try {
      return { ok: true, text: await open(bytes, key, canonicalPath) };
    } catch {
      // A version-1 key may have been replaced in the keyring: ask once more.
      const fresh = keyId === undefined && cached && mayUseKeyring
        ? await this.known(undefined, true)
        : undefined;
      const again = fresh ? await open(bytes, fresh, "").catch(() => undefined) : undefined;
      if (again !== undefined) return { ok: true, text: again };
      return {
        ok: false,
        reason: "undecryptable",
        what: "cannot be decrypted with its key (the file was altered or damaged, or it was "
          + "encrypted for another path and copied here)",
      };
    }
  }

  /**
   * Whether `keyId` is the key this process created and has not written a file with yet: no
   * `clear()` can have removed it (a clear removes the keys files name, and its own).
   *
   * @param keyId the key about to be written with
   * @returns true for such a key
   */
  unwritten(keyId: string): boolean {
    return this.#own !== undefined && this.#own.key.keyId === keyId && !this.#own.written;
  }

  /**
   * Records that a file was written with this key (this process's key is then in use).
   *
   * @param keyId the key written with
   */
  written(keyId: string): void {
    if (this.#own?.key.keyId === keyId) this.#own.written = true;
  }

  /**
   * Removes the key this process created if no file was written with it and the file names
   * another (it lost the race to create the file's key).
   *
   * @param fileKeyId the key id the file names now
   */
  async dropUnused(fileKeyId: string | undefined): Promise<void> {
    const own = this.#own;
    if (!own || own.written || fileKeyId === undefined || fileKeyId === own.key.keyId) return;
    this.#own = undefined;
    this.#cache.delete(own.key.keyId);
    await (await this.source()).remove(own.key.keyId);
  }

  /**
   * Removes the file's key and this process's key from the keyring, and forgets all keys.
   *
   * @param fileKeyId the key id the file named
   */
  async removeAll(fileKeyId: string | undefined): Promise<void> {
    const source = await this.source();
    for (const id of new Set([fileKeyId, this.#own?.key.keyId])) {
      if (id !== undefined) await source.remove(id);
    }
    this.#own = undefined;
    this.#cache.clear();
  }
}
