/**
 * Resolving an authority to its endpoints: the kind of provider (AAD, B2C, ADFS, CIAM or a
 * generic OpenID Connect issuer), instance discovery for unknown Entra hosts, and the OpenID
 * Connect metadata, fetched once per process (or passed in by the app).
 *
 * @module
 */

import { type Authority, type AuthorityType, parseAuthority } from "../authority.ts";
import { EntraAuthError } from "../errors.ts";
import type { TokenRequestContext } from "../token_response.ts";
import { registerClouds } from "./cloud_aliases.ts";
import { type HttpOptions, sendRequest } from "./http.ts";
import { errorFromServer, parseErrorBody } from "./server_error.ts";
import {
  invalidResponse,
  isJsonObject,
  type JsonObject,
  optionalString,
  requireString,
} from "./validate.ts";

/** The OpenID Connect metadata entra-auth uses (validated). */
export interface OidcMetadata {
  /** The issuer of the tokens. */
  issuer: string;
  /** Where the browser signs in. */
  authorization_endpoint: string;
  /** Where codes and refresh tokens are redeemed. */
  token_endpoint: string;
  /** Where a device code is requested (device code flow). */
  device_authorization_endpoint?: string;
  /** Where the browser signs out. */
  end_session_endpoint?: string;
  /** The signing keys of the issuer. */
  jwks_uri?: string;
  /**
   * RFC 9207: the authority puts `iss` in every authorization response; it is then required
   * and must equal `issuer` (a defence against mix-up attacks).
   */
  authorization_response_iss_parameter_supported?: boolean;
}

/** How to resolve an authority. None of these are protocol parameters. */
export interface AuthorityConfig {
  /** The authority URL, e.g. `https://login.microsoftonline.com/organizations`. */
  authority: string;
  /** Overrides the detected kind of provider (e.g. `oidc` for a generic OpenID issuer). */
  authorityType?: AuthorityType;
  /**
   * Check an unknown host with Entra's instance discovery before trusting it. Default `true`.
   * Off: the host is trusted as given (an unknown host is treated as a generic OIDC issuer
   * unless `authorityType` says otherwise).
   */
  validateAuthority?: boolean;
  /** Hosts (`host` or `host:port`) trusted as Entra ID without instance discovery. */
  knownAuthorityHosts?: readonly string[];
  /** The authority's OpenID Connect metadata (JSON text or object): no metadata request is made. */
  authorityMetadata?: string | OidcMetadata;
}

/** An authority with its endpoints. */
export interface ResolvedAuthority extends Authority {
  /** Its endpoints. */
  readonly metadata: OidcMetadata;
  /** The cache's `authority_type` family for {@link TokenRequestContext}. */
  readonly contextType: TokenRequestContext["authorityType"];
}

/** Where instance discovery is asked. */
export const INSTANCE_DISCOVERY_URL = "https://login.microsoftonline.com/common/discovery/instance";

const metadataCache = new Map<string, Promise<OidcMetadata>>();
const discoveryCache = new Map<string, Promise<string>>();

/**
 * Forgets cached metadata and instance discovery results (tests, or after a configuration change).
 *
 * @example
 * ```ts
 * import { clearAuthorityCache } from "./authority_metadata.ts";
 * clearAuthorityCache();
 * ```
 */
export function clearAuthorityCache(): void {
  metadataCache.clear();
  discoveryCache.clear();
}

function endpoint(body: JsonObject, name: string, required: boolean): string | undefined {
  const value = required
    ? requireString(body, name, "OIDC metadata")
    : optionalString(body, name, "OIDC metadata");
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw invalidResponse(`OIDC metadata: ${name} is not a URL`, cause);
  }
  // Codes, PKCE verifiers and refresh tokens go to these endpoints: plain http only on loopback.
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(loopback && url.protocol === "http:")) {
    throw invalidResponse(`OIDC metadata: ${name} is not an https URL (http only on loopback)`);
  }
  return value;
}

