/**
 * The encrypted file format: `MAGIC (8 bytes) | IV (12 bytes) | AES-256-GCM ciphertext and
 * tag`, the magic bound as additional data. The magic starts with a NUL byte, so an
 * encrypted file is never mistaken for JSON text.
 *
 * @module
 */

/** The first bytes of an encrypted cache file: `\0EACACHE` version 1. */
export const MAGIC: Uint8Array = new Uint8Array([0, 0x45, 0x41, 0x43, 0x41, 0x43, 0x48, 0x01]);
const IV_BYTES = 12;

/**
 * Whether the bytes are an encrypted cache file.
 *
 * @param bytes the file
 * @returns true if it starts with {@link MAGIC}
 * @example
 * ```ts
 * import { isEncrypted } from "./envelope.ts";
 * console.log(isEncrypted(new TextEncoder().encode("{}"))); // false
 * ```
 */
export function isEncrypted(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

function importKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * Encrypts a cache file's text.
 *
 * @param text the JSON text
 * @param key 32 bytes
 * @returns the file's bytes
 * @example
 * ```ts
 * import { open, seal } from "./envelope.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * console.log(await open(await seal("{}", key), key)); // "{}"
 * ```
 */
export async function seal(text: string, key: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: MAGIC as Uint8Array<ArrayBuffer> },
      await importKey(key),
      new TextEncoder().encode(text),
    ),
  );
  const out = new Uint8Array(MAGIC.length + IV_BYTES + ciphertext.length);
  out.set(MAGIC, 0);
  out.set(iv, MAGIC.length);
  out.set(ciphertext, MAGIC.length + IV_BYTES);
  return out;
}

/**
 * Decrypts a file written by {@link seal}.
 *
 * @param bytes the file
 * @param key 32 bytes
 * @returns the JSON text
 * @throws Error (from WebCrypto) when the key is wrong or the file was altered or truncated
 * @example
 * ```ts
 * import { open, seal } from "./envelope.ts";
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * console.log(await open(await seal('{"Account":{}}', key), key));
 * ```
 */
export async function open(bytes: Uint8Array, key: Uint8Array): Promise<string> {
  const start = MAGIC.length;
  const iv = bytes.slice(start, start + IV_BYTES);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: MAGIC as Uint8Array<ArrayBuffer> },
    await importKey(key),
    bytes.slice(start + IV_BYTES),
  );
  return new TextDecoder().decode(plain);
}
