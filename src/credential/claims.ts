/**
 * Claims challenges as they reach a credential: JSON text (what `@azure/core-rest-pipeline`
 * passes after decoding the header) or the base64 text found in a `WWW-Authenticate` header.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/**
 * Normalizes a claims challenge to the JSON text of a claims request.
 *
 * @param claims JSON text, or base64/base64url of JSON text
 * @returns JSON text, or `undefined` for none
 * @throws EntraAuthError `invalid_argument` when it is neither a JSON object nor base64 of one
 * @example
 * ```ts
 * import { decodeClaimsChallenge } from "@entra-auth/core";
 * decodeClaimsChallenge(btoa('{"access_token":{"nbf":{"essential":true,"value":"1"}}}'));
 * ```
 */
export function decodeClaimsChallenge(claims: string | undefined): string | undefined {
  if (claims === undefined) return undefined;
  if (typeof claims !== "string") {
    throw new EntraAuthError("invalid_argument", "claims must be a string (JSON text)");
  }
  const text = claims.trim();
  if (text === "") return undefined;
  if (isJsonObject(text)) return text;
  const decoded = fromBase64(text);
  if (decoded !== undefined && isJsonObject(decoded)) return decoded;
  throw new EntraAuthError(
    "invalid_argument",
    "claims is neither a JSON object nor base64 of one: pass the challenge's claims as the resource sent them",
  );
}

/**
 * Reads the claims challenge out of a `WWW-Authenticate` header (a Bearer challenge with
 * `error="insufficient_claims"` and `claims="<base64>"`, as CAE and Conditional Access send
 * it), for clients that do not handle challenges themselves (the Microsoft Graph client).
 *
 * @param header the `WWW-Authenticate` header's value
 * @returns the claims request's JSON text, or `undefined` when the header carries none
 * @example
 * ```ts
 * import { claimsFromChallenge } from "@entra-auth/core";
 * const claims = claimsFromChallenge(
 *   'Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="',
 * ); // '{"access_token":{}}'
 * ```
 */
export function claimsFromChallenge(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  for (const challenge of header.split(/,?\s*(?=\bBearer\s)/i)) {
    if (!/^Bearer\s/i.test(challenge.trim())) continue;
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g)) {
      params.set(m[1].toLowerCase(), m[2] ?? m[3] ?? "");
    }
    const claims = params.get("claims");
    if (claims && params.get("error") === "insufficient_claims") {
      try {
        return decodeClaimsChallenge(claims);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function isJsonObject(text: string): boolean {
  if (!text.startsWith("{")) return false;
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function fromBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  try {
    const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}