/**
 * Validates OpenID Connect metadata field by field.
 *
 * @param body the parsed document
 * @returns the metadata entra-auth uses
 * @throws EntraAuthError `invalid_response` when a required endpoint is missing or not a URL
 * @example
 * ```ts
 * import { processMetadata } from "./authority_metadata.ts";
 * processMetadata({
 *   issuer: "https://id.example",
 *   authorization_endpoint: "https://id.example/authorize",
 *   token_endpoint: "https://id.example/token",
 * });
 * ```
 */
export function processMetadata(body: unknown): OidcMetadata {
  if (!isJsonObject(body)) throw invalidResponse("OIDC metadata is not a JSON object");
  const metadata: OidcMetadata = {
    issuer: requireString(body, "issuer", "OIDC metadata"),
    authorization_endpoint: endpoint(body, "authorization_endpoint", true) as string,
    token_endpoint: endpoint(body, "token_endpoint", true) as string,
  };
  for (
    const name of ["device_authorization_endpoint", "end_session_endpoint", "jwks_uri"] as const
  ) {
    const value = endpoint(body, name, false);
    if (value !== undefined) metadata[name] = value;
  }
  const iss = body["authorization_response_iss_parameter_supported"];
  if (iss !== undefined && iss !== null && typeof iss !== "boolean") {
    throw invalidResponse(
      "OIDC metadata: authorization_response_iss_parameter_supported is not true or false",
    );
  }
  if (iss === true) metadata.authorization_response_iss_parameter_supported = true;
  return metadata;
}

/**
 * The URL of an authority's OpenID Connect metadata document.
 *
 * @param authority the parsed authority
 * @returns the URL
 * @example
 * ```ts
 * import { parseAuthority } from "../authority.ts";
 * import { metadataUrl } from "./authority_metadata.ts";
 * metadataUrl(parseAuthority("https://login.microsoftonline.com/common"));
 * // "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
 * ```
 */
export function metadataUrl(authority: Authority): string {
  return authority.type === "adfs" || authority.type === "oidc"
    ? `${authority.url}/.well-known/openid-configuration`
    : `${authority.url}/v2.0/.well-known/openid-configuration`;
}

async function fetchMetadata(url: string, http: HttpOptions): Promise<OidcMetadata> {
  const reply = await sendRequest({ method: "GET", url, what: "OIDC metadata request" }, http);
  if (reply.status !== 200) {
    const details = parseErrorBody(reply.status, reply.body);
    if (details) {
      throw errorFromServer(details, {
        hint: `Check the authority: ${url} did not give OpenID Connect metadata.`,
      });
    }
    throw invalidResponse(`OIDC metadata request: HTTP ${reply.status} from ${url}`);
  }
  return processMetadata(reply.body);
}

function cached<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = load();
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

/**
 * Asks Entra's instance discovery whether `authority` is an Entra ID host, records the alias
 * table it returns, and gives the tenant's metadata URL.
 *
 * @param authority the parsed authority
 * @param http transport options
 * @returns the `tenant_discovery_endpoint`
 * @throws ServerError when the host is not an Entra ID instance (`invalid_instance`)
 * @throws EntraAuthError `invalid_response` for a malformed reply
 * @example
 * ```ts
 * import { parseAuthority } from "../authority.ts";
 * import { discoverInstance } from "./authority_metadata.ts";
 * const url = await discoverInstance(parseAuthority("https://login.contoso.example/common", {
 *   knownAadHosts: ["login.contoso.example"],
 * }), {});
 * ```
 */
