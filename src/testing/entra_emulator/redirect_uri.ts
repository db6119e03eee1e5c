/**
 * Redirect URI matching as Entra does it: exact match, except that loopback URIs
 * (`http://localhost`, `http://127.0.0.1`, `http://[::1]`) match on any port.
 *
 * @module
 */

import type { EmulatorApp } from "./types.ts";

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

function loopbackKey(uri: string): string | undefined {
  try {
    const u = new URL(uri);
    if (u.protocol !== "http:" || !LOOPBACK.includes(u.hostname)) return undefined;
    return `${u.hostname}${u.pathname === "" ? "/" : u.pathname}${u.search}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether a redirect URI is registered for an app.
 *
 * @param app The app.
 * @param uri The redirect URI of the request.
 * @returns True when it matches a registered one.
 * @example
 * ```ts
 * import { redirectUriRegistered } from "./redirect_uri.ts";
 * const app = { clientId: "c", redirectUris: ["http://localhost"] };
 * console.log(redirectUriRegistered(app, "http://localhost:53412")); // true
 * ```
 */
export function redirectUriRegistered(app: EmulatorApp, uri: string): boolean {
  if (app.redirectUris.includes(uri)) return true;
  const key = loopbackKey(uri);
  return key !== undefined && app.redirectUris.some((r) => loopbackKey(r) === key);
}
