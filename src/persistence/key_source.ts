/**
 * Where the cache's 256-bit AES key is kept: in the OS keyring (Linux Secret Service, macOS
 * Keychain) or, on Windows, next to the cache file sealed by DPAPI. The native bindings are
 * imported on first use only.
 *
 * @module
 */

import { unlink } from "node:fs/promises";
import { platform } from "node:os";
import type { KeyringFailure, SecretStore } from "../../ffi/keyring/failure.ts";
import { readSnapshot, writeAtomic } from "./atomic_file.ts";
import { newKeyId } from "./envelope.ts";
import { PersistentCacheError } from "./errors.ts";

/** A key and its id (the id is in the header of the files it encrypts). */
export interface CacheKey {
  keyId: string;
  key: Uint8Array;
}

/** Keeps the cache's encryption keys: one per file, named by the id in the file's header. */
export interface CacheKeySource {
  /** What keeps the key, for messages. */
  readonly description: string;
  /**
   * The stored key with this id, or undefined when there is none.
   *
   * @param keyId the id from the file's header; undefined for the one key of a version-1
   *   file (stored under the cache's name)
   */
  load(keyId?: string): Promise<Uint8Array | undefined>;
  /** Generates a random 256-bit key under a new random id, stores it, and returns both. */
  create(): Promise<CacheKey>;
  /** Removes the key with this id (a key that lost the race to encrypt the file). */
  remove(keyId: string): Promise<void>;
}

const SERVICE = "entra-auth";
const KEY_BYTES = 32;

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    const bytes = Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
    return bytes.length === KEY_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Advice for a machine where no keyring answers. */
function unavailableAdvice(os: string): string {
  if (os === "darwin") {
    return "Run the app in the user's login session (the Keychain needs it), or opt into an "
      + "unencrypted cache explicitly with encryption: \"plaintext\".";
  }
  if (os === "win32") {
    return "DPAPI needs a user profile; or opt into an unencrypted cache with encryption: \"plaintext\".";
  }
  return "The Secret Service (GNOME Keyring, KWallet, KeePassXC) is reached over the D-Bus "
    + "session bus: run the app inside a desktop session, or start a session bus with a "
    + "keyring (e.g. `dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock "
    + "--components=secrets; exec your-app'`), or opt into an unencrypted cache explicitly "
    + "with encryption: \"plaintext\" (then only the file's 0600 permissions protect it).";
}

/**
 * Turns a keyring binding failure into a {@link PersistentCacheError} with advice.
 *
 * @param err what the binding threw
 * @param description what keeps the key
 * @param path the cache file
 * @param os the platform
 * @returns the error to throw
 * @example
 * ```ts
 * import { KeyringFailure } from "../../ffi/keyring/failure.ts";
 * import { keyringError } from "./key_source.ts";
 * const err = keyringError(new KeyringFailure("unavailable", "no bus"), "the Secret Service", "/tmp/c.json");
 * console.log(err.reason); // "keyring_unavailable"
 * ```
 */
export function keyringError(
  err: unknown,
  description: string,
  path: string,
  os: string = platform(),
): PersistentCacheError {
  const failure = err as Partial<KeyringFailure>;
  const detail = err instanceof Error ? err.message : String(err);
  if (failure.kind === "locked") {
    return new PersistentCacheError(
      "keyring_locked",
      `The token cache is encrypted with a key kept in ${description}, which is locked: `
        + `${detail}. Unlock the keyring (log in to the desktop session, or unlock it in the `
        + "keyring manager) and retry; the cache file was left as it is.",
      { path },
    );
  }
  if (failure.kind === "unavailable") {
    return new PersistentCacheError(
      "keyring_unavailable",
      `The token cache is encrypted with a key kept in ${description}, which cannot be `
        + `reached: ${detail}. ${unavailableAdvice(os)}`,
      { path },
    );
  }
  return new PersistentCacheError(
    "keyring_error",
    `${description} refused the token cache's key: ${detail}. Unlock the keyring and retry.`,
    { path },
  );
}