export async function discoverInstance(authority: Authority, http: HttpOptions): Promise<string> {
  const authorize = `https://${authority.host}/${authority.tenant}/oauth2/v2.0/authorize`;
  const url = `${INSTANCE_DISCOVERY_URL}?api-version=1.1&authorization_endpoint=${
    encodeURIComponent(authorize)
  }`;
  const reply = await sendRequest({ method: "GET", url, what: "instance discovery" }, http);
  if (reply.status !== 200) {
    const details = parseErrorBody(reply.status, reply.body);
    if (!details) throw invalidResponse(`instance discovery: HTTP ${reply.status}`);
    throw errorFromServer(details, {
      hint: details.error === "invalid_instance"
        ? `${authority.host} is not a known Microsoft Entra ID host. For another OpenID `
          + "Connect provider set authorityType: \"oidc\"; for a trusted private host add it "
          + "to knownAuthorityHosts, or set validateAuthority: false."
        : undefined,
    });
  }
  const endpoint = requireString(reply.body, "tenant_discovery_endpoint", "instance discovery");
  const metadata = reply.body["metadata"];
  if (metadata !== undefined) {
    if (!Array.isArray(metadata)) {
      throw invalidResponse("instance discovery: metadata is not a list");
    }
    registerClouds(metadata.map((entry) => {
      if (!isJsonObject(entry)) throw invalidResponse("instance discovery: bad metadata entry");
      const aliases = entry["aliases"];
      if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === "string")) {
        throw invalidResponse("instance discovery: aliases is not a list of strings");
      }
      return {
        preferredNetwork: requireString(entry, "preferred_network", "instance discovery"),
        preferredCache: requireString(entry, "preferred_cache", "instance discovery"),
        aliases: aliases as string[],
      };
    }));
  }
  return endpoint;
}

function classify(config: AuthorityConfig): { authority: Authority; discover: boolean; } {
  const known = config.knownAuthorityHosts?.map((h) => h.toLowerCase()) ?? [];
  const parsed = parseAuthority(config.authority, { knownAadHosts: known });
  let { url, tenant } = parsed;
  // An unknown host is Entra ID only if instance discovery says so.
  const discover = config.authorityType === undefined && parsed.type === "oidc"
    && config.validateAuthority !== false;
  const type = config.authorityType ?? (discover ? "aad" : parsed.type);
  if (type === "ciam" && tenant === "") {
    tenant = `${parsed.host.split(".")[0]}.onmicrosoft.com`;
    url = `${url}/${tenant}`;
  }
  if (tenant === "" && type !== "oidc") {
    throw new EntraAuthError(
      "invalid_argument",
      `authority ${config.authority} has no tenant: use e.g. https://login.microsoftonline.com/common`,
    );
  }
  return { authority: { url, host: parsed.host, tenant, type }, discover };
}

/**
 * Resolves an authority: classifies it, validates an unknown host by Entra's instance
 * discovery (skipped for well-known Entra hosts, `knownAuthorityHosts`, ADFS, B2C, CIAM, an
 * explicit `authorityType`, or `validateAuthority: false`; an unknown host that discovery
 * rejects needs `authorityType: "oidc"`), and gets its OpenID Connect metadata (from `authorityMetadata`,
 * else fetched once per process and cached by URL).
 *
 * @param config the authority and how to treat it
 * @param http transport options
 * @returns the authority with its endpoints
 * @throws EntraAuthError `invalid_argument` for an authority that is not an https URL
 * @throws ServerError for an unknown host (`invalid_instance`) or a failed metadata request
 * @throws EntraAuthError `invalid_response` for malformed metadata
 * @example
 * ```ts
 * import { resolveAuthority } from "./authority_metadata.ts";
 * const authority = await resolveAuthority({
 *   authority: "https://login.microsoftonline.com/organizations",
 * }, {});
 * console.log(authority.metadata.token_endpoint);
 * ```
 */
export async function resolveAuthority(
  config: AuthorityConfig,
  http: HttpOptions,
): Promise<ResolvedAuthority> {
  const { authority, discover } = classify(config);
  const contextType: TokenRequestContext["authorityType"] = authority.type === "adfs"
    ? "ADFS"
    : authority.type === "oidc"
    ? "Generic"
    : "MSSTS";
  if (config.authorityMetadata !== undefined) {
    let body: unknown = config.authorityMetadata;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch (cause) {
        throw new EntraAuthError("invalid_argument", "authorityMetadata is not JSON", { cause });
      }
    }
    return { ...authority, metadata: processMetadata(body), contextType };
  }
  let url = metadataUrl(authority);
  if (discover) {
    url = await cached(discoveryCache, authority.url, () => discoverInstance(authority, http));
  }
  const metadata = await cached(metadataCache, url, () => fetchMetadata(url, http));
  return { ...authority, metadata, contextType };
}
