/**
 * Native strings: UTF-8 `char` (Linux, macOS) and UTF-16 `wchar_t` (Windows), in and out,
 * including the "call, learn the size needed, call again" getter convention.
 *
 * @module
 */

import { EntraAuthError } from "../src/errors.ts";

/** How a native API encodes its strings. */
export type StringEncoding = "utf8" | "utf16";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });
const utf16Decoder = new TextDecoder("utf-16le", { fatal: false });

/** A buffer holding a NUL-terminated native string: bytes (UTF-8) or code units (UTF-16). */
export type NativeString = Uint8Array | Uint16Array;

/**
 * Encodes `value` as a NUL-terminated native string, ready to pass as a `"buffer"` argument.
 *
 * @param value the text
 * @param encoding `utf8` or `utf16`
 * @returns the encoded buffer (with the terminating NUL)
 * @example
 * ```ts
 * import { encodeString } from "./strings.ts";
 * encodeString("hé", "utf8"); // Uint8Array [104, 195, 169, 0]
 * ```
 */
export function encodeString(value: string, encoding: StringEncoding): NativeString {
  if (encoding === "utf8") {
    const bytes = new Uint8Array(utf8Encoder.encode(value).length + 1);
    utf8Encoder.encodeInto(value, bytes);
    return bytes;
  }
  const units = new Uint16Array(value.length + 1);
  for (let i = 0; i < value.length; i++) units[i] = value.charCodeAt(i);
  return units;
}

/**
 * Allocates an empty native string buffer of `units` code units (bytes for UTF-8).
 *
 * @param units capacity in code units
 * @param encoding `utf8` or `utf16`
 * @returns the buffer
 */
export function allocateString(units: number, encoding: StringEncoding): NativeString {
  return encoding === "utf8" ? new Uint8Array(units) : new Uint16Array(units);
}

/**
 * Decodes a native string buffer up to its first NUL or `units` code units.
 *
 * @param buffer a buffer filled by native code
 * @param units how many code units are valid at most (defaults to the whole buffer)
 * @returns the text
 * @example
 * ```ts
 * import { decodeString, encodeString } from "./strings.ts";
 * decodeString(encodeString("x", "utf16")); // "x"
 * ```
 */
export function decodeString(buffer: NativeString, units: number = buffer.length): string {
  const limit = Math.max(0, Math.min(units, buffer.length));
  let end = 0;
  while (end < limit && buffer[end] !== 0) end++;
  if (buffer instanceof Uint8Array) return utf8Decoder.decode(buffer.subarray(0, end));
  return utf16Decoder.decode(buffer.subarray(0, end));
}

/** The most code units a native getter may ask room for (64 Mi): more is a broken reply. */
const MAX_GETTER_UNITS = 64 * 1024 * 1024;

/** Checks the size a getter asked for: larger than the last buffer, and not absurd. */
function nextCapacity(needed: number, capacity: number): number {
  if (!(needed > capacity) || needed > MAX_GETTER_UNITS) {
    throw new EntraAuthError(
      "native_call_failed",
      `A native string getter asked for a buffer of ${needed} units after one of ${capacity} `
        + "was too small: the native library broke its contract. Update it, or report this.",
    );
  }
  return needed;
}

/**
 * One attempt of a sized getter: fill `buffer` (which may be `null` to ask for the size) and
 * store in `size[0]` the capacity given (on entry) or the size needed (on exit).
 * Returns `true` when the value fitted, `false` when the buffer was too small.
 */
export type SizedGetterAttempt = (buffer: NativeString | null, size: Int32Array) => boolean;

/**
 * Reads a string through the "call, get the needed size, call again" convention. The first
 * attempt uses a buffer of `initialUnits` so that short strings cost one native call.
 *
 * @param encoding `utf8` or `utf16`
 * @param attempt performs one native call
 * @param initialUnits the first buffer's capacity in code units (0: ask for the size first)
 * @returns the text
 * @throws EntraAuthError `native_call_failed` when the native side keeps asking for more
 *   room, or asks for a size that is not larger or is absurd (over 64 Mi units)
 * @example
 * ```ts
 * import { readSizedString } from "./strings.ts";
 * const text = readSizedString("utf8", (buf, size) => {
 *   const value = new TextEncoder().encode("hello\0");
 *   if (buf === null || size[0] < value.length) {
 *     size[0] = value.length;
 *     return false;
 *   }
 *   (buf as Uint8Array).set(value);
 *   size[0] = value.length;
 *   return true;
 * });
 * console.log(text); // "hello"
 * ```
 */
export function readSizedString(
  encoding: StringEncoding,
  attempt: SizedGetterAttempt,
  initialUnits = 256,
): string {
  const size = new Int32Array(1);
  let capacity = initialUnits;
  for (let round = 0; round < 4; round++) {
    const buffer = capacity > 0 ? allocateString(capacity, encoding) : null;
    size[0] = capacity;
    if (attempt(buffer, size)) return buffer === null ? "" : decodeString(buffer, capacity);
    capacity = nextCapacity(size[0], capacity);
  }
  throw new EntraAuthError(
    "native_call_failed",
    "A native string getter kept asking for a larger buffer: the native library broke its "
      + "contract. Update it, or report this.",
  );
}

/** {@link SizedGetterAttempt}, for a native call that runs off the JavaScript thread. */
export type SizedGetterAttemptAsync = (
  buffer: NativeString | null,
  size: Int32Array,
) => Promise<boolean>;

/**
 * {@link readSizedString} for getters that run off the JavaScript thread.
 *
 * @param encoding `utf8` or `utf16`
 * @param attempt performs one native call
 * @param initialUnits the first buffer's capacity in code units
 * @returns the text
 * @throws EntraAuthError `native_call_failed` as {@link readSizedString}
 */
export async function readSizedStringAsync(
  encoding: StringEncoding,
  attempt: SizedGetterAttemptAsync,
  initialUnits = 256,
): Promise<string> {
  const size = new Int32Array(1);
  let capacity = initialUnits;
  for (let round = 0; round < 4; round++) {
    const buffer = capacity > 0 ? allocateString(capacity, encoding) : null;
    size[0] = capacity;
    if (await attempt(buffer, size)) {
      return buffer === null ? "" : decodeString(buffer, capacity);
    }
    capacity = nextCapacity(size[0], capacity);
  }
  throw new EntraAuthError(
    "native_call_failed",
    "A native string getter kept asking for a larger buffer: the native library broke its "
      + "contract. Update it, or report this.",
  );
}