class SecretStoreKeySource implements CacheKeySource {
  readonly description: string;
  readonly #store: SecretStore;
  readonly #account: string;
  readonly #path: string;

  constructor(store: SecretStore, account: string, path: string) {
    this.#store = store;
    this.description = store.description;
    this.#account = account;
    this.#path = path;
  }

  async load(keyId?: string): Promise<Uint8Array | undefined> {
    let text: string | undefined;
    try {
      text = await this.#store.lookup(keyAccount(this.#account, keyId));
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    return text === undefined ? undefined : fromBase64(text);
  }

  async create(): Promise<CacheKey> {
    const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    const keyId = newKeyId();
    try {
      // A new id per key: two processes creating keys at once store two entries, never one
      // over the other; the file's header says which one encrypted it.
      await this.#store.store(
        keyAccount(this.#account, keyId),
        `entra-auth token cache key (${this.#account}, ${keyId})`,
        toBase64(key),
      );
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    return { keyId, key };
  }

  async remove(keyId: string): Promise<void> {
    await this.#store.clear(keyAccount(this.#account, keyId)).catch(() => false);
  }
}

/**
 * The keyring account of a key: `<name>#<key id>`, or `<name>` for a version-1 file's key.
 *
 * @param name the cache's name
 * @param keyId the key's id (undefined: the version-1 key)
 * @returns the account
 * @example
 * ```ts
 * import { keyAccount } from "./key_source.ts";
 * console.log(keyAccount("token_cache", "00112233445566778899aabbccddeeff"));
 * ```
 */
export function keyAccount(name: string, keyId?: string): string {
  return keyId === undefined ? name : `${name}#${keyId}`;
}

class DpapiKeySource implements CacheKeySource {
  readonly description = "Windows DPAPI";
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  #keyPath(keyId?: string): string {
    return keyId === undefined ? `${this.#path}.key` : `${this.#path}.${keyId}.key`;
  }

  async load(keyId?: string): Promise<Uint8Array | undefined> {
    const sealed = await readSnapshot(this.#keyPath(keyId));
    if (!sealed) return undefined;
    const { dpapiUnprotect } = await import("../../ffi/keyring/dpapi.ts");
    try {
      const key = await dpapiUnprotect(sealed.bytes);
      return key.length === KEY_BYTES ? key : undefined;
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
  }

  async create(): Promise<CacheKey> {
    const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    const keyId = newKeyId();
    const { dpapiProtect } = await import("../../ffi/keyring/dpapi.ts");
    let sealed: Uint8Array;
    try {
      sealed = await dpapiProtect(key);
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    await writeAtomic(this.#keyPath(keyId), sealed);
    return { keyId, key };
  }

  async remove(keyId: string): Promise<void> {
    await unlink(this.#keyPath(keyId)).catch(() => {});
  }
}

/**
 * The key source of this OS.
 *
 * @param name the cache's name (the keyring entry's account)
 * @param path the cache file (on Windows the sealed keys are `<path>.<key id>.key`)
 * @param store a secret store to use instead of the OS's (tests, custom keyrings)
 * @returns the key source
 * @example
 * ```ts
 * import { openKeySource } from "./key_source.ts";
 * const source = await openKeySource("default", "/tmp/cache.json");
 * const { keyId, key } = await source.create();
 * console.log(keyId, key.length); // … 32
 * ```
 */
export async function openKeySource(
  name: string,
  path: string,
  store?: SecretStore,
): Promise<CacheKeySource> {
  if (store) return new SecretStoreKeySource(store, name, path);
  switch (platform()) {
    case "win32":
      return new DpapiKeySource(path);
    case "darwin": {
      const { KeychainStore } = await import("../../ffi/keyring/keychain.ts");
      return new SecretStoreKeySource(new KeychainStore(SERVICE), name, path);
    }
    default: {
      const { SecretServiceStore } = await import("../../ffi/keyring/secret_service.ts");
      return new SecretStoreKeySource(new SecretServiceStore(SERVICE), name, path);
    }
  }
}
