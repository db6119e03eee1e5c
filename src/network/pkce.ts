/**
 * Proof Key for Code Exchange (RFC 7636, method S256) and the random `state` and `nonce`
 * values of an authorization request.
 *
 * @module
 */

import { base64urlEncode } from "./validate.ts";

/** A PKCE pair. */
export interface Pkce {
  /** The secret sent with the token request (43 base64url characters: 32 random bytes). */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)), sent with the authorization request. */
  challenge: string;
  /** Always `S256`. */
  method: "S256";
}

/**
 * A random base64url value with `bytes` bytes of entropy (state, nonce, verifier).
 *
 * @param bytes how many random bytes; default 32
 * @returns the value
 * @example
 * ```ts
 * import { randomValue } from "./pkce.ts";
 * randomValue().length; // 43
 * ```
 */
export function randomValue(bytes = 32): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * The S256 challenge of a verifier.
 *
 * @param verifier the code verifier
 * @returns BASE64URL(SHA-256(ASCII(verifier)))
 * @example
 * ```ts
 * import { s256Challenge } from "./pkce.ts";
 * await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
 * // "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" (RFC 7636 appendix B)
 * ```
 */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64urlEncode(new Uint8Array(digest));
}

/**
 * A new PKCE pair.
 *
 * @returns verifier, challenge and method
 * @example
 * ```ts
 * import { createPkce } from "./pkce.ts";
 * const { verifier, challenge } = await createPkce();
 * ```
 */
export async function createPkce(): Promise<Pkce> {
  const verifier = randomValue(32);
  return { verifier, challenge: await s256Challenge(verifier), method: "S256" };
}
