/**
 * Field-by-field checks of untrusted server data (JSON bodies, JWT payloads, base64url): a
 * value gets a type only after it passed one of these. Every failure is an
 * {@link EntraAuthError} with code `invalid_response`.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/** A parsed JSON object whose fields are not checked yet. */
export type JsonObject = Record<string, unknown>;

/**
 * Builds the `invalid_response` error.
 *
 * @param what what was wrong, e.g. `token response: access_token is missing`
 * @param cause the underlying error, if any
 * @returns the error
 * @example
 * ```ts
 * import { invalidResponse } from "./validate.ts";
 * throw invalidResponse("token response: access_token is missing");
 * ```
 */
export function invalidResponse(what: string, cause?: unknown): EntraAuthError {
  return new EntraAuthError(
    "invalid_response",
    `The identity provider sent an invalid reply (${what}). Retry; if it persists, check the `
      + "authority and any proxy between this app and the identity provider.",
    { cause },
  );
}

/**
 * Whether a value is a plain JSON object (not an array, not null).
 *
 * @param value any value
 * @returns true for an object
 * @example
 * ```ts
 * import { isJsonObject } from "./validate.ts";
 * isJsonObject({}); // true
 * ```
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A required non-empty string field.
 *
 * @param body the object
 * @param name the field
 * @param where names the reply in the error message
 * @returns the value
 * @throws EntraAuthError `invalid_response` when absent, empty or not a string
 * @example
 * ```ts
 * import { requireString } from "./validate.ts";
 * requireString({ a: "x" }, "a", "reply"); // "x"
 * ```
 */
export function requireString(body: JsonObject, name: string, where: string): string {
  const value = body[name];
  if (typeof value !== "string" || value === "") {
    throw invalidResponse(
      `${where}: ${name} is ${value === undefined ? "missing" : "not a string"}`,
    );
  }
  return value;
}

/**
 * An optional string field (absent or null gives `undefined`).
 *
 * @param body the object
 * @param name the field
 * @param where names the reply in the error message
 * @returns the value
 * @throws EntraAuthError `invalid_response` when present but not a string
 * @example
 * ```ts
 * import { optionalString } from "./validate.ts";
 * optionalString({}, "a", "reply"); // undefined
 * ```
 */
export function optionalString(body: JsonObject, name: string, where: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidResponse(`${where}: ${name} is not a string`);
  return value;
}

/**
 * An optional non-negative number that servers may send as a string (`"3599"`).
 *
 * @param body the object
 * @param name the field
 * @param where names the reply in the error message
 * @returns the number
 * @throws EntraAuthError `invalid_response` when present but not a non-negative number
 * @example
 * ```ts
 * import { optionalSeconds } from "./validate.ts";
 * optionalSeconds({ expires_in: "3599" }, "expires_in", "reply"); // 3599
 * ```
 */
export function optionalSeconds(body: JsonObject, name: string, where: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw invalidResponse(`${where}: ${name} is not a non-negative number`);
  }
  return n;
}

/**
 * Decodes base64url (padding optional) to bytes.
 *
 * @param text base64url text
 * @returns the bytes
 * @throws EntraAuthError `invalid_response` for text that is not base64url
 * @example
 * ```ts
 * import { base64urlDecode } from "./validate.ts";
 * base64urlDecode("AQI"); // Uint8Array [1, 2]
 * ```
 */
export function base64urlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw invalidResponse("not base64url");
  const b64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  try {
    return Uint8Array.from(
      atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "=")),
      (c) => c.charCodeAt(0),
    );
  } catch (cause) {
    throw invalidResponse("not base64url", cause);
  }
}

/**
 * Encodes bytes as base64url without padding.
 *
 * @param bytes the bytes
 * @returns base64url text
 * @example
 * ```ts
 * import { base64urlEncode } from "./validate.ts";
 * base64urlEncode(new Uint8Array([1, 2])); // "AQI"
 * ```
 */
export function base64urlEncode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes base64url JSON that must be an object (`client_info`, a JWT part).
 *
 * @param text base64url text
 * @param where names the value in the error message
 * @returns the object
 * @throws EntraAuthError `invalid_response` when it is not base64url JSON of an object
 * @example
 * ```ts
 * import { decodeBase64urlJson } from "./validate.ts";
 * decodeBase64urlJson("eyJ1aWQiOiJ1In0", "client_info"); // { uid: "u" }
 * ```
 */
export function decodeBase64urlJson(text: string, where: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64urlDecode(text)));
  } catch (cause) {
    throw invalidResponse(`${where} is not base64url JSON`, cause);
  }
  if (!isJsonObject(value)) throw invalidResponse(`${where} is not a JSON object`);
  return value;
}

/**
 * Decodes the payload of a JWT (compact JWS) without verifying its signature: ID tokens come
 * straight from the token endpoint over TLS (OpenID Connect Core 3.1.3.7).
 *
 * @param jwt the token
 * @param where names the token in the error message
 * @returns the claims
 * @throws EntraAuthError `invalid_response` when it is not a three-part JWT with a JSON payload
 * @example
 * ```ts
 * import { decodeJwtPayload } from "./validate.ts";
 * decodeJwtPayload("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "id_token"); // { sub: "1" }
 * ```
 */
export function decodeJwtPayload(jwt: string, where: string): JsonObject {
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts[1] === "") throw invalidResponse(`${where} is not a JWT`);
  return decodeBase64urlJson(parts[1], `${where} payload`);
}
