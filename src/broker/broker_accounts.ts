/**
 * Broker accounts and id-token claims as entra-auth's {@link AccountInfo}.
 *
 * @module
 */

import type { RuntimeAccount } from "../../ffi/msalruntime/binding.ts";
import { type AccountInfo, decodeJwtClaims } from "../result.ts";

/** The id token's claims: MSALRuntime's decoded JSON, else the raw token's payload. */
export function parseClaims(json: string, raw: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json);
    if (value && typeof value === "object") return value;
  } catch {
    // fall back to the raw token
  }
  return decodeJwtClaims(raw);
}

/** An account as the broker reported it (with the id token's claims when known). */
export function toAccountInfo(a: RuntimeAccount, claims?: Record<string, unknown>): AccountInfo {
  const d = a.data;
  return {
    homeAccountId: d.homeAccountId,
    environment: d.environment,
    tenantId: d.realm,
    username: d.username,
    localAccountId: d.localAccountId,
    name: d.name || undefined,
    nativeAccountId: d.accountId,
    idTokenClaims: claims,
  };
}

/** An account from id-token claims alone (a result without an account handle). */
export function accountFromClaims(claims: Record<string, unknown>): AccountInfo {
  const s = (k: string) => (typeof claims[k] === "string" ? (claims[k] as string) : "");
  return {
    homeAccountId: `${s("oid")}.${s("tid")}`,
    environment: "",
    tenantId: s("tid"),
    username: s("preferred_username"),
    localAccountId: s("oid"),
    name: s("name") || undefined,
    idTokenClaims: claims,
  };
}
