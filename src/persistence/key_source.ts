/**
 * Where the cache's 256-bit AES key is kept: in the OS keyring (Linux Secret Service, macOS
 * Keychain) or, on Windows, next to the cache file sealed by DPAPI. The native bindings are
 * imported on first use only.
 *
 * @module
 */

import { platform } from "node:os";
import type { KeyringFailure, SecretStore } from "../../ffi/keyring/failure.ts";
import { readSnapshot, writeAtomic } from "./atomic_file.ts";
import { PersistentCacheError } from "./errors.ts";

/** Keeps the cache's encryption key. */
export interface CacheKeySource {
  /** What keeps the key, for messages. */
  readonly description: string;
  /** The stored key, or undefined when there is none yet. */
  load(): Promise<Uint8Array | undefined>;
  /** Generates a random 256-bit key, stores it, and returns it. */
  create(): Promise<Uint8Array>;
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
  if (failure.kind === "unavailable") {
    return new PersistentCacheError(
      "keyring_unavailable",
      `The token cache is encrypted with a key kept in ${description}, which cannot be `
        + `reached: ${detail}. ${unavailableAdvice(os)}`,
      { path, cause: err },
    );
  }
  return new PersistentCacheError(
    "keyring_error",
    `${description} refused the token cache's key: ${detail}. Unlock the keyring and retry.`,
    { path, cause: err },
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

  async load(): Promise<Uint8Array | undefined> {
    let text: string | undefined;
    try {
      text = await this.#store.lookup(this.#account);
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    return text === undefined ? undefined : fromBase64(text);
  }

  async create(): Promise<Uint8Array> {
    const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    try {
      await this.#store.store(
        this.#account,
        `entra-auth token cache key (${this.#account})`,
        toBase64(key),
      );
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    return key;
  }
}

class DpapiKeySource implements CacheKeySource {
  readonly description = "Windows DPAPI";
  readonly #keyPath: string;
  readonly #path: string;

  constructor(keyPath: string, path: string) {
    this.#keyPath = keyPath;
    this.#path = path;
  }

  async load(): Promise<Uint8Array | undefined> {
    const sealed = await readSnapshot(this.#keyPath);
    if (!sealed) return undefined;
    const { dpapiUnprotect } = await import("../../ffi/keyring/dpapi.ts");
    try {
      const key = await dpapiUnprotect(sealed.bytes);
      return key.length === KEY_BYTES ? key : undefined;
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
  }

  async create(): Promise<Uint8Array> {
    const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    const { dpapiProtect } = await import("../../ffi/keyring/dpapi.ts");
    let sealed: Uint8Array;
    try {
      sealed = await dpapiProtect(key);
    } catch (err) {
      throw keyringError(err, this.description, this.#path);
    }
    await writeAtomic(this.#keyPath, sealed);
    return key;
  }
}

/**
 * The key source of this OS.
 *
 * @param name the cache's name (the keyring entry's account)
 * @param path the cache file (on Windows the sealed key is `<path>.key`)
 * @param store a secret store to use instead of the OS's (tests, custom keyrings)
 * @returns the key source
 * @example
 * ```ts
 * import { openKeySource } from "./key_source.ts";
 * const source = await openKeySource("default", "/tmp/cache.json");
 * const key = (await source.load()) ?? (await source.create());
 * console.log(key.length); // 32
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
      return new DpapiKeySource(`${path}.key`, path);
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
