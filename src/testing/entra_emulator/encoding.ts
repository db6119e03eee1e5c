/**
 * Base64url, random tokens and SHA-256 helpers.
 *
 * @module
 */

/**
 * Base64url-encodes bytes or a UTF-8 string, without padding.
 *
 * @param input Bytes or text.
 * @returns The base64url text.
 * @example
 * ```ts
 * import { base64url } from "./encoding.ts";
 * console.log(base64url("hi")); // aGk
 * ```
 */
export function base64url(input: Uint8Array | string): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes base64url (padding optional) to bytes.
 *
 * @param text The base64url text.
 * @returns The bytes.
 * @throws {Error} When the text is not base64.
 * @example
 * ```ts
 * import { base64urlDecode } from "./encoding.ts";
 * console.log(new TextDecoder().decode(base64urlDecode("aGk"))); // hi
 * ```
 */
export function base64urlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * A random base64url string of `bytes` random bytes.
 *
 * @param bytes Number of random bytes. Default 32.
 * @returns The string.
 * @example
 * ```ts
 * import { randomToken } from "./encoding.ts";
 * console.log(randomToken(16).length); // 22
 * ```
 */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * SHA-256 of a UTF-8 string, base64url-encoded (the PKCE S256 transform).
 *
 * @param text The input.
 * @returns The base64url digest.
 * @example
 * ```ts
 * import { sha256Base64url } from "./encoding.ts";
 * console.log(await sha256Base64url("abc"));
 * ```
 */
export async function sha256Base64url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return base64url(new Uint8Array(digest));
}
