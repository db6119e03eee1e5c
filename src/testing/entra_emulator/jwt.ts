/**
 * The emulator's RS256 signing key, its JWKS, and JWT signing.
 *
 * @module
 */

import { base64url, sha256Base64url } from "./encoding.ts";

/** A public key as served on the JWKS endpoint. */
export interface EmulatorJwk {
  /** Key type. */
  kty: "RSA";
  /** Use: signatures. */
  use: "sig";
  /** Key id. */
  kid: string;
  /** Certificate thumbprint (base64url). */
  x5t: string;
  /** RSA modulus (base64url). */
  n: string;
  /** RSA exponent (base64url). */
  e: string;
  /** Algorithm. */
  alg: "RS256";
  /** The issuer the key signs for, when it is tenant-specific. */
  issuer?: string;
}

/** The signing key pair and its public JWK. */
export interface SigningKey {
  privateKey: CryptoKey;
  jwk: EmulatorJwk;
}

/**
 * Generates an RSA-2048 signing key; the `kid` is the JWK thumbprint (RFC 7638).
 *
 * @returns The key.
 * @example
 * ```ts
 * import { generateSigningKey } from "./jwt.ts";
 * const key = await generateSigningKey();
 * console.log(key.jwk.kid);
 * ```
 */
export async function generateSigningKey(): Promise<SigningKey> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const pub = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const n = pub.n ?? "";
  const e = pub.e ?? "";
  const kid = await sha256Base64url(JSON.stringify({ e, kty: "RSA", n }));
  return {
    privateKey: pair.privateKey,
    jwk: { kty: "RSA", use: "sig", kid, x5t: kid, n, e, alg: "RS256" },
  };
}

/**
 * Signs claims as a compact RS256 JWT with `typ`, `alg`, `kid` and `x5t` in the header.
 *
 * @param key The signing key.
 * @param claims The payload.
 * @returns The JWT.
 * @example
 * ```ts
 * import { generateSigningKey, signJwt } from "./jwt.ts";
 * const jwt = await signJwt(await generateSigningKey(), { sub: "x" });
 * console.log(jwt.split(".").length); // 3
 * ```
 */
export async function signJwt(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  const header = { typ: "JWT", alg: "RS256", kid: key.jwk.kid, x5t: key.jwk.x5t };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const sig = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url(new Uint8Array(sig))}`;
}
