/**
 * Parses an incoming request once: which emulated host and base URL it addressed, the path
 * after the host, query and form parameters, correlation id, MSAL telemetry and cookies.
 *
 * @module
 */

import { findCloud, type ResolvedConfig } from "./config.ts";
import type { EmulatorCloud } from "./types.ts";

/** Telemetry names MSAL sends as headers (MSAL Python) or query/body parameters (msal-node). */
export const TELEMETRY_NAMES: readonly string[] = [
  "client-request-id",
  "return-client-request-id",
  "x-client-sku",
  "x-client-ver",
  "x-client-os",
  "x-client-cpu",
  "x-client-current-telemetry",
  "x-client-last-telemetry",
  "x-ms-lib-capability",
  "x-anchormailbox",
  "x-app-name",
  "x-app-ver",
];

/** A parsed request. */
export interface RequestContext {
  request: Request;
  url: URL;
  method: string;
  /** Emulated host (lower case) and its cloud. */
  host: string;
  cloud: EmulatorCloud;
  /** URL prefix that addresses this host: `https://{host}`, `{origin}/{host}` or `{origin}`. */
  base: string;
  /** Issuer prefix: like `base` but with the cloud's preferred network host. */
  issuerBase: string;
  /** Path segments after the host. */
  segments: string[];
  query: Record<string, string>;
  form: Record<string, string>;
  /** Raw body text. */
  body: string;
  headers: Record<string, string>;
  telemetry: Record<string, string>;
  cookies: Record<string, string>;
  correlationId: string;
  traceId: string;
  /** Epoch milliseconds. */
  now: number;
}

/**
 * Finds which host a URL addresses and the base URL to build the emulator's own URLs from.
 * A request to a real AAD host name (fetch injection) uses that host; otherwise a first path
 * segment naming a configured host selects it; otherwise the default host, addressed by the
 * bare origin.
 *
 * @param config The configuration.
 * @param url The request URL.
 * @returns Host, cloud, base, issuer base and the remaining path segments.
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * import { locate } from "./context.ts";
 * const at = locate(resolveConfig({}), new URL("http://127.0.0.1:9/login.windows.net/common/x"));
 * console.log(at.base); // http://127.0.0.1:9/login.windows.net
 * ```
 */
export function locate(config: ResolvedConfig, url: URL): {
  host: string;
  cloud: EmulatorCloud;
  base: string;
  issuerBase: string;
  segments: string[];
} {
  const segments = url.pathname.split("/").filter((s) => s !== "").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const real = findCloud(config, url.hostname);
  if (real) {
    const base = `${url.protocol}//${url.host}`;
    const issuerBase = `${url.protocol}//${real.preferredNetwork}`;
    return { host: url.hostname.toLowerCase(), cloud: real, base, issuerBase, segments };
  }
  const named = segments.length > 0 ? findCloud(config, segments[0]) : undefined;
  if (named) {
    const host = segments[0].toLowerCase();
    return {
      host,
      cloud: named,
      base: `${url.origin}/${host}`,
      issuerBase: `${url.origin}/${named.preferredNetwork}`,
      segments: segments.slice(1),
    };
  }
  const cloud = findCloud(config, config.defaultHost) as EmulatorCloud;
  const issuerBase = cloud.preferredNetwork === config.defaultHost
    ? url.origin
    : `${url.origin}/${cloud.preferredNetwork}`;
  return { host: config.defaultHost, cloud, base: url.origin, issuerBase, segments };
}

function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Reads and parses a request (consumes its body).
 *
 * @param config The configuration.
 * @param request The request.
 * @param now Epoch milliseconds.
 * @returns The context.
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * import { parseRequest } from "./context.ts";
 * const ctx = await parseRequest(resolveConfig({}), new Request("http://127.0.0.1/common/x"), 0);
 * console.log(ctx.segments); // ["common", "x"]
 * ```
 */
export async function parseRequest(
  config: ResolvedConfig,
  request: Request,
  now: number,
): Promise<RequestContext> {
  const url = new URL(request.url);
  const located = locate(config, url);
  const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
  const query = Object.fromEntries(url.searchParams);
  const contentType = request.headers.get("content-type") ?? "";
  const form = contentType.includes("application/x-www-form-urlencoded")
    ? Object.fromEntries(new URLSearchParams(body))
    : {};
  const headers: Record<string, string> = {};
  const telemetry: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    const n = name.toLowerCase();
    if (TELEMETRY_NAMES.includes(n) || n.startsWith("x-client-") || n === "content-type") {
      headers[n] = value;
    }
  });
  for (const source of [query, form, headers]) {
    for (const [name, value] of Object.entries(source)) {
      const n = name.toLowerCase();
      if (TELEMETRY_NAMES.includes(n) || n.startsWith("x-client-")) telemetry[n] = value;
    }
  }
  return {
    request,
    url,
    method: request.method.toUpperCase(),
    ...located,
    query,
    form,
    body,
    headers,
    telemetry,
    cookies: parseCookies(request.headers.get("cookie")),
    correlationId: telemetry["client-request-id"] || crypto.randomUUID(),
    traceId: crypto.randomUUID(),
    now,
  };
}

/**
 * A protocol parameter from the form body, else the query.
 *
 * @param ctx The request.
 * @param name Parameter name.
 * @returns The value or `undefined` (empty counts as absent).
 * @example
 * ```ts
 * import { param } from "./context.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * console.log(param(ctx, "client_id"));
 * ```
 */
export function param(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.form[name] ?? ctx.query[name];
  return v === undefined || v === "" ? undefined : v;
}
