/**
 * Authorities: what kind of identity provider an authority URL names. The broker serves only
 * Microsoft Entra ID (AAD) authorities; B2C, ADFS, CIAM and generic OIDC issuers sign in
 * without it.
 *
 * @module
 */

import { EntraAuthError } from "./errors.ts";
import { KNOWN_CLOUDS } from "./network/cloud_aliases.ts";

/** The kind of identity provider behind an authority. */
export type AuthorityType = "aad" | "b2c" | "adfs" | "ciam" | "oidc";

/** A parsed authority. */
export interface Authority {
  /** The canonical URL, without a trailing slash. */
  readonly url: string;
  /** The host, e.g. `login.microsoftonline.com`. */
  readonly host: string;
  /** The tenant: a GUID, a domain, `common`, `organizations`, `consumers`; or the B2C tenant. */
  readonly tenant: string;
  /** The kind of provider. */
  readonly type: AuthorityType;
}

// A loop, not flatMap: JavaScriptCore compiles that built-in on first use (every cold start).
const aadHosts = new Set<string>();
for (const cloud of KNOWN_CLOUDS) for (const host of cloud.aliases) aadHosts.add(host);

/** Hosts of Microsoft Entra ID's clouds. */
export const AAD_HOSTS: ReadonlySet<string> = aadHosts;

/**
 * The authority used when the app names none.
 *
 * @example
 * ```ts
 * import { DEFAULT_AUTHORITY } from "@entra-auth/core";
 * console.log(DEFAULT_AUTHORITY); // "https://login.microsoftonline.com/common"
 * ```
 */
export const DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common";

/**
 * Parses and classifies an authority URL.
 *
 * @param authority e.g. `https://login.microsoftonline.com/contoso.onmicrosoft.com`
 * @param options `knownAadHosts` adds hosts to treat as Entra ID (sovereign or test hosts); an
 *   entry without a port (`127.0.0.1`) matches the host on any port, one with a port
 *   (`127.0.0.1:8400`) only on that port
 * @returns the parsed authority
 * @throws EntraAuthError `invalid_argument` for a URL that is not https (or loopback http)
 * @example
 * ```ts
 * import { parseAuthority } from "@entra-auth/core";
 * parseAuthority("https://login.microsoftonline.com/organizations").type; // "aad"
 * ```
 */
export function parseAuthority(
  authority: string,
  options: { knownAadHosts?: readonly string[]; } = {},
): Authority {
  let url: URL;
  try {
    url = new URL(authority);
  } catch (cause) {
    throw new EntraAuthError("invalid_argument", `authority is not a URL: ${authority}`, { cause });
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost"
    || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(loopback && url.protocol === "http:")) {
    throw new EntraAuthError(
      "invalid_argument",
      `authority must use https: ${authority}`,
    );
  }
  const segments = url.pathname.split("/").filter(Boolean);
  const host = url.host.toLowerCase();
  const clean = `${url.protocol}//${url.host}${segments.length ? `/${segments.join("/")}` : ""}`;
  const tenant = segments[0] ?? "";
  let type: AuthorityType;
  if (tenant.toLowerCase() === "adfs") type = "adfs";
  else if (host.endsWith(".b2clogin.com") || segments[0] === "tfp") type = "b2c";
  else if (host.endsWith(".ciamlogin.com")) type = "ciam";
  else if (AAD_HOSTS.has(host) || isKnownHost(url, options.knownAadHosts)) type = "aad";
  else type = "oidc";
  return { url: clean, host, tenant, type };
}

// A known host written without a port matches that host on any port (the emulators listen on
// a free port: `knownAuthorityHosts: ["127.0.0.1"]` must match `http://127.0.0.1:37075/...`).
function isKnownHost(url: URL, known: readonly string[] | undefined): boolean {
  if (!known) return false;
  const host = url.host.toLowerCase();
  const name = url.hostname.toLowerCase();
  return known.some((entry) => {
    const k = entry.toLowerCase();
    return k === host || k === name;
  });
}
