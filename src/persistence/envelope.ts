/**
 * The encrypted file format.
 *
 * Version 2 (written): `MAGIC_V2 (8 bytes) | key id (16 bytes) | IV (12 bytes) | AES-256-GCM
 * ciphertext and tag`. The additional authenticated data is the magic (so the version), the
 * key id and the file's canonical path: a file altered, given another key id, or copied
 * back from another path (a rollback) fails to decrypt. The key id names the key in the
 * keyring, so every file has its own key and says precisely which one it needs.
 *
 * Version 1 (still read): `MAGIC_V1 | IV | ciphertext`, only the magic authenticated, the key
 * kept under the cache's name.
 *
 * Both magics start with a NUL byte, so an encrypted file is never mistaken for JSON text.
 *
 * @module
 */

/** The first bytes of a version-1 file: `\0EACACH` and 1. */
export const MAGIC_V1: Uint8Array = new Uint8Array([0, 0x45, 0x41, 0x43, 0x41, 0x43, 0x48, 0x01]);
/** The first bytes of a version-2 file (the version written): `\0EACACH` and 2. */
export const MAGIC: Uint8Array = new Uint8Array([0, 0x45, 0x41, 0x43, 0x41, 0x43, 0x48, 0x02]);
const IV_BYTES = 12;
/** Bytes of a key id (shown as 32 hex digits). */
export const KEY_ID_BYTES = 16;
/** The bytes that tell the format and key id (magic and key id). */
export const HEADER_BYTES = 8 + KEY_ID_BYTES;

function startsWith(bytes: Uint8Array, magic: Uint8Array): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/**
 * Whether the bytes are an encrypted cache file (either version).
 *
 * @param bytes the file
 * @returns true if it starts with {@link MAGIC} or {@link MAGIC_V1}
 * @example
 * ```ts
 * import { isEncrypted } from "./envelope.ts";
 * console.log(isEncrypted(new TextEncoder().encode("{}"))); // false
 * ```
 */
export function isEncrypted(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC) || startsWith(bytes, MAGIC_V1);
}

/**
 * The id of the key a version-2 file was encrypted with.
 *
 * @param bytes the file
 * @returns 32 hex digits; undefined for a version-1 file (its key is the cache name's)
 * @example
 * ```ts
 * import { keyIdOf } from "./envelope.ts";
 * console.log(keyIdOf(new Uint8Array(8))); // undefined
 * ```
 */
export function keyIdOf(bytes: Uint8Array): string | undefined {
  if (!startsWith(bytes, MAGIC) || bytes.length < MAGIC.length + KEY_ID_BYTES) return undefined;
  return [...bytes.slice(MAGIC.length, MAGIC.length + KEY_ID_BYTES)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * A new random key id.
 *
 * @returns 32 hex digits
 * @example
 * ```ts
 * import { newKeyId } from "./envelope.ts";
 * console.log(newKeyId().length); // 32
 * ```
 */
export function newKeyId(): string {
  return [...crypto.getRandomValues(new Uint8Array(KEY_ID_BYTES))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function keyIdBytes(keyId: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(keyId)) throw new RangeError("a key id is 32 lowercase hex digits");
  return Uint8Array.from(keyId.match(/../g)!, (h) => parseInt(h, 16));
}

function additionalData(keyId: Uint8Array, path: string): Uint8Array<ArrayBuffer> {
  const where = new TextEncoder().encode(path);
  const out = new Uint8Array(MAGIC.length + keyId.length + where.length);
  out.set(MAGIC, 0);
  out.set(keyId, MAGIC.length);
  out.set(where, MAGIC.length + keyId.length);
  return out;
}

function importKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/** What binds a version-2 file: its key's id and the file's canonical path. */
export interface SealBinding {
  /** The key's id ({@link newKeyId}). */
  keyId: string;
  /** The file's canonical path (see `canonicalCachePath`). */
  path: string;
}

/**
 * Encrypts a cache file's text (version 2).
 *
 * @param text the JSON text
 * @param key 32 bytes
 * @param binding the key id and the file's path, authenticated with the text
 * @returns the file's bytes
 * @example
 * ```ts
 * import { newKeyId, open, seal } from "./envelope.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const binding = { keyId: newKeyId(), path: "/tmp/cache.json" };
 * console.log(await open(await seal("{}", key, binding), key, binding.path)); // "{}"
 * ```
 */
export async function seal(
  text: string,
  key: Uint8Array,
  binding: SealBinding,
): Promise<Uint8Array> {
  const id = keyIdBytes(binding.keyId);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(id, binding.path) },
      await importKey(key),
      new TextEncoder().encode(text),
    ),
  );
  const out = new Uint8Array(MAGIC.length + KEY_ID_BYTES + IV_BYTES + ciphertext.length);
  out.set(MAGIC, 0);
  out.set(id, MAGIC.length);
  out.set(iv, MAGIC.length + KEY_ID_BYTES);
  out.set(ciphertext, MAGIC.length + KEY_ID_BYTES + IV_BYTES);
  return out;
}

/**
 * Encrypts in the old version-1 format (only to test that it is still read).
 *
 * @param text the JSON text
 * @param key 32 bytes
 * @returns the file's bytes
 * @example
 * ```ts
 * import { open, sealV1 } from "./envelope.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * console.log(await open(await sealV1("{}", key), key, "/anywhere")); // "{}"
 * ```
 */
export async function sealV1(text: string, key: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: MAGIC_V1 as Uint8Array<ArrayBuffer> },
      await importKey(key),
      new TextEncoder().encode(text),
    ),
  );
  const out = new Uint8Array(MAGIC_V1.length + IV_BYTES + ciphertext.length);
  out.set(MAGIC_V1, 0);
  out.set(iv, MAGIC_V1.length);
  out.set(ciphertext, MAGIC_V1.length + IV_BYTES);
  return out;
}

/**
 * Decrypts a file written by {@link seal} (or by version 1).
 *
 * @param bytes the file
 * @param key 32 bytes
 * @param path the file's canonical path (checked for version 2)
 * @returns the JSON text
 * @throws Error (from WebCrypto) when the key is wrong, the file was altered or truncated,
 *   or it was encrypted for another path
 * @example
 * ```ts
 * import { newKeyId, open, seal } from "./envelope.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const binding = { keyId: newKeyId(), path: "/tmp/cache.json" };
 * console.log(await open(await seal('{"Account":{}}', key, binding), key, "/tmp/cache.json"));
 * ```
 */
export async function open(bytes: Uint8Array, key: Uint8Array, path: string): Promise<string> {
  let iv: Uint8Array<ArrayBuffer>, body: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>;
  if (startsWith(bytes, MAGIC)) {
    const start = MAGIC.length + KEY_ID_BYTES;
    aad = additionalData(bytes.slice(MAGIC.length, start), path);
    iv = bytes.slice(start, start + IV_BYTES);
    body = bytes.slice(start + IV_BYTES);
  } else {
    aad = MAGIC_V1.slice();
    iv = bytes.slice(MAGIC_V1.length, MAGIC_V1.length + IV_BYTES);
    body = bytes.slice(MAGIC_V1.length + IV_BYTES);
  }
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: aad },
    await importKey(key),
    body,
  );
  return new TextDecoder().decode(plain);
}
