/**
 * Tokens for another tenant of the same account: the tenant id as a caller may pass it, and
 * the app's authority moved to that tenant.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/**
 * Checks a tenant id (a GUID or a domain name, e.g. `contoso.onmicrosoft.com`).
 *
 * @param tenantId the tenant
 * @returns the tenant id
 * @throws EntraAuthError `invalid_argument` for anything else (a URL, spaces, path characters)
 * @example
 * ```ts
 * validateTenantId("72f988bf-86f1-41af-91ab-2d7cd011db47");
 * ```
 */
export function validateTenantId(tenantId: string): string {
  if (typeof tenantId !== "string" || !/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/.test(tenantId)) {
    throw new EntraAuthError(
      "invalid_argument",
      `tenantId ${
        JSON.stringify(String(tenantId))
      } is not a tenant id: pass a GUID or a domain name`,
    );
  }
  return tenantId;
}

/**
 * The authority URL for another tenant on the same cloud.
 *
 * @param authority the app's authority, e.g. `https://login.microsoftonline.com/organizations`
 * @param tenantId the other tenant
 * @returns the authority for that tenant
 * @example
 * ```ts
 * tenantAuthority("https://login.microsoftonline.com/common", "contoso.com");
 * // "https://login.microsoftonline.com/contoso.com"
 * ```
 */
export function tenantAuthority(authority: string, tenantId: string): string {
  const url = new URL(authority);
  return `${url.origin}/${tenantId}`;
}
